#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""plot_advise.py DIR [-o FILE] -- kept for old command lines: `scripts/plot.py advise DIR`."""
import os
import sys

plot = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot.py")
os.execv(sys.executable, [sys.executable, plot, "advise"] + sys.argv[1:])

# SPDX-License-Identifier: GPL-3.0-or-later
"""What the result-table scripts (paper-table.py, validation-table.py) share."""
import json
import subprocess


def load(path):
    with open(path) as fp:
        return json.load(fp)


def machine():
    """'nproc N, CPU model' of this machine, as every committed result names it."""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "unknown CPU")
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"nproc {nproc}, {cpu}"

#!/usr/bin/env bash
# Set up (if needed), build, and run the main job: `asgd run` on the built-in default
# experiment (fig4, 4 workers, exponential work, 1000 replicas) into out/run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/asgd run --out out/run "$@"

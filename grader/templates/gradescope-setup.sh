#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (written by
# `awaitlings gradescope-bundle`). It makes a Python >= 3.11 venv and installs the kit in it.
set -euo pipefail
AUTOGRADER="${AUTOGRADER_ROOT:-/autograder}"

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$python" ]; then
    apt-get update
    apt-get install -y python3.11 python3.11-venv
    python="$(command -v python3.11)"
fi
# unshare and ip give the graded code a network namespace with loopback only, where the
# container allows it (the results say when it does not).
apt-get install -y util-linux iproute2 >/dev/null 2>&1 || true

if ! "$python" -m venv "$AUTOGRADER/venv"; then
    apt-get update
    apt-get install -y "python3.$("$python" -c 'import sys; print(sys.version_info[1])')-venv"
    "$python" -m venv "$AUTOGRADER/venv"
fi
"$AUTOGRADER/venv/bin/python" -m pip install --quiet --upgrade pip
"$AUTOGRADER/venv/bin/python" -m pip install --quiet "$AUTOGRADER/source/kit"

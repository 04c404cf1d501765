#!/usr/bin/env bash
# Sets up a fresh Debian machine (Python >= 3.10; root installs gVisor's runsc) and then
# runs either the main job on its embedded default or the test suite:
#
#   bash scripts/quickstart.sh main      # set up, then the main job (configs/default.py)
#   bash scripts/quickstart.sh test      # set up, then the tests
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: bash scripts/quickstart.sh main|test}

if ! command -v runsc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing gVisor (Debian package runsc)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runsc
  else
    echo "gVisor's runsc is not installed and this is not root: run 'sudo apt-get install runsc', then rerun." >&2
    exit 1
  fi
fi

python=${PYTHON:-python3}
"$python" -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is needed"'
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(cat setup.py scripts/quickstart.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "== installing the project into .venv (a few minutes the first time)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q torch==2.13.0   # the CPU build; transformers is only a test reference
  .venv/bin/pip install -q -e '.[dev,packs]'
  touch "$stamp"
fi

case "$what" in
  main) exec .venv/bin/python -m rl.main --config=configs/default.py ;;
  test) exec .venv/bin/python -m pytest -q tests ;;
  *) echo "unknown target $what: use main or test" >&2; exit 2 ;;
esac

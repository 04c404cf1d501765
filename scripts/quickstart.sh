#!/usr/bin/env bash
# Sets up a fresh Debian machine (Python >= 3.10; root, or a user with password-less sudo,
# installs gVisor's runsc) and then runs either the main job on its embedded default or the
# test suite, or only sets up (what scripts/launch_tpu_pod.sh runs on every pod worker):
#
#   bash scripts/quickstart.sh main      # set up, then the main job (configs/default.py)
#   bash scripts/quickstart.sh test      # set up, then the tests
#   EXTRAS=tpu bash scripts/quickstart.sh setup   # set up only, with setup.py's extras EXTRAS
#
# EXTRAS (default dev,packs) are the extras installed into .venv; with dev, the CPU build
# of torch comes first (transformers is only a test reference). WHEEL=FILE.whl installs
# that built wheel of the project instead of this checkout (editable), as pod workers
# launched with `launch_tpu_pod.sh --wheel` do.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: bash scripts/quickstart.sh main|test|setup}
extras=${EXTRAS:-dev,packs}
wheel=${WHEEL:-}
if [ -n "$wheel" ] && [ ! -f "$wheel" ]; then
  echo "WHEEL=$wheel: no such file" >&2
  exit 2
fi

if ! command -v runsc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif sudo -n true 2>/dev/null; then
    as_root=(sudo)   # e.g. a Cloud TPU VM's user
  else
    echo "gVisor's runsc is not installed and this is not root: run 'sudo apt-get install runsc', then rerun." >&2
    exit 1
  fi
  echo "== installing gVisor (Debian package runsc)"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runsc
fi

python=${PYTHON:-python3}
"$python" -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is needed"'
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$python" -m venv .venv
fi
source_files=(scripts/quickstart.sh)
if [ -n "$wheel" ]; then source_files+=("$wheel"); else source_files+=(setup.py); fi
stamp=.venv/.installed-$( (cat "${source_files[@]}"; echo "$extras") | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "== installing the project into .venv with [$extras] (a few minutes the first time)"
  .venv/bin/pip install -q --upgrade pip
  case ",$extras," in
    *,dev,*) .venv/bin/pip install -q torch==2.13.0 ;;   # the CPU build; transformers is only a test reference
  esac
  if [ -n "$wheel" ]; then
    .venv/bin/pip install -q "./$wheel[$extras]"
  else
    .venv/bin/pip install -q -e ".[$extras]"
  fi
  touch "$stamp"
fi

case "$what" in
  main) exec .venv/bin/python -m rl.main --config=configs/default.py ;;
  test) exec .venv/bin/python -m pytest -q tests ;;
  setup) echo "== set up in $PWD/.venv" ;;
  *) echo "unknown target $what: use main, test or setup" >&2; exit 2 ;;
esac

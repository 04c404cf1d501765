#!/usr/bin/env bash
# Creates .venv-tunix: a separate virtual environment holding google-tunix 0.1.7, used only
# by the benchmark baselines (rl/baselines/), never imported by the project itself:
#
#   bash scripts/setup_tunix_env.sh
#   .venv/bin/python -m rl.train_step_bench --tunix-python .venv-tunix/bin/python
#   .venv/bin/python -m rl.sampling.bench --tunix-python .venv-tunix/bin/python
#
# jax and flax are pinned to the project's versions so both sides run the same XLA; tunix's
# declared dependencies come with it (no TensorFlow, no torch). The project's .venv is not
# touched. Rerunning is cheap: it only checks that the environment imports.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
venv=${TUNIX_VENV:-.venv-tunix}
"$python" -c 'import sys; assert sys.version_info >= (3, 11), "google-tunix 0.1.7 needs Python >= 3.11"' || {
  echo "$python is older than 3.11; set PYTHON=/path/to/python3.11 and rerun" >&2
  exit 1
}

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv"
  "$python" -m venv "$venv"
fi
stamp="$venv/.installed-$(sha256sum scripts/setup_tunix_env.sh | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "== installing google-tunix 0.1.7 into $venv (a few minutes the first time)"
  "$venv/bin/pip" install -q google-tunix==0.1.7 jax==0.10.2 flax==0.12.8 optax safetensors numpy
  touch "$stamp"
fi

echo "== checking that tunix's Qwen2 model, GRPO loss and sampler import"
"$venv/bin/python" - <<'EOF'
from importlib.metadata import version

import jax
import tunix.generate.sampler  # noqa: F401
import tunix.models.qwen2.model  # noqa: F401
import tunix.models.qwen2.params  # noqa: F401
import tunix.rl.algo_core  # noqa: F401

print(f"google-tunix {version('google-tunix')}, jax {jax.__version__}, flax {version('flax')}: ready")
EOF

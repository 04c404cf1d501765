#!/usr/bin/env bash
# One short session of GPU figures for the 0.5B shape, made to fit a lent GPU's few minutes
# (docs/BENCHMARKS.md records what it printed):
#   - the train-step benchmark of issue 9 (8 x (64 + 128) tokens, bf16) with tokens/s and MFU,
#     and the same at a GPU-sized batch (64 x (1024 + 512), two micro-batches);
#   - one GRPO iteration of configs/gpu.py's size through `rl.train` (256 rollouts), for the
#     time split between generation, grading (gVisor) and training;
#   - the decode benchmark's GPU rows (batch 1, 64, 256, bf16) beside transformers.
#   - the attention kernels (rl.models.attention_bench): the einsum kernel against cuDNN's
#     fused one through jax.nn.dot_product_attention, train step and decode at batch 1, 64, 256;
#   - the train step with attention=einsum forced (train_b8_einsum), the MFU before the fused kernel.
#
# The weights are random in the Qwen2.5-0.5B shape (`random-init:`, rl/loaders/random_init.py):
# speed and memory do not depend on their values, and staging the real ones would cost more
# device time than the measurements. Rewards on such weights are all zero, so the iteration
# runs with dynamic sampling off (otherwise every group would be dropped and refilled) and
# 512 new tokens (every completion runs to the limit).
#
#   bash scripts/gpu_check.sh stage     # here: .stage/gpu (config + tokenizer, tiny dataset, runsc) and .whl
#   bash scripts/gpu_check.sh run [STAGE...]   # there, carrying .stage/gpu and .whl; logs go to $OUT
set -u
cd "$(dirname "$0")/.."
MODEL=random-init:.stage/gpu/skeleton
PEAK_TFLOPS=989   # bf16 dense, H100/H200 SXM, NVIDIA's datasheet

stage_files() {
  set -e
  local pack
  pack=$(.venv/bin/python -c "from rl.loaders.pack_cache import prepare_pack; print(prepare_pack('qwen2.5-coder-0.5b-instruct'))")
  mkdir -p .stage/gpu/skeleton .stage/gpu/data .whl
  cp "$pack"/{config.json,generation_config.json,tokenizer.json,tokenizer_config.json} .stage/gpu/skeleton/
  cp "$(command -v runsc)" .stage/gpu/runsc
  .venv/bin/python -c "
from sandbox.executor import SandboxExecutor
from tests.tiny_experiment_data import write_tiny_dataset
with SandboxExecutor(workers=2) as pool:
    write_tiny_dataset('.stage/gpu/data', pool)"
  for package in ml_collections gguf; do   # the GPU image lacks these two pure-Python packages
    version=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('$package'))")
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --platform any \
      -d .whl "$package==$version"
  done
  grep -qx '/.whl/' .git/info/exclude || echo /.whl/ >> .git/info/exclude
  du -sh .stage/gpu .whl
}

# run NAME SECONDS COMMAND...: one stage, its whole log under $OUT, its last lines here.
run_stage() {
  local name=$1 limit=$2
  shift 2
  echo "=== $name ($(date +%T), limit ${limit}s)"
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  echo "exit $? after $SECONDS s"
  grep -v -E "^(I|W)[0-9]{4}|^step [0-9]|absl::|oneDNN|^\s*$" "$OUT/$name.log" | tail -n 12
}

# run_all [STAGE...]: the named stages (train_b8 train_b8_einsum attention iteration train_b64_before
# train_b64 decode); default: all but train_b64_before
run_all() {
  local stages=" ${*:-train_b8 train_b8_einsum attention iteration train_b64 decode} "
  OUT=${OUT:-/tmp/gpu_check}
  mkdir -p "$OUT"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1 PATH=$PWD/.stage/gpu:$PATH
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader
  python3 -c "import jax, flax, optax, orbax.checkpoint; print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__, jax.devices())"
  # gVisor there? (runsc carried in .stage/gpu); if it cannot start, grade without isolation and say so
  local sandbox_backend=gvisor
  timeout 60 python3 -c "
from sandbox.executor import SandboxExecutor
with SandboxExecutor(workers=1) as pool:
    print('gVisor sandbox there:', pool.reference('def f(x):\\n    return x + 1\\n', ['f'], [(1,)]))" \
    > "$OUT/sandbox_probe.log" 2>&1 || sandbox_backend=rlimits
  echo "sandbox backend: $sandbox_backend"; tail -n 3 "$OUT/sandbox_probe.log"
  [[ $stages == *" train_b8 "* ]] && run_stage train_b8 120 python3 -m rl.train_step_bench --model "$MODEL" --dtype bfloat16 --steps 6 \
    --peak-tflops $PEAK_TFLOPS
  [[ $stages == *" train_b8_einsum "* ]] && run_stage train_b8_einsum 120 python3 -m rl.train_step_bench \
    --model "$MODEL" --dtype bfloat16 --steps 6 --attention einsum --peak-tflops $PEAK_TFLOPS
  [[ $stages == *" attention "* ]] && XLA_PYTHON_CLIENT_PREALLOCATE=false run_stage attention 150 \
    python3 -m rl.models.attention_bench --model "$MODEL" --implementations einsum,cudnn --batch-sizes 1,64,256 \
    --train-batch 8 --train-tokens 1536 --new-tokens 64 --repeats 1
  [[ $stages == *" iteration "* ]] && run_stage iteration 240 python3 -m rl.train --config=configs/gpu.py --config.model.checkpoint="$MODEL" \
    --config.curriculum.data_files=.stage/gpu/data/problems.jsonl \
    --config.curriculum.chain_files=.stage/gpu/data/chains.jsonl --config.curriculum.backend=python \
    --config.grpo.dynamic_sampling=False --config.checkpoint.save_every_steps=1000 \
    --config.train.steps=3 --config.grpo.optimizer.total_steps=3 --config.train.max_new_tokens=512 \
    --config.sandbox.backend=$sandbox_backend --config.output_dir=/tmp/gpu_check_iteration
  [[ $stages == *" iteration "* ]] && cp /tmp/gpu_check_iteration/train/metrics.csv "$OUT"/iteration_metrics.csv \
    && python3 - "$OUT/iteration_metrics.csv" <<'EOF'
import csv, sys
try:
    rows = list(csv.DictReader(open(sys.argv[1])))
except OSError:
    sys.exit("no iteration metrics")
keys = [k for k in rows[0] if k.startswith("time_") or "tokens_per_s" in k or k in ("step", "policy_version")]
for row in rows:
    print({k: row[k] for k in keys})
EOF
  # the same at an earlier commit, unpacked by hand into .stage/gpu/before (`git archive REV rl configs`)
  [[ $stages == *" train_b64_before "* ]] && PYTHONPATH=$PWD/.stage/gpu/before:/tmp/site run_stage train_b64_before \
    120 python3 -P -m rl.train_step_bench --model "$MODEL" --dtype bfloat16 --steps 4 \
    --batch 64 --micro-batches 2 --prompt-tokens 1024 --completion-tokens 512 --peak-tflops $PEAK_TFLOPS
  [[ $stages == *" train_b64 "* ]] && run_stage train_b64 120 python3 -m rl.train_step_bench --model "$MODEL" --dtype bfloat16 --steps 4 \
    --batch 64 --micro-batches 2 --prompt-tokens 1024 --completion-tokens 512 --peak-tflops $PEAK_TFLOPS
  # JAX and torch share the GPU here: no preallocation by JAX
  [[ $stages == *" decode "* ]] && XLA_PYTHON_CLIENT_PREALLOCATE=false run_stage decode 150 python3 -m rl.sampling.bench --device gpu --model "$MODEL" --repeats 1
  echo "done after $SECONDS s"
}

case "${1:-}" in
  stage) stage_files ;;
  run) shift; run_all "$@" ;;
  *) echo "usage: bash scripts/gpu_check.sh stage|run" >&2; exit 2 ;;
esac

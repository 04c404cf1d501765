#!/usr/bin/env bash
# Launch one training process per host of a Cloud TPU pod slice (or N processes on this
# machine), all running the same COMMAND and joined by jax.distributed (rl/distributed.py):
#
#   scripts/launch_tpu_pod.sh --tpu my-v5p-64 --zone us-east5-a [--project my-project] \
#       [--workers N] [--repo DIR] [--extras tpu] [--wheel FILE.whl] [--log-dir DIR] [--skip-setup] [--dry-run] -- \
#       .venv/bin/python -m rl.train --config=configs/train.py --config.output_dir=gs://bucket/run1
#
#   scripts/launch_tpu_pod.sh --local 2 [--devices-per-process 1] [--log-dir DIR] [--dry-run] -- \
#       .venv/bin/python -m rl.train --config=configs/train.py
#
# On a pod, for every worker (0 .. N-1; N from `gcloud compute tpus tpu-vm describe` unless
# --workers gives it), all workers at once in each phase:
#   1. copy: this checkout (`git archive` of the working tree's tracked files, uncommitted
#      changes included) goes to the worker with `gcloud compute tpus tpu-vm scp` and is
#      unpacked into DIR (default synthcurriculum-rl in the worker's home; its .venv and
#      logs are kept); with --wheel FILE.whl (`pip wheel --no-deps -w dist .` builds one) it
#      sends that wheel with scripts/quickstart.sh and configs/ instead (the job's --config
#      files) and the setup installs the wheel, not the checkout;
#   2. setup: `scripts/quickstart.sh setup` there installs gVisor's runsc (with sudo) and
#      the project into DIR/.venv with the extras of --extras (default tpu); it does
#      nothing when already done for this setup.py (skip it with --skip-setup);
#   3. start: `JAX_NUM_PROCESSES=auto COMMAND` runs detached (setsid nohup: a dropped ssh
#      connection does not end it), its output in DIR/LOG_DIR/worker-<i>.log (LOG_DIR
#      default logs/launch-<UTC time>). JAX finds the coordinator, the process count and
#      each worker's id from the TPU metadata.
# Locally, `python -m rl.launch_local` sets them explicitly (a coordinator on 127.0.0.1).
# Either way each process draws its own slice of every step's prompts (its data shard, by
# process index), grades its own rows and feeds the devices it owns. The data files,
# output_dir and checkpoint directory must be readable (and the last two writable) from
# every worker: a gs:// bucket (run directories take any scheme, configs/run_paths.py) or a
# shared disk; every process takes part in orbax's saves and restores.
# --dry-run prints every command instead of running it (a pod dry run needs --workers).
set -euo pipefail
caller_dir=$PWD   # paths the caller gives (--wheel) are relative to where it ran
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,10p' "$0" >&2
  exit 2
}

tpu="" zone="" project="" workers="" repo="synthcurriculum-rl" extras="tpu" skip_setup=0 wheel=""
local_processes="" devices_per_process="" log_dir="" dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tpu) tpu=${2:?--tpu needs a TPU name}; shift 2 ;;
    --zone) zone=${2:?--zone needs a zone}; shift 2 ;;
    --project) project=${2:?--project needs a project id}; shift 2 ;;
    --workers) workers=${2:?--workers needs the number of hosts of the slice}; shift 2 ;;
    --repo) repo=${2:?--repo needs the directory on the workers}; shift 2 ;;
    --extras) extras=${2:?--extras needs the setup.py extras to install, e.g. tpu}; shift 2 ;;
    --skip-setup) skip_setup=1; shift ;;
    --wheel) wheel=${2:?--wheel needs a built wheel of the project (.whl)}; shift 2 ;;
    --local) local_processes=${2:?--local needs a process count}; shift 2 ;;
    --devices-per-process) devices_per_process=${2:?--devices-per-process needs a count}; shift 2 ;;
    --log-dir) log_dir=${2:?--log-dir needs a directory}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; break ;;
    *) echo "launch_tpu_pod.sh: unknown option $1" >&2; usage ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "launch_tpu_pod.sh: give the command each process runs after --" >&2
  usage
fi

show() {
  printf '%q ' "$@"
  echo
}

run() {
  if [ "$dry_run" = 1 ]; then show "$@"; else exec "$@"; fi
}

if [ -n "$local_processes" ]; then
  if [ -n "$tpu" ]; then
    echo "launch_tpu_pod.sh: --local and --tpu exclude each other" >&2
    exit 2
  fi
  python=${PYTHON:-.venv/bin/python}
  launcher=("$python" -m rl.launch_local --num_processes="$local_processes")
  [ -n "$devices_per_process" ] && launcher+=(--devices_per_process="$devices_per_process")
  [ -n "$log_dir" ] && launcher+=(--log_dir="$log_dir")
  run "${launcher[@]}" -- "$@"
  exit 0
fi

if [ -z "$tpu" ] || [ -z "$zone" ]; then
  echo "launch_tpu_pod.sh: a pod launch needs --tpu NAME and --zone ZONE (or --local N for this machine)" >&2
  exit 2
fi
case "$workers" in
  "") ;;
  *[!0-9]*|0) echo "launch_tpu_pod.sh: --workers needs a positive count, got $workers" >&2; exit 2 ;;
esac
location=(--zone="$zone")
[ -n "$project" ] && location+=(--project="$project")

if [ -z "$workers" ]; then
  if [ "$dry_run" = 1 ]; then
    echo "launch_tpu_pod.sh: a dry run does not ask gcloud for the slice's hosts: give --workers N" >&2
    exit 2
  fi
  endpoints=$(gcloud compute tpus tpu-vm describe "$tpu" "${location[@]}" --format='value(networkEndpoints[].ipAddress)')
  workers=$(tr ';,' '\n\n' <<<"$endpoints" | grep -c .) || true
  if [ "${workers:-0}" -lt 1 ]; then
    echo "launch_tpu_pod.sh: gcloud lists no hosts for TPU $tpu in $zone" >&2
    exit 1
  fi
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
log_dir=${log_dir:-logs/launch-$stamp}
archive="${TMPDIR:-/tmp}/synthcurriculum-rl-$stamp.tar.gz"
remote_archive="/tmp/synthcurriculum-rl-$stamp.tar.gz"
tree=$(git stash create 2>/dev/null || true)   # the working tree's tracked files, as a commit; none: HEAD
tree=${tree:-HEAD}
q_repo=$(printf '%q' "$repo")
if [ -n "$wheel" ]; then
  case "$wheel" in
    *.whl) ;;
    *) echo "launch_tpu_pod.sh: --wheel needs a .whl file, got $wheel" >&2; exit 2 ;;
  esac
  if [ ! -f "$wheel" ] && [ "$dry_run" = 0 ]; then
    echo "launch_tpu_pod.sh: no wheel at $wheel (build one with: pip wheel --no-deps -w dist .)" >&2
    exit 2
  fi
  case "$wheel" in /*) ;; *) wheel="$caller_dir/$wheel" ;; esac
  wheel_name=$(basename "$wheel")
fi

pids=()
# Start one worker's command (in the background; a dry run prints it), tagged with the worker.
on_worker() {
  local worker=$1
  shift
  if [ "$dry_run" = 1 ]; then
    show "$@"
  else
    ("$@" 2>&1 | sed -u "s/^/[worker $worker] /") &   # pipefail: the subshell fails when "$@" does
    pids+=($!)
  fi
}

# Wait for every worker's command of this phase; fail if any failed.
wait_workers() {
  local phase=$1 failed=0 pid
  for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
  done
  pids=()
  if [ "$failed" = 1 ]; then
    echo "launch_tpu_pod.sh: the $phase phase failed on a worker (see its lines above)" >&2
    exit 1
  fi
}

if [ -n "$wheel" ]; then
  echo "# $tpu: $workers workers; code: $wheel_name (with scripts/quickstart.sh and configs/); logs in $repo/$log_dir on each worker" >&2
  pack=(tar -czf "$archive" --exclude=__pycache__ -C "$(dirname "$wheel")" "$wheel_name" -C "$PWD" scripts/quickstart.sh configs)
else
  echo "# $tpu: $workers workers; code: git commit $tree (tracked files as in the working tree); logs in $repo/$log_dir on each worker" >&2
  pack=(git archive --format=tar.gz --output="$archive" "$tree")
fi
if [ "$dry_run" = 1 ]; then
  show "${pack[@]}"
else
  "${pack[@]}"
  trap 'rm -f "$archive"' EXIT
fi

for ((i = 0; i < workers; i++)); do
  on_worker "$i" gcloud compute tpus tpu-vm scp "$archive" "$tpu:$remote_archive" "${location[@]}" --worker="$i"
done
wait_workers copy

unpack="mkdir -p $q_repo && tar -xzf $remote_archive -C $q_repo && rm -f $remote_archive"
for ((i = 0; i < workers; i++)); do
  if [ "$skip_setup" = 1 ]; then
    setup="$unpack"
  else
    setup="$unpack && cd $q_repo && ${wheel:+WHEEL=$(printf '%q' "$wheel_name") }EXTRAS=$(printf '%q' "$extras") bash scripts/quickstart.sh setup"
  fi
  on_worker "$i" gcloud compute tpus tpu-vm ssh "$tpu" "${location[@]}" --worker="$i" --command="$setup"
done
wait_workers setup

command=$(printf '%q ' "$@")
for ((i = 0; i < workers; i++)); do
  log="$log_dir/worker-$i.log"
  # Only the process goes to the background (not the whole list): ssh returns at once.
  start="cd $q_repo && mkdir -p $(printf '%q' "$log_dir") && { JAX_NUM_PROCESSES=auto setsid nohup ${command}> $(printf '%q' "$log") 2>&1 < /dev/null & } && echo \"worker $i: pid \$! logs to $repo/$log\""
  on_worker "$i" gcloud compute tpus tpu-vm ssh "$tpu" "${location[@]}" --worker="$i" --command="$start"
done
wait_workers start
echo "# follow a worker: gcloud compute tpus tpu-vm ssh $tpu ${location[*]} --worker=0 --command='tail -f $repo/$log_dir/worker-0.log'" >&2

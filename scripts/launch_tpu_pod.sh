#!/usr/bin/env bash
# Launch one training process per host of a Cloud TPU pod slice (or N processes on this
# machine), all running the same COMMAND and joined by jax.distributed (rl/distributed.py):
#
#   scripts/launch_tpu_pod.sh --tpu my-v5p-64 --zone us-east5-a [--project my-project] \
#       [--repo /home/me/rl-codegen] -- \
#       .venv/bin/python -m rl.train --config=configs/train.py --config.output_dir=gs://bucket/run1
#
#   scripts/launch_tpu_pod.sh --local 2 [--devices-per-process 1] [--log-dir DIR] -- \
#       .venv/bin/python -m rl.train --config=configs/train.py
#
# On a pod every worker runs `cd REPO && JAX_NUM_PROCESSES=auto COMMAND` through
# `gcloud compute tpus tpu-vm ssh --worker=all`; JAX finds the coordinator, the process
# count and each worker's id from the TPU metadata. Locally, `python -m rl.launch_local`
# sets them explicitly (a coordinator on 127.0.0.1). Either way each process draws its own
# slice of every step's prompts (its data shard, by process index), grades its own rows and
# feeds the devices it owns. Before a pod launch: the repository and its .venv must exist at
# REPO on every worker, and the data files, output_dir and checkpoint directory must be
# readable (and the last two writable) from every worker (a GCS bucket or a shared disk);
# every process takes part in orbax's saves and restores.
# --dry-run prints the command that would run instead of running it.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,11p' "$0" >&2
  exit 2
}

tpu="" zone="" project="" repo="$PWD" local_processes="" devices_per_process="" log_dir="" dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tpu) tpu=${2:?--tpu needs a TPU name}; shift 2 ;;
    --zone) zone=${2:?--zone needs a zone}; shift 2 ;;
    --project) project=${2:?--project needs a project id}; shift 2 ;;
    --repo) repo=${2:?--repo needs the repository path on the workers}; shift 2 ;;
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

run() {
  if [ "$dry_run" = 1 ]; then
    printf '%q ' "$@"
    echo
  else
    exec "$@"
  fi
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
remote="cd $(printf '%q' "$repo") && JAX_NUM_PROCESSES=auto $(printf '%q ' "$@")"
gcloud_command=(gcloud compute tpus tpu-vm ssh "$tpu" --zone="$zone" --worker=all --command="$remote")
[ -n "$project" ] && gcloud_command+=(--project="$project")
run "${gcloud_command[@]}"

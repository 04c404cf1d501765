"""GRPO training on a curriculum of synthetic and real problems:

    python -m rl.train --config=configs/train.py [--config.grpo.group_size=8 ...]

The main function reads top to bottom: mesh, model, environments and sandbox, data,
train state and step, checkpoint restore, loop. One iteration of the loop samples G
completions for each of the step's prompts with the current parameters (the KV-cache
sampler runs on the trainer's own parameter pytree), submits their grading to the
sandbox in a worker thread, and trains on the rollout batch that is `max_staleness`
(k) iterations old: with k = 1 the grading of one batch overlaps with training on the
previous one, and each update sees rollouts from a policy one update behind, corrected
by the behaviour log-probs (truncated importance weights, rl/grpo). k = 0 is synchronous.

Several hosts (scripts/launch_tpu_pod.sh; rl/distributed.py): every host draws its own
slice of each step's prompts (its data shard); the slices are all-gathered so the sampler
runs once, SPMD, over the global prompt batch on the global mesh; each host grades only its
own rows in its own sandbox, and the grades are all-gathered, so the curriculum observes
every host's rewards and all hosts take the same decisions (refills, row selection). Each
host then builds only the batch rows its devices hold (`jax.make_array_from_process_local_data`).
Every process saves and restores the orbax checkpoint together; only process 0 writes the
config, metrics and rollout files and the safetensors export. The sampler runs on the train
step's mesh: the parameters stay sharded as the step holds them and the global batch's rows
are split over the batch axes, so each device decodes its own rows (`rl.sampling.sampler`).
The prompts' token ids are still all-gathered to every host before it, and the completions
read back whole: feeding each host's rows straight to its devices is left to do.

Departure from the paper: the paper's asynchronous GRPO runs generation and training on
separate workers; here both share the process (and devices), so only grading overlaps
with generation and training. The staleness semantics are the same.
"""
from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import json
import signal
import sys
import time
from typing import Optional

import jax
import numpy as np
from tqdm.auto import tqdm

from curriculum.bands import band_family
from curriculum.input_pipeline import build_iterator
from curriculum.settings import CurriculumSettings
from data_gen.environments import ENVIRONMENT_REGISTRY, make_environment
from data_gen.records import Problem
from rl import distributed
from rl import rollout as rollout_lib
from configs import run_paths
from rl.checkpointing import Checkpointer, ResumePolicyError, apply_resume_policy, checkpoint_directory
from rl.cli import run_with_config
from rl.evaluation import synthetic_change
from rl.export import export_policy
from rl.grpo.dynamic_sampling import select_groups
from rl.grpo.format_penalty import apply_format_penalty
from rl.metrics_log import MetricsLog
from rl.policy import Policy, environment_prompt, load_policy
from rl.preflight import check_training_data
from rl.sampling.sampler import Sampler
from rl.sharding import batch_sharding, make_mesh, place, replicated_key, to_host
from rl.sharding import state_shardings as parameter_shardings
from rl.train_step import TrainStepSettings, create_train_state, make_optimizer, make_train_step, state_shardings
from sandbox.executor import SandboxExecutor


@dataclasses.dataclass
class TrainResult:
    final_step: int
    metrics: list[dict]
    output_dir: str
    restored_from: Optional[int]


class _Preemption:
    """Turns SIGTERM into a flag the loop checks after each step (then it saves and exits)."""

    def __init__(self, enabled: bool):
        self.requested = False
        self._previous = None
        if enabled:
            self._previous = signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum, frame):
        self.requested = True

    def close(self):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def _check_consistency(config) -> None:
    """The fields that must agree across sections (each is set once in the experiment configs
    through field references; a hand-made config that breaks them is refused here)."""
    grpo, curriculum = config.grpo, config.curriculum
    pairs = [("grpo.prompts_per_batch", grpo.prompts_per_batch, "curriculum.prompts_per_step",
              curriculum.prompts_per_step),
             ("grpo.max_staleness", grpo.max_staleness, "curriculum.trainer_asynchrony",
              curriculum.trainer_asynchrony),
             ("train.steps", config.train.steps, "curriculum.total_steps", curriculum.total_steps)]
    for left_name, left, right_name, right in pairs:
        if int(left) != int(right):
            raise ValueError(f"{left_name} ({left}) and {right_name} ({right}) must be equal")


def _rollout_to_json(rollout: rollout_lib.Rollout) -> dict:
    return {"step": rollout.step, "policy_version": rollout.policy_version, "group_size": rollout.group_size,
            "problems": [p.to_json() for p in rollout.problems], "prompt_tokens": rollout.prompt_tokens,
            "completion_tokens": rollout.completion_tokens, "behaviour_log_probs": rollout.behaviour_log_probs,
            "finish_reasons": rollout.finish_reasons, "texts": rollout.texts}


def _rollout_from_json(data: dict, group_size: int) -> rollout_lib.Rollout:
    """A saved pending rollout; `group_size` is the run's G, for checkpoints written before
    a rollout recorded its own."""
    return rollout_lib.Rollout(step=data["step"], policy_version=data["policy_version"],
                               group_size=int(data.get("group_size", group_size)),
                               problems=tuple(Problem.from_json(p) for p in data["problems"]),
                               prompt_tokens=data["prompt_tokens"], completion_tokens=data["completion_tokens"],
                               behaviour_log_probs=data["behaviour_log_probs"],
                               finish_reasons=data["finish_reasons"], texts=data["texts"])


def _host_share(rollout: rollout_lib.Rollout) -> rollout_lib.Rollout:
    """This host's rows of a global (all hosts') ungraded rollout: the ones it grades."""
    host_count = jax.process_count()
    if host_count == 1:
        return rollout
    size = rollout.size // host_count
    part = slice(jax.process_index() * size, (jax.process_index() + 1) * size)
    return dataclasses.replace(
        rollout, problems=rollout.problems[part], prompt_tokens=rollout.prompt_tokens[part],
        completion_tokens=rollout.completion_tokens[part], behaviour_log_probs=rollout.behaviour_log_probs[part],
        finish_reasons=rollout.finish_reasons[part], texts=rollout.texts[part])


def _with_all_grades(rollout: rollout_lib.Rollout, graded_share: rollout_lib.Rollout) -> rollout_lib.Rollout:
    """The global rollout with every host's grades (a collective: call from the main thread)."""
    if graded_share is rollout:
        return rollout
    return dataclasses.replace(
        rollout, rewards=distributed.gather_rows(graded_share.rewards),
        well_formed=distributed.gather_rows(graded_share.well_formed),
        reward_reasons=[r for part in distributed.gather_objects(graded_share.reward_reasons) for r in part])


class _UnwrittenMetrics:
    """The metrics log of processes other than 0: rows kept in memory, no files."""

    def __init__(self):
        self._rows: list[dict] = []

    def write(self, step: int, metrics) -> None:
        self._rows.append({"step": step, **{k: float(v) for k, v in metrics.items()}})

    def write_rollouts(self, step: int, samples) -> None:
        del step, samples

    def rows(self) -> list[dict]:
        return list(self._rows)

    def close(self) -> None:
        pass


def train(config, *, policy: Optional[Policy] = None, executor=None, progress: bool = True,
          stop_after_steps: Optional[int] = None) -> TrainResult:
    """Run (or resume) GRPO training as `config` says. `policy` and `executor` may be given
    (tests, the main job) instead of being built from the config."""
    _check_consistency(config)
    grpo = config.grpo
    attempt = rollout_lib.rollout_sampling(config)   # the step's log-probs use its temperature
    step_settings = TrainStepSettings.from_config(grpo, temperature=attempt.temperature)
    output_dir = str(config.output_dir)
    train_dir = run_paths.join(output_dir, "train")   # any filesystem: local, gs://, ...
    primary = distributed.is_primary()
    checkpoint_dir = checkpoint_directory(config)  # the resume policy first: nothing written yet
    resume = str(config.checkpoint.get("resume", "auto"))
    apply_resume_policy(checkpoint_dir, resume, bool(config.checkpoint.get("overwrite", False)), move=primary)
    run_paths.makedirs(train_dir)
    if primary:
        with run_paths.open_file(run_paths.join(train_dir, "config.json"), "w") as handle:
            handle.write(config.to_json_best_effort(indent=2, sort_keys=True))
    total_steps = int(config.train.steps)
    group_size = step_settings.group_size   # G, read from the config once; every rollout carries it from here on
    prompts_per_batch = int(grpo.prompts_per_batch)
    staleness = int(grpo.max_staleness)

    # ---------------------------------------------------------------- mesh
    mesh = make_mesh(**{axis: int(size) for axis, size in config.mesh.items()})

    # ---------------------------------------------------------------- model
    policy = policy or load_policy(config.model, mesh)
    policy.params = place(policy.params, parameter_shardings(policy.params, mesh))

    # ---------------------------------------------------------------- environments and sandbox
    environments = {name: make_environment(name, config.environments) for name in ENVIRONMENT_REGISTRY.names()}
    own_executor = executor is None
    if own_executor:
        executor = SandboxExecutor.from_config(config.sandbox).__enter__()
    grading_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="grading")

    # ---------------------------------------------------------------- train state and step
    optimizer = make_optimizer(grpo.optimizer)
    state = create_train_state(policy.params, optimizer)
    rows_sharding = batch_sharding(mesh, 1)
    step_fn = make_train_step(step_settings, policy.graphdef, optimizer, state_shardings(state), rows_sharding,
                              grpo.optimizer)

    # ---------------------------------------------------------------- checkpoint restore
    checkpointer = Checkpointer(checkpoint_dir, keep_last=int(config.checkpoint.keep_last),
                                async_save=bool(config.checkpoint.async_save))
    base_rng = replicated_key(jax.random.key(int(config.train.seed)), mesh)
    restored = checkpointer.restore_latest(state, base_rng)
    extra = {}
    restored_from = None
    if restored is None and resume == "must":
        raise ResumePolicyError(f"checkpoint.resume='must' but no checkpoint in {checkpoint_dir} could be restored")
    if restored is not None:
        state, base_rng, extra, restored_from = restored.state, restored.rng, restored.extra, restored.step
        print(f"train: resumed from checkpoint step {restored_from} in {checkpoint_dir}", file=sys.stderr)
    trained_steps = int(extra.get("trained_steps", 0))
    generated_steps = int(extra.get("generated_steps", 0))

    # ---------------------------------------------------------------- data
    settings = CurriculumSettings.from_config(config.curriculum)
    iterator = build_iterator(settings, policy.prompt_tokenizer, policy.render_chat,
                              prompt_messages=environment_prompt(environments),
                              host_index=jax.process_index(), host_count=jax.process_count(),
                              state=extra.get("curriculum"), pad_id=policy.pad_id)
    bins = band_family(settings.band_family or "broad")
    sequence_length = int(settings.max_prompt_tokens) + int(config.train.max_new_tokens)
    metrics_log = (MetricsLog(train_dir, resume_from_step=trained_steps if restored_from is not None else None)
                   if primary else _UnwrittenMetrics())
    preemption = _Preemption(bool(config.checkpoint.save_on_preemption))

    def sample(prompt_batch, rng_step: int, refill_index: int) -> rollout_lib.Rollout:
        """G completions for every host's prompts (one SPMD sampler call, the same on all hosts)."""
        prompts = [row[mask.astype(bool)].tolist() for row, mask in
                   zip(prompt_batch.token_ids, prompt_batch.attention_mask)]
        problems = prompt_batch.problems
        if jax.process_count() > 1:
            shares = distributed.gather_objects({"prompts": prompts, "problems": [p.to_json() for p in problems]})
            prompts = [prompt for share in shares for prompt in share["prompts"]]
            problems = tuple(Problem.from_json(text) for share in shares for text in share["problems"])
        sampler = Sampler(policy.graphdef, state.params, pad_id=policy.pad_id, mesh=mesh)
        rng = jax.random.fold_in(jax.random.fold_in(base_rng, rng_step), refill_index)
        return rollout_lib.sample_rollout(
            sampler, prompts, problems, group_size=group_size, sampling=attempt, stop_token_ids=policy.stop_token_ids,
            decode=policy.prompt_tokenizer.decode, rng=rng, step=rng_step, policy_version=int(state.step))

    def grade(item: rollout_lib.Rollout) -> rollout_lib.Rollout:
        return rollout_lib.grade_rollout(item, environments, executor)

    def grade_in_background(item: rollout_lib.Rollout) -> tuple[rollout_lib.Rollout, float]:
        started = time.perf_counter()
        graded = grade(item)
        return graded, time.perf_counter() - started   # the grading's own time, overlapped or not

    pending: collections.deque = collections.deque()
    for saved in extra.get("pending_rollouts", []):
        item = _rollout_from_json(saved, group_size)
        if item.group_size != group_size:
            raise ValueError(f"the checkpoint's pending rollouts have G={item.group_size} samples per prompt but "
                             f"grpo.group_size is {group_size}; resume with the G they were sampled with")
        pending.append((item, grading_pool.submit(grade_in_background, _host_share(item)), 0.0))

    bar = _progress(total_steps, trained_steps, progress and primary)
    try:
        while trained_steps < total_steps:
            timings = {}
            # -------- generate the next step's rollouts (up to k ahead of training)
            if generated_steps < total_steps and len(pending) <= staleness:
                started = time.perf_counter()
                prompt_batch = next(iterator)
                item = sample(prompt_batch, prompt_batch.step, 0)
                generation_time = time.perf_counter() - started
                pending.append((item, grading_pool.submit(grade_in_background, _host_share(item)), generation_time))
                generated_steps += 1
                if len(pending) <= staleness and generated_steps < total_steps:
                    continue
            # -------- train on the oldest rollout batch
            item, future, generation_time = pending.popleft()
            started = time.perf_counter()
            host_grades, timings["time_grading_s"] = future.result()
            graded = _with_all_grades(item, host_grades)
            timings["time_grading_wait_s"] = time.perf_counter() - started
            def draw_refill(refill_index: int, missing: int) -> rollout_lib.Rollout:
                missing_per_host = -(-missing // jax.process_count())
                extra_item = sample(iterator.refill(graded.step, refill_index, missing_per_host), graded.step,
                                    refill_index)
                return _with_all_grades(extra_item, grade(_host_share(extra_item)))

            selection = select_groups(graded, draw_refill, prompts_per_batch=prompts_per_batch,
                                      max_refills=int(config.train.max_refills), enabled=bool(grpo.dynamic_sampling))
            parts, informative, refills = list(selection.parts), selection.informative, selection.refills
            for part in parts:
                iterator.observe([p.id for p in part.group_problems()], part.grouped_rewards(), graded.step)
            chosen = rollout_lib.concatenate(parts).take_groups(selection.chosen_groups)
            if float(grpo.format_penalty) > 0:
                chosen = dataclasses.replace(chosen, rewards=apply_format_penalty(
                    chosen.rewards, chosen.well_formed, float(grpo.format_penalty)))
            # Each host builds only the rows its devices hold; together they form the global batch.
            first_row, end_row = distributed.process_row_range(rows_sharding, chosen.size)
            # every host computes the same length: `chosen` is the global batch
            length = rollout_lib.bucketed_length(chosen, sequence_length, int(config.train.get("sequence_bucket", 0)))
            arrays = rollout_lib.train_arrays(chosen, length, policy.pad_id, rows=range(first_row, end_row))
            started = time.perf_counter()
            version_before = int(state.step)
            state, step_metrics = step_fn(state, jax.random.fold_in(base_rng, 1_000_003 + graded.step),
                                          distributed.global_batch(arrays, rows_sharding, chosen.size))
            step_metrics = jax.device_get(step_metrics)
            timings["time_training_s"] = time.perf_counter() - started
            timings["time_generation_s"] = generation_time
            trained_steps += 1

            metrics = _step_metrics(graded, chosen, informative, refills, step_metrics, timings, bins, version_before)
            metrics_log.write(graded.step, metrics)
            if int(config.train.log_rollouts_per_step) > 0:
                metrics_log.write_rollouts(graded.step, [
                    {"problem_id": p.id, "environment": p.environment, "completion": t, "reward": float(r),
                     "reason": why} for p, t, r, why in list(zip(graded.problems, graded.texts, graded.rewards,
                                                                 graded.reward_reasons))[
                        :int(config.train.log_rollouts_per_step)]])
            bar.update(1)
            bar.set_postfix(reward=f"{metrics['reward_mean']:.3f}")

            # -------- checkpoint
            last = trained_steps == total_steps
            due = trained_steps % int(config.checkpoint.save_every_steps) == 0
            preempted = distributed.any_process(preemption.requested)   # every host saves, or none
            if due or last or preempted:
                extra = {"trained_steps": trained_steps, "generated_steps": generated_steps,
                         "curriculum": iterator.state_dict(),
                         "pending_rollouts": [_rollout_to_json(p[0]) for p in pending]}
                checkpointer.save(trained_steps, state, base_rng, extra)
            if preempted:
                checkpointer.wait_until_finished()
                print(f"train: SIGTERM: saved step {trained_steps}; exiting", file=sys.stderr)
                break
            if stop_after_steps is not None and trained_steps >= stop_after_steps:
                break
        checkpointer.wait_until_finished()
        if config.checkpoint.export_directory and trained_steps == total_steps:
            host_params = to_host(state.params)   # a collective: every process takes part
            if primary:
                export_policy(host_params, policy, str(config.checkpoint.export_directory),
                              dtype=str(config.checkpoint.get("export_dtype", "float32")),
                              max_shard_bytes=int(config.checkpoint.get("export_max_shard_mb", 2048)) << 20)
    finally:
        bar.close()
        preemption.close()
        metrics_log.close()
        grading_pool.shutdown(wait=True, cancel_futures=True)
        checkpointer.close()
        if own_executor:
            executor.__exit__(None, None, None)
    policy.params = state.params
    return TrainResult(final_step=trained_steps, metrics=metrics_log.rows(), output_dir=train_dir,
                       restored_from=restored_from)


def _step_metrics(graded, chosen, informative, refills, step_metrics, timings, bins, version_before) -> dict:
    """Everything logged for one step: rewards by bin and environment, the step's own
    metrics, timings and throughput."""
    metrics = {f"train/{k}": float(v) for k, v in step_metrics.items()}
    rewards = graded.rewards
    metrics["reward_mean"] = float(rewards.mean())
    metrics["pass_rate_any_in_group"] = float(graded.grouped_rewards().max(axis=1).mean())
    by_bin = collections.defaultdict(list)
    by_environment = collections.defaultdict(list)
    for problem, reward in zip(graded.problems, rewards):
        by_bin[bins.bin_of(problem.pass_rate) or "unbinned"].append(reward)
        by_environment[problem.environment].append(reward)
    for name, values in by_bin.items():
        metrics[f"reward_by_bin/{name}"] = float(np.mean(values))
    for name, values in by_environment.items():
        metrics[f"reward_by_environment/{name}"] = float(np.mean(values))
    lengths = np.array([len(t) for t in graded.completion_tokens])
    log_probs = np.concatenate([np.asarray(lp, np.float64) for lp in graded.behaviour_log_probs if len(lp)] or [[0.0]])
    metrics["response_length_mean"] = float(lengths.mean())
    metrics["entropy_estimate"] = float(-log_probs.mean())   # E[-log p] of sampled tokens: an entropy estimate
    metrics["groups_informative_fraction"] = float(informative.mean())
    metrics["dynamic_sampling_refills"] = float(refills)
    metrics["policy_version_sampled"] = float(graded.policy_version)
    metrics["policy_version_trained"] = float(version_before)
    metrics["staleness"] = float(version_before - graded.policy_version)
    metrics.update(timings)
    metrics["generation_tokens_per_s"] = float(lengths.sum() / max(timings["time_generation_s"], 1e-9)) \
        if timings["time_generation_s"] > 0 else 0.0
    metrics["training_tokens_per_s"] = float(
        (sum(len(p) + len(c) for p, c in zip(chosen.prompt_tokens, chosen.completion_tokens)))
        / max(timings["time_training_s"], 1e-9))
    return metrics


def _progress(total: int, done: int, enabled: bool):
    return tqdm(total=total, initial=done, desc="GRPO steps", unit="step", disable=not enabled, dynamic_ncols=True)


def train_measuring_synthetic_change(config, *, policy: Optional[Policy] = None, executor=None,
                                     progress: bool = True) -> TrainResult:
    """`train`, with the policy's pass rates on its synthetic training problems and on the
    held-out families measured before and after (the `synthetic_change` section), the paired
    changes written to <output_dir>/synthetic_change.json and printed. Single process: the
    measurement samples and grades on this host."""
    if jax.process_count() > 1:
        raise ValueError("synthetic_change.attempts > 0 needs a single-process run; measure the exported "
                         "policy afterwards with one process instead")
    section = config.synthetic_change
    output_dir = str(config.output_dir)
    problem_sets = synthetic_change.synthetic_problem_sets(config.curriculum.data_files, config.curriculum,
                                                           int(section.problem_limit))
    policy = policy or load_policy(config.model)
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(SandboxExecutor.from_config(config.sandbox))
        before = synthetic_change.policy_pass_rates(
            config, policy, executor, problem_sets, run_paths.join(output_dir, synthetic_change.BEFORE_FILE), "before")
        result = train(config, policy=policy, executor=executor, progress=progress)
        after = synthetic_change.policy_pass_rates(
            config, policy, executor, problem_sets, run_paths.join(output_dir, synthetic_change.AFTER_FILE), "after")
    changes = synthetic_change.write_changes(output_dir, before, after, int(section.seed))
    for name, change in changes.items():
        print(synthetic_change.change_text(name, change))
    return result


def main(config) -> None:
    distributed.initialize()   # before any JAX computation; a no-op for a single process
    try:
        result = train_measuring_synthetic_change(config) if int(config.synthetic_change.attempts) else train(config)
    except ResumePolicyError as error:
        sys.exit(f"error: {error}")
    last = result.metrics[-1] if result.metrics else {}
    if distributed.is_primary():
        print(json.dumps({"final_step": result.final_step, "reward_mean": last.get("reward_mean")}))


if __name__ == "__main__":
    run_with_config(main, "python -m rl.train --config=configs/train.py [--config.grpo.group_size=8 ...]",
                    preflight=check_training_data)

"""How often does a teacher write a valid first-turn instance? A quick probe of a teacher
and the prompt templates, without students or the multi-turn loop:

    python -m data_gen.teacher_probe --config=configs/data_gen.py --config.data_gen.num_seeds=16

For each configured environment, one seed-turn teacher call per seed (all in one batched
request), parsed and validated in the sandbox; prints the valid fraction and the
rejection reasons per environment, and writes every raw answer with its outcome to
`<output_dir>/teacher_probe.jsonl`. Use it before a long data-generation run, or to
compare prompt versions on the same seeds.
"""
from __future__ import annotations

import asyncio
import collections
import json
import os
import time

from data_gen.environments import make_environment
from data_gen.environments.base import ProblemProvenance, Rejection, TeacherContext
from data_gen.environments.skeletons import generate_in_skeleton
from data_gen.environments.validation import validate_many
from data_gen.main import make_seeds
from data_gen.pipeline import read_teacher_reply
from rl.generation.sampling import Sampling
from rl.cli import run_with_config
from rl.generation.factory import make_text_generator
from sandbox.executor import SandboxExecutor


def probe(config) -> dict:
    """Run the probe for a data_gen config; returns {environment: {"valid": n, "calls": n,
    "rejections": {reason: n}}}."""
    section = config.data_gen
    seeds = make_seeds(section)
    teacher = make_text_generator(config.teacher)
    sampling = Sampling.from_config(config.teacher)
    os.makedirs(config.output_dir, exist_ok=True)
    results = {}
    with SandboxExecutor.from_config(config.sandbox) as executor, \
            open(os.path.join(config.output_dir, "teacher_probe.jsonl"), "w") as log:
        for name in section.environments:
            environment = make_environment(name, config.environments)
            requests = [sampling.request(environment.render_teacher_prompt("seed", TeacherContext(seed_text=seed.text)),
                                         1, index) for index, seed in enumerate(seeds)]
            started = time.monotonic()
            completions = asyncio.run(_complete_all(teacher, requests, environment, sampling))
            texts = [sampling.response_prefix + completion.text for completion in completions]
            parsed = [read_teacher_reply(environment, text, completion.finish_reason, sampling.constrained)
                      for text, completion in zip(texts, completions)]
            instances = [(i, p) for i, p in enumerate(parsed) if not isinstance(p, Rejection)]
            validated = validate_many(environment, [p for _, p in instances], executor,
                                      [ProblemProvenance() for _ in instances])
            outcomes = list(parsed)
            for (index, _), outcome in zip(instances, validated):
                outcomes[index] = outcome
            reasons = collections.Counter(o.reason for o in outcomes if isinstance(o, Rejection))
            valid = sum(not isinstance(o, Rejection) for o in outcomes)
            results[name] = {"calls": len(texts), "valid": valid, "rejections": dict(reasons.most_common()),
                             "seconds": round(time.monotonic() - started, 1),
                             "completion_tokens": sum(c.completion_tokens for c in completions)}
            for seed, text, outcome in zip(seeds, texts, outcomes):
                rejected = isinstance(outcome, Rejection)
                log.write(json.dumps({"environment": name, "seed_id": seed.seed_id, "raw_text": text,
                                      "valid": not rejected,
                                      "reason": outcome.reason if rejected else None,
                                      "diagnostic": outcome.diagnostic if rejected else ""}) + "\n")
            log.flush()   # each environment's rows are on disk before the next one's calls start
            print(_summary_line(name, results[name]), flush=True)
    close = getattr(teacher, "close", None)
    if close is not None:
        close()
    return results


async def _complete_all(teacher, requests, environment, sampling):
    """Every request at once (the in-process client batches what arrives together)."""
    async def one(request):
        if sampling.constrained:
            return await generate_in_skeleton(teacher, request, environment.skeleton,
                                              sampling.tail_tokens_per_block)
        return (await teacher.agenerate([request]))[0].completions[0]

    return await asyncio.gather(*(one(request) for request in requests))


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a binomial proportion; (0, 1) for no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * ((p * (1 - p) / trials + z * z / (4 * trials * trials)) ** 0.5) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def main(config) -> None:
    results = probe(config)

    print(f"teacher {config.teacher.model}, prompts {config.environments.prompt_version}, constrained "
          f"{bool(config.teacher.get('constrained', False))}, response prefix "
          f"{config.teacher.get('response_prefix', '')!r}, {config.data_gen.num_seeds} seeds")
    for name, row in results.items():
        print(_summary_line(name, row))


def _summary_line(name: str, row: dict) -> str:
    low, high = wilson_interval(row["valid"], row["calls"])
    per_valid = f"{row['seconds'] / row['valid']:.1f} s" if row["valid"] else "n/a"
    return (f"{name}: {row['valid']}/{row['calls']} valid ({row['valid'] / max(row['calls'], 1):.0%}, 95% "
            f"[{low:.0%}, {high:.0%}]) in {row['seconds']} s ({per_valid} per valid instance, "
            f"{row['completion_tokens']} tokens); rejections {row['rejections']}")


if __name__ == "__main__":
    run_with_config(main, "python -m data_gen.teacher_probe --config=configs/data_gen.py "
                          "[--config.data_gen.num_seeds=16]")

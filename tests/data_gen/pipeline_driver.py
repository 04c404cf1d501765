"""Runs the pipeline with the scripted doubles and the real sandbox; also a subprocess entry
point (`python -m tests.data_gen.pipeline_driver OUT [--kill-after N]`) for kill tests."""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

from configs.sections.data_gen import get_data_gen_config
from data_gen import contamination as contamination_lib
from data_gen.environments import make_environment
from data_gen.pipeline import DataGenPipeline
from data_gen.sampling import stable_seed
from data_gen.seeds import Seed
from rl.generation.sampling import Sampling
from sandbox.executor import SandboxExecutor
from tests.data_gen.pipeline_doubles import SEED_TEXT, ScriptedStudentDouble, ScriptedTeacherDouble

MARKERS = ("alpha", "beta")


def make_seeds(markers: Sequence[str] = MARKERS) -> list[Seed]:
    return [Seed(f"seed-{m}", "code", f"test:{m}", SEED_TEXT.format(marker=m)) for m in markers]


def make_config(**overrides):
    config = get_data_gen_config()
    config.environments = ("induction",)
    config.turns = 6
    config.student_attempts = 8
    config.max_concurrent_families = 2
    config.contamination_humaneval = False
    config.update(overrides)
    return config


def first_turns(seeds: Sequence[Seed]) -> dict[int, str]:
    stages = {"alpha": "broken", "beta": "beta_seed", "gamma": "he_copy"}
    return {stable_seed(f"{s.seed_id}-induction-mt-t01"): stages[s.seed_id.split("-")[1]] for s in seeds
            if s.seed_id.split("-")[1] in stages}


def run(output_dir: str, seeds: Optional[Sequence[Seed]] = None, kill_after: Optional[int] = None,
        fail_after: Optional[int] = None, contamination: bool = False, response_prefix: str = "",
        student=None, **overrides) -> dict:
    seeds = list(seeds or make_seeds())
    config = make_config(**overrides)
    index = contamination_lib.build_index() if contamination else None
    teacher = ScriptedTeacherDouble(first_turns(seeds), kill_after=kill_after, fail_after=fail_after)
    with SandboxExecutor(workers=2) as executor:
        pipeline = DataGenPipeline(
            config, teacher=teacher, student=student or ScriptedStudentDouble(), executor=executor,
            environments={"induction": make_environment("induction")}, output_dir=output_dir,
            teacher_sampling=Sampling(response_prefix=response_prefix), student_sampling=Sampling(),
            teacher_model="scripted-teacher-double",
            contamination=index, progress=False)
        return pipeline.run(seeds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output_dir")
    parser.add_argument("--kill-after", type=int, default=None)
    args = parser.parse_args()
    run(args.output_dir, kill_after=args.kill_after)


if __name__ == "__main__":
    main()

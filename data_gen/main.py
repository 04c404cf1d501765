"""Data generation from the command line:

    python -m data_gen.main --config=configs/data_gen.py [--config.data_gen.num_seeds=8 ...]

Makes the seeds, drops contaminated ones, runs the multi-turn and single-turn arms into
`config.output_dir` (resuming whatever is there), then writes the report, the dataset
card and the resolved config beside the data. `generate_dataset` is the one entry to data
generation: this command and the main job (`rl.main`) both call it.
"""
from __future__ import annotations

import contextlib
import os
from typing import Optional

from configs.sections.data_gen import SEED_SOURCES
from data_gen import contamination, output_layout, report
from data_gen import seeds as seeds_lib
from data_gen.environments import make_environment
from data_gen.pipeline import DataGenPipeline
from rl.generation.sampling import Sampling
from rl.cli import run_with_config
from rl.generation.factory import make_text_generator
from sandbox.executor import SandboxExecutor
from configs import run_paths
from rl.state_files import write_json_atomic


def make_seeds(section):
    common = dict(min_lines=int(section.seed_min_lines), max_lines=int(section.seed_max_lines))
    source = str(section.seed_source)
    if source == "stdlib":
        found = seeds_lib.random_code_seeds(int(section.num_seeds), int(section.seed_rng), **common)
    elif source == "directory":
        found = seeds_lib.random_code_seeds(int(section.num_seeds), int(section.seed_rng), root=section.seed_path,
                                            **common)
    elif source == "jsonl_code":
        found = seeds_lib.code_seeds_from_jsonl(section.seed_path, int(section.num_seeds), int(section.seed_rng),
                                                field=section.seed_field or "content", **common)
    elif source == "jsonl_solutions":
        found = seeds_lib.solution_seeds_from_jsonl(section.seed_path, field=section.seed_field or "solution",
                                                    limit=int(section.num_seeds))
    else:
        raise ValueError(f"data_gen.seed_source {source!r} is unknown; choose one of {', '.join(SEED_SOURCES)}")
    return seeds_lib.shard_for_host(found, int(section.host_index), int(section.host_count))


def make_clients(teacher_section, student_section, teacher=None, student=None):
    """The teacher and student clients, each built from its section unless given; one
    in-process model serves both roles when they name the same model (sampling settings
    travel with each request)."""
    teacher = teacher or make_text_generator(teacher_section)
    if student is not None:
        return teacher, student
    same_model = (teacher_section.backend == student_section.backend == "in_process"
                  and teacher_section.model == student_section.model)
    return teacher, teacher if same_model else make_text_generator(student_section)


def contamination_index(section) -> Optional[contamination.ContaminationIndex]:
    """The benchmarks' n-gram index the `data_gen` section asks for, or None."""
    if not (section.contamination_humaneval or section.contamination_livecodebench_files):
        return None
    return contamination.build_index(bool(section.contamination_humaneval),
                                     tuple(section.contamination_livecodebench_files),
                                     n=int(section.contamination_ngram),
                                     threshold=float(section.contamination_threshold))


def generate_dataset(config, output_dir: str, *, student_sampling: Optional[Sampling] = None, teacher=None,
                     student=None, executor=None, progress: bool = True) -> dict:
    """Generate (or resume) a dataset into `output_dir` from a full config (sections
    data_gen, teacher, student, sandbox, environments): seeds, contamination filter, the
    pipeline, then the report, the dataset card and last `manifest.json` (whose "complete"
    marks a finished dataset); returns the report's summary. The one entry of both
    `python -m data_gen.main` and the main job (`rl.main`), which passes the rollouts'
    settings as `student_sampling` (default: the `student` section's); `teacher`,
    `student` and `executor` may be given instead of being built from the config."""
    section = config.data_gen
    run_paths.makedirs(output_dir)
    seeds = make_seeds(section)
    index = contamination_index(section)
    environments = {name: make_environment(name, config.environments) for name in section.environments}
    teacher, student = make_clients(config.teacher, config.student, teacher, student)
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(SandboxExecutor.from_config(config.sandbox))
        pipeline = DataGenPipeline(section, teacher=teacher, student=student, executor=executor,
                                   environments=environments, output_dir=output_dir,
                                   teacher_sampling=Sampling.from_config(config.teacher),
                                   student_sampling=student_sampling or Sampling.from_config(config.student),
                                   teacher_model=str(config.teacher.model), contamination=index, progress=progress)
        manifest = pipeline.run(seeds)
    manifest["student_model"] = str(config.student.model)
    summary = report.write_report(output_dir, tuple(section.usable_band), manifest)
    report.write_dataset_card(output_dir, config.to_json_best_effort(indent=2, sort_keys=True), manifest, summary)
    write_json_atomic(output_layout.manifest_path(output_dir), manifest)
    return summary


def run_data_gen(config, progress: bool = True) -> dict:
    """`python -m data_gen.main`: the resolved config beside the data, then `generate_dataset`
    into `config.output_dir`; returns the report's summary."""
    output_dir = config.output_dir
    run_paths.makedirs(output_dir)   # before the config file; generate_dataset makes it too
    with run_paths.open_file(os.path.join(output_dir, "data_gen_config.json"), "w") as handle:
        handle.write(config.to_json_best_effort(indent=2, sort_keys=True))
    return generate_dataset(config, output_dir, progress=progress)


def main(config) -> None:
    summary = run_data_gen(config)
    ratio = summary.get("yield_ratio", {})
    print(f"report: {os.path.join(config.output_dir, 'report.md')}")
    if ratio.get("seeds"):
        print(f"multi-turn / single-turn yield ratio: {report.ratio_text(ratio)} (95% CI {ratio.get('ratio_ci95')})")


if __name__ == "__main__":
    run_with_config(main, "python -m data_gen.main --config=configs/data_gen.py [--config.data_gen.num_seeds=8 ...]")

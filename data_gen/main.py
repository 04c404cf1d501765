"""Data generation from the command line:

    python -m data_gen.main --config=configs/data_gen.py [--config.data_gen.num_seeds=8 ...]

Makes the seeds, drops contaminated ones, runs the multi-turn and single-turn arms into
`config.output_dir` (resuming whatever is there), then writes the report, the dataset
card and the resolved config beside the data.
"""
from __future__ import annotations

import os

from configs.sections.data_gen import SEED_SOURCES
from data_gen import contamination, report
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


def make_clients(teacher_section, student_section, teacher=None):
    """The teacher and student clients; one in-process model serves both roles when they
    name the same model (sampling settings travel with each request)."""
    teacher = teacher or make_text_generator(teacher_section)
    same_model = (teacher_section.backend == student_section.backend == "in_process"
                  and teacher_section.model == student_section.model)
    return teacher, teacher if same_model else make_text_generator(student_section)


def run_data_gen(config, progress: bool = True) -> dict:
    """Run data generation for a full config (sections data_gen, teacher, student, sandbox,
    environments, output_dir); returns the report."""
    section = config.data_gen
    output_dir = config.output_dir
    run_paths.makedirs(output_dir)
    with run_paths.open_file(os.path.join(output_dir, "data_gen_config.json"), "w") as handle:
        handle.write(config.to_json_best_effort(indent=2, sort_keys=True))
    seeds = make_seeds(section)
    index = None
    if section.contamination_humaneval or section.contamination_livecodebench_files:
        index = contamination.build_index(bool(section.contamination_humaneval),
                                          tuple(section.contamination_livecodebench_files),
                                          n=int(section.contamination_ngram),
                                          threshold=float(section.contamination_threshold))
    environments = {name: make_environment(name, config.environments) for name in section.environments}
    teacher, student = make_clients(config.teacher, config.student)
    with SandboxExecutor.from_config(config.sandbox) as executor:
        pipeline = DataGenPipeline(section, teacher=teacher, student=student, executor=executor,
                                   environments=environments, output_dir=output_dir,
                                   teacher_sampling=Sampling.from_config(config.teacher),
                                   student_sampling=Sampling.from_config(config.student),
                                   teacher_model=str(config.teacher.model), contamination=index, progress=progress)
        manifest = pipeline.run(seeds)
    manifest["student_model"] = str(config.student.model)
    write_json_atomic(os.path.join(output_dir, "manifest.json"), manifest)
    summary = report.write_report(output_dir, tuple(section.usable_band), manifest)
    report.write_dataset_card(output_dir, config.to_json_best_effort(indent=2, sort_keys=True), manifest, summary)
    return summary


def main(config) -> None:
    summary = run_data_gen(config)
    ratio = summary.get("yield_ratio", {})
    print(f"report: {os.path.join(config.output_dir, 'report.md')}")
    if ratio.get("seeds"):
        print(f"multi-turn / single-turn yield ratio: {report.ratio_text(ratio)} (95% CI {ratio.get('ratio_ci95')})")


if __name__ == "__main__":
    run_with_config(main, "python -m data_gen.main --config=configs/data_gen.py [--config.data_gen.num_seeds=8 ...]")

"""The embedded default: the whole loop on one 2-core CPU machine with the offline
Qwen2.5-Coder-0.5B-Instruct pack as teacher, student and policy:

    python -m rl.main --config=configs/default.py [--config.output_dir=runs/default]

About 25 minutes after set-up on a 2-core CPU (docs/RESULTS.md): one turn of 16 seeds in
each of the deduction and abduction environments, the teacher held to each environment's
output skeleton (structured decoding, prompts v2; about 7 minutes, 9 usable problems), M=8
student attempts under the rollouts' settings; 8 GRPO updates on the usable problems
(about 70 s each here); the policy measured on its training and held-out synthetic problems
and on a fixed 20-problem HumanEval subset before and after (about 4 minutes each).
The teacher and student share one in-process generator, which batches the concurrent calls
of all families (faster here than the JetStream server, which prefills one request at a
time: `--config.teacher.backend=jetstream` serves it instead). `get_config("smoke")` is a
few-minute version for checking the wiring.
"""
from __future__ import annotations

import ml_collections

from configs.sections.model import get_model_config
from configs import train as train_config
from configs.sections.data_gen import get_data_gen_config
from configs.sections.eval import get_eval_config
from configs.sections.teacher import apply_cpu_teacher_settings, get_student_config
from configs.validation import require


def main_section() -> ml_collections.ConfigDict:
    """`dataset_dir`: an existing data_gen output to train on instead of generating one;
    the JetStream server the job starts for the teacher (when teacher.backend is jetstream
    and teacher.address is empty) uses `serve_config` plus `serve_overrides`. (The before and
    after measurement on the run's own synthetic problems is the `synthetic_change` section.)"""
    section = ml_collections.ConfigDict()
    section.dataset_dir = ""
    section.serve_config = "configs/serve.py"
    section.serve_overrides = ml_collections.ConfigDict({"slots": 4, "max_prefill_length": 2048,
                                                         "max_cache_length": 3072})
    section.serve_start_timeout_s = 900.0
    return section


def get_config(size: str = "") -> ml_collections.ConfigDict:
    if size not in ("", "smoke"):
        raise ValueError(f"unknown size {size!r} for configs/default.py; use '' or 'smoke'")
    smoke = size == "smoke"
    config = train_config.get_config()
    config.output_dir = "runs/default"
    config.model = get_model_config("qwen2.5-coder-0.5b-instruct", dtype="bfloat16", remat=True)
    config.main = main_section()

    config.student = get_student_config()       # same model: the teacher's generator serves it;
    config.student.dtype = "bfloat16"           # rl.main samples it with the rollouts' settings

    config.data_gen = get_data_gen_config()
    apply_cpu_teacher_settings(config)          # the constrained 0.5B teacher, prompts v2, short seeds
    config.data_gen.environments = ("deduction", "abduction")
    config.data_gen.num_seeds = 2 if smoke else 16
    # One turn: on this CPU a second turn of the 0.5B teacher gave 1 valid and 0 usable
    # problems in 16 calls for 7 minutes (docs/RESULTS.md); the minutes go to more seeds.
    # The experiment configs keep the paper's multi-turn refinement.
    config.data_gen.turns = 1
    config.data_gen.student_attempts = 8        # M: the floor the pipeline accepts (paper: 32)
    config.data_gen.chains = False
    config.data_gen.single_turn = False
    config.data_gen.max_concurrent_families = 32

    config.train.steps = 2 if smoke else 8
    config.train.max_new_tokens = 128 if smoke else 192
    config.grpo.group_size = 4
    config.grpo.prompts_per_batch = 2
    config.grpo.optimizer.learning_rate = 1e-5   # 2e-5 collapsed the policy within 4 updates (docs/RESULTS.md)
    config.grpo.optimizer.warmup_steps = 0
    config.curriculum.schedule = "uniform"
    config.curriculum.held_out_fraction = 0.25   # by family: the held-out synthetic evaluation
    config.curriculum.pass_rate_range = config.data_gen.get_ref("usable_band")   # problems with signal
    config.curriculum.max_prompt_tokens = 256    # the student prompts are at most 225 tokens: one shape, one compile
    config.curriculum.bucket_boundaries = ()
    # One checkpoint, at the end, written before the evaluation starts: a save is about 6 GB
    # (float32 parameters and Adam moments), and a save in the background beside the next
    # update took this 24 GB machine past its memory twice (docs/RESULTS.md). A run killed
    # during training redoes its updates; data generation and the first evaluation are kept.
    config.checkpoint.save_every_steps = config.train.get_ref("steps")
    config.checkpoint.async_save = False
    config.checkpoint.keep_last = 1
    config.sandbox.workers = 2

    config.synthetic_change.attempts = 8        # before/after on the training and held-out problems
    config.eval = get_eval_config()
    config.eval.benchmarks = ("humaneval",)
    config.eval.humaneval.limit = 4 if smoke else 20
    config.eval.max_new_tokens = 320             # the longest HumanEval-20 completion was 316 tokens
    config.eval.batch_size = 20
    return config


def validate_main(section: ml_collections.ConfigDict, name: str = "main") -> None:
    """The `main` section (main_section above)."""
    require(section.serve_start_timeout_s > 0, f"{name}.serve_start_timeout_s", section.serve_start_timeout_s,
            "out of range, it must be > 0")

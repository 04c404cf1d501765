"""Test doubles and helpers for trainer tests: a ten-digit tokenizer, a tiny policy, a
small dataset of real abduction problems validated in the sandbox, and a subprocess entry
point (`python -m tests.rl.train_doubles RUN_DIR DATA_FILE [--stop-after N]`) for kill and
preemption tests."""
from __future__ import annotations

import argparse
import hashlib
from typing import Optional, Sequence

from configs.train import get_config
from data_gen.environments import make_environment, validate
from data_gen.environments.base import ProblemProvenance
from data_gen.records import StudentStats
from rl.policy import policy_from_model

DIGITS = "0123456789"
END_ID, PAD_ID = 10, 11


class DigitTokenizerDouble:
    """Twelve tokens: the digits, an end token and padding. Any text encodes, one token per
    line (a hash of the line mod 10), so prompts are short yet differ between problems;
    generated digits decode to a literal answer."""

    stop_token_ids = (END_ID,)
    pad_token_id = PAD_ID
    vocab_size = 12

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return [hashlib.sha256(line.encode()).digest()[0] % 10 for line in text.splitlines()]

    def decode(self, token_ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return "".join(DIGITS[t] for t in token_ids if t < 10)

    def apply_chat_template(self, messages, add_generation_prompt: bool = True) -> str:
        return "".join(f"[{m['role']}] {m['content']}\n" for m in messages) + ("[assistant]" if add_generation_prompt else "")

    def encode_chat(self, messages, add_generation_prompt: bool = True) -> list[int]:
        return self.encode(self.apply_chat_template(messages, add_generation_prompt))


# f, the teacher's input, student pass rate. Digits in the accepted set earn reward 1.
ABDUCTION_TASKS = (
    ("def f(x):\n    return x % 2 == 0\n", "4", 6),
    ("def f(x):\n    return x % 3 == 0 and x > 0\n", "6", 3),
    ("def f(x):\n    return x > 6\n", "8", 5),
    ("def f(x):\n    return x < 4\n", "1", 4),
)


def write_abduction_dataset(path: str, executor, tasks=ABDUCTION_TASKS) -> list:
    """Validate the tasks through the abduction environment in the sandbox and write them."""
    environment = make_environment("abduction")
    problems = []
    for index, (code, argument, passes) in enumerate(tasks):
        text = f"```python\n{code}```\n```input\n{argument}\n```\n"
        instance = environment.parse_teacher(text)
        problem = validate(environment, instance, executor,
                          ProblemProvenance(family_id=f"family-{index}", seed_provenance="test"))
        assert not hasattr(problem, "reason"), problem
        problems.append(problem.__class__(**{**problem.__dict__, "student": StudentStats(8, passes)}))
    with open(path, "w") as handle:
        for problem in problems:
            handle.write(problem.to_json() + "\n")
    return problems


def tiny_digit_policy(seed: int = 0):
    from tests.fixtures.tiny_model import tiny_model

    model = tiny_model("qwen2", seed=seed, vocab_size=12)
    return policy_from_model("tiny-digit-policy", model, DigitTokenizerDouble(), model.config)


def train_config(run_dir: str, data_file: str, steps: int = 4, **grpo_overrides):
    config = get_config("smoke")
    config.output_dir = run_dir
    config.train.steps = steps
    config.train.max_new_tokens = 1
    config.train.max_refills = 0
    config.train.log_rollouts_per_step = 2
    config.grpo.group_size = 8
    config.grpo.prompts_per_batch = 4
    config.grpo.optimizer.learning_rate = 3e-2
    config.grpo.optimizer.warmup_steps = 0
    config.grpo.optimizer.total_steps = 1000
    config.grpo.optimizer.weight_decay = 0.0
    config.grpo.update(grpo_overrides)
    config.curriculum.data_files = (data_file,)
    config.curriculum.held_out_fraction = 0.0
    config.curriculum.backend = "python"
    config.curriculum.max_prompt_tokens = 48
    config.curriculum.bucket_boundaries = (48,)
    config.checkpoint.save_every_steps = 1
    config.checkpoint.async_save = False
    return config


def main_job_config(run_dir: str, dataset_dir: str, steps: int = 3):
    """configs/default.py's smoke size pointed at a tiny dataset, with the digit policy's
    settings (one-token answers, short prompts) and HumanEval cut to two problems."""
    from configs.default import get_config as get_default_config

    config = get_default_config("smoke")
    small = train_config(run_dir, "", steps=steps, overlong_filtering=False)
    for section in ("train", "grpo", "curriculum", "checkpoint"):
        config[section] = small[section]
    config.output_dir = run_dir
    config.main.dataset_dir = dataset_dir
    config.eval.humaneval.limit = 2
    config.eval.max_new_tokens = 4
    config.eval.show_progress = False
    return config


def main() -> None:
    from rl.train import train
    from sandbox.executor import SandboxExecutor

    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("data")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--stop-after", type=int, default=None)
    parser.add_argument("--main-job", action="store_true", help="run rl.main on DATA (a dataset dir)")
    args = parser.parse_args()
    with SandboxExecutor(workers=2) as executor:
        if args.main_job:
            from rl.main import run_main

            run_main(main_job_config(args.run_dir, args.data, steps=args.steps), policy=tiny_digit_policy(),
                     executor=executor, progress=False)
            return
        config = train_config(args.run_dir, args.data, steps=args.steps)
        train(config, policy=tiny_digit_policy(), executor=executor, progress=False,
              stop_after_steps=args.stop_after)


if __name__ == "__main__":
    main()

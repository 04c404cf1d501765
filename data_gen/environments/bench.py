"""Rewards per second per environment for a batch of answers graded through the sandbox pool.

    python -m data_gen.environments.bench --batch 256 --workers 2

For each environment one problem is validated in the sandbox from a fixed teacher
output (contest: a stdin problem with 5 tests), then a batch of answers, half right and
half wrong, is graded with one `grade` call after a small warm-up batch. Prints one line
per environment: `<name> rewards_per_s=<rate> batch=<n> seconds=<t> mean_reward=<r>`.
"""
from __future__ import annotations

import argparse
import time

from data_gen.environments import GradingItem, grade, make_environment, validate
from data_gen.records import Problem
from sandbox.executor import SandboxExecutor

FENCE = "```"

TEACHER_OUTPUTS = {
    "induction": (f"{FENCE}python\ndef f(xs):\n    return sorted(xs, key=lambda v: (v % 10, v))\n{FENCE}\n"
                  + "".join(f"{FENCE}input\n{text}\n{FENCE}\n" for text in
                            ("[12, 3, 41]", "[]", "[9, 19, 8]", "[100, 7, 77, 70]", "[5]", "[21, 11, 1]"))
                  + f"{FENCE}message\nOrder by a digit.\n{FENCE}\n"),
    "deduction": (f"{FENCE}python\ndef f(xs, k):\n    return xs[k:] + xs[:k]\n{FENCE}\n"
                  f"{FENCE}input\n[1, 2, 3, 4], 1\n{FENCE}\n"),
    "abduction": f"{FENCE}python\ndef f(a, b):\n    return sorted(set(a) & set(b))\n{FENCE}\n"
                 f"{FENCE}input\n[1, 2, 3, 4], [3, 4, 5]\n{FENCE}\n",
    "fuzzing": (f"{FENCE}python\ndef f(x):\n    return int(str(x)[::-1])\n\ndef pre_test_f(x):\n"
                f"    return isinstance(x, int)\n\ndef test_f(x):\n    return f(f(x)) == x\n{FENCE}\n"
                f"{FENCE}witness\n-12\n{FENCE}\n"),
}

ANSWERS = {
    "induction": ("```python\ndef f(xs):\n    return sorted(xs, key=lambda v: (v % 10, v))\n```",
                  "```python\ndef f(xs):\n    return sorted(xs)\n```"),
    "deduction": ("```output\n[2, 3, 4, 1]\n```", "```output\n[4, 1, 2, 3]\n```"),
    "abduction": ("```input\n[3, 4], [4, 3]\n```", "```input\n[1], [2]\n```"),
    "fuzzing": ("```input\n10\n```", "```input\n123\n```"),
    "contest": ("```python\nn = int(input())\nprint(sum(map(int, input().split())))\n```",
                "```python\nn = int(input())\nprint(n)\n```"),
}


def contest_problem() -> Problem:
    cases = [(f"3\n{a} {a + 1} {a + 2}\n", f"{3 * a + 3}\n") for a in range(5)]
    return Problem(id="bench-contest", environment="contest", provenance="real", statement="Sum N integers.",
                   inputs=tuple(c[0] for c in cases), outputs=tuple(c[1] for c in cases), num_visible=1,
                   test_mode="stdio")


def bench_problem(name: str, executor) -> Problem:
    if name == "contest":
        return contest_problem()
    environment = make_environment(name)
    problem = validate(environment, environment.parse_teacher(TEACHER_OUTPUTS[name]), executor)
    if not isinstance(problem, Problem):
        raise RuntimeError(f"the benchmark's {name} instance was rejected: {problem}")
    return problem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--workers", type=int, default=None, help="sandboxes in the pool (default: CPU count)")
    parser.add_argument("--backend", default="gvisor")
    parser.add_argument("--environments", default="induction,deduction,abduction,fuzzing,contest")
    args = parser.parse_args()

    with SandboxExecutor(workers=args.workers, backend=args.backend) as executor:
        for name in args.environments.split(","):
            environment = make_environment(name)
            problem = bench_problem(name, executor)
            right, wrong = ANSWERS[name]
            items = [GradingItem(environment, problem, right if i % 2 == 0 else wrong) for i in range(args.batch)]
            grade(items[:8], executor)  # warm-up
            started = time.perf_counter()
            results = grade(items, executor)
            seconds = time.perf_counter() - started
            mean = sum(r.reward for r in results) / len(results)
            print(f"{name} rewards_per_s={len(results) / seconds:.1f} batch={len(results)} "
                  f"seconds={seconds:.2f} mean_reward={mean:.2f}", flush=True)


if __name__ == "__main__":
    main()

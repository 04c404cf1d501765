"""MATH500 and AIME as JSONL of problem and answer, graded with `math-verify`.

Field names follow the released files: MATH500 (HuggingFaceH4/MATH-500: `problem`,
`answer`, `unique_id`, `level`, `subject`) and the AIME sets (`problem`/`Problem`/
`question`, `answer`/`Answer`, `id`/`ID`). MATH500 problems also land in a split per
level ("level_1" .. "level_5"); AIME problems in a split per year when the id or url
names one.
A malformed line is skipped and counted, with the count reported.
"""
from __future__ import annotations

import dataclasses
import json
import re
from typing import Optional, Sequence

import ml_collections

from rl.evaluation.benchmark import ALL_SPLIT, BENCHMARKS, EvalItem, Grade, GradingResources, chat
from rl.evaluation.math_answers import FORMAT_INSTRUCTION, grade_math_answer

_PROBLEM_FIELDS = ("problem", "Problem", "question", "Question")
_ANSWER_FIELDS = ("answer", "Answer", "final_answer")
_ID_FIELDS = ("unique_id", "id", "ID", "problem_id")


@dataclasses.dataclass(frozen=True)
class MathProblem:
    problem_id: str
    problem: str
    answer: str
    splits: tuple[str, ...] = (ALL_SPLIT,)


@dataclasses.dataclass(frozen=True)
class MathLoadResult:
    problems: tuple[MathProblem, ...]
    skipped: dict[str, int]


def _first(record: dict, names: Sequence[str]) -> Optional[object]:
    return next((record[name] for name in names if record.get(name) not in (None, "")), None)


def _splits(record: dict, problem_id: str) -> tuple[str, ...]:
    splits = [ALL_SPLIT]
    level = record.get("level")
    if level not in (None, ""):
        splits.append(f"level_{level}")
    year = re.search(r"(19|20)\d\d", f"{problem_id} {record.get('url', '')}")
    if "level" not in record and year:
        splits.append(year.group(0))
    return tuple(splits)


def load_math_jsonl(path: str, benchmark: str) -> MathLoadResult:
    """Problems with their gold answers from a JSONL file; malformed lines skipped and counted."""
    problems, skipped = [], {}
    try:
        file = open(path)
    except OSError:
        raise ValueError(f"{benchmark} file {path!r} not found; set eval.{benchmark}.path to the "
                         "benchmark's JSONL (problem and answer per line)") from None
    with file:
        for line_number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                skipped["not_json"] = skipped.get("not_json", 0) + 1
                continue
            problem, answer = _first(record, _PROBLEM_FIELDS), _first(record, _ANSWER_FIELDS)
            if problem is None or answer is None:
                skipped["missing_problem_or_answer"] = skipped.get("missing_problem_or_answer", 0) + 1
                continue
            problem_id = str(_first(record, _ID_FIELDS) or f"{benchmark}/{line_number}")
            problems.append(MathProblem(problem_id, str(problem), str(answer), _splits(record, problem_id)))
    return MathLoadResult(tuple(problems), skipped)


class MathBenchmark:
    """A math answer benchmark: the problem plus the boxed-answer instruction; math-verify grading."""

    def __init__(self, name: str, problems: Sequence[MathProblem]):
        self.name = name
        self._problems = {problem.problem_id: problem for problem in problems}

    def items(self) -> list[EvalItem]:
        return [EvalItem(problem_id=problem.problem_id,
                         messages=chat(None, f"{problem.problem}\n\n{FORMAT_INSTRUCTION}"),
                         splits=problem.splits, reference=problem.problem_id)
                for problem in self._problems.values()]

    def grade(self, items: Sequence[EvalItem], completions: Sequence[Sequence[str]]) -> list[list[Grade]]:
        grades = []
        for item, answers in zip(items, completions):
            gold = self._problems[item.reference].answer
            graded = [grade_math_answer(gold, answer) for answer in answers]
            grades.append([Grade(correct, f"extracted {extracted}") for correct, extracted in graded])
        return grades


def _make(name: str):
    def make(config: ml_collections.ConfigDict, resources: GradingResources) -> MathBenchmark:
        loaded = load_math_jsonl(config.path, name)
        if loaded.skipped:
            print(f"{name}: skipped malformed lines {loaded.skipped}")
        problems = loaded.problems[: config.limit] if config.limit > 0 else loaded.problems
        return MathBenchmark(name, problems)

    make.__doc__ = f"Built from `eval.{name}`: path (JSONL), limit."
    return make


BENCHMARKS.register("math500")(_make("math500"))
BENCHMARKS.register("aime")(_make("aime"))

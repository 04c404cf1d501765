"""The multi-turn teacher-refinement loop, stepping-stone chains and the single-turn
baseline, over many seeds and environments at once.

Per seed and environment (a *family*) the teacher writes an instance from the seed; each
valid instance is attempted M times by the student and summarised; the teacher then sees
its previous output, the validation outcome and the summary in context and writes a
repair, a harder or an easier variant (`turn_policy`). After the loop, a usable problem
in the hard chain bin is walked down to a medium and an easy variant (a chain). The
single-turn arm makes independent one-shot calls on the same seed until it has spent the
same teacher tokens (prompt + completion) as the multi-turn loop did on that family.

Teacher calls, student calls and sandbox jobs of different families overlap (asyncio,
bounded by `max_concurrent_families`). Every outcome is appended to JSONL shards the
moment it exists, and a family's state is rebuilt on restart by replaying its recorded
attempts through the same decisions, so a run killed at any point resumes without
duplicates or losses.

Departures from the paper: the student here is any text generator (the paper uses the
teacher model at low reasoning effort); teacher tokens count prompt and completion
tokens, which charges multi-turn's growing context against it rather than for it.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Mapping, Optional, Sequence

import ml_collections
from tqdm.auto import tqdm

from data_gen import output_layout, turn_policy
from data_gen.contamination import ContaminationIndex
from data_gen.environments import ProblemProvenance, Rejection, SyntheticEnvironment, TeacherContext, validate_async
from data_gen.environments.base import RELATION_OF_TURN, Instance
from data_gen.environments.skeletons import generate_in_skeleton
from data_gen.records import Attempt, Chain, Family, Problem, RejectionReason
from data_gen.seeds import Seed
from data_gen.shards import ShardWriter, read_records
from data_gen.summary import GradedAttempt, summarize
from data_gen.attempt import attempt_request, grade_attempts_async
from data_gen.sampling import stable_seed
from rl.generation.sampling import Sampling
from configs import run_paths
from rl.generation.types import Completion, GenerationRequest, TextGenerator


class TeacherUnavailableError(RuntimeError):
    """The teacher (or student) server failed after the client's retries."""


def read_teacher_reply(environment: SyntheticEnvironment, text: str, finish_reason: str,
                       constrained: bool) -> "Instance | Rejection":
    """Parse a teacher reply; a reply cut by the token limit is `truncated` when it does not
    parse, and always when it was decoded under a skeleton (then its last block is unfinished)."""
    outcome = environment.parse_teacher(text)
    if finish_reason == "length" and (constrained or isinstance(outcome, Rejection)):
        detail = outcome.diagnostic if isinstance(outcome, Rejection) else "the reply stops inside its last block"
        return Rejection(RejectionReason.TRUNCATED, f"the reply reached the token limit: {detail}"[:300])
    return outcome


@dataclasses.dataclass
class _Turn:
    """One teacher call's outcome as the loop sees it (fresh or replayed from disk)."""

    attempt: Attempt
    problem: Optional[Problem]

    @property
    def rejection(self) -> Optional[Rejection]:
        if self.attempt.rejection_reason is None:
            return None
        return Rejection(self.attempt.rejection_reason, self.attempt.diagnostic)

    @property
    def teacher_tokens(self) -> int:
        return self.attempt.prompt_tokens + self.attempt.completion_tokens


class DataGenPipeline:
    """Runs both arms over seeds x environments into `output_dir`, resuming what is there."""

    def __init__(self, config: ml_collections.ConfigDict, *, teacher: TextGenerator, student: TextGenerator,
                 executor, environments: Mapping[str, SyntheticEnvironment], output_dir: str,
                 teacher_sampling: Sampling, student_sampling: Sampling, teacher_model: str = "",
                 contamination: Optional[ContaminationIndex] = None, progress: bool = True):
        check_config(config)
        self.config = config
        self.teacher = teacher
        self.student = student
        self.executor = executor
        self.environments = dict(environments)
        self.output_dir = output_dir
        self.teacher_sampling = teacher_sampling
        self.student_sampling = student_sampling
        self.teacher_model = teacher_model
        self.contamination = contamination
        self.progress = progress
        self.host = int(config.host_index)
        self._writers: dict[tuple[str, str], ShardWriter] = {}
        self._problems: dict[tuple[str, str], Problem] = {}   # (arm, problem id)
        self._prior: dict[str, Attempt] = {}
        self._finished_families: set[str] = set()
        self._usable_so_far = 0
        self._prior_chain_ids: set[str] = set()

    # ----------------------------------------------------------------- records
    def _writer(self, arm: str, kind: str) -> ShardWriter:
        key = (arm, kind)
        if key not in self._writers:
            self._writers[key] = ShardWriter(output_layout.shard_path(self.output_dir, arm, kind, self.host))
        return self._writers[key]

    def _load_existing(self) -> None:
        for arm in ("multi_turn", "single_turn"):
            for kind, record_type in output_layout.RECORD_TYPES.items():
                path = output_layout.shard_path(self.output_dir, arm, kind, self.host)
                self._writer(arm, kind)  # opening repairs a torn last line
                for record in read_records(path, record_type.from_json):
                    if kind == "problems":
                        self._problems[(arm, record.id)] = record
                    elif kind == "attempts":
                        self._prior[record.attempt_id] = record
                    elif kind == "families":
                        self._finished_families.add(record.family_id)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    # ----------------------------------------------------------------- one call
    async def _teacher_turn(self, arm: str, environment: SyntheticEnvironment, kind: str, context: TeacherContext,
                            attempt_id: str, seed: Seed, family_id: str, turn: int,
                            parent_id: Optional[str]) -> _Turn:
        """One teacher call: generate, parse, validate, check, attempt with the student, record."""
        if attempt_id in self._prior:
            attempt = self._prior[attempt_id]
            return _Turn(attempt, self._problems.get((arm, attempt.problem_id)) if attempt.problem_id else None)

        request = self.teacher_sampling.request(environment.render_teacher_prompt(kind, context), 1,
                                                stable_seed(attempt_id))
        completion = await self._teacher_completion(environment, request, attempt_id)
        text = request.response_prefix + completion.text      # the whole reply, as later turns replay it
        base = dict(attempt_id=attempt_id, arm=arm, environment=environment.name, seed_id=seed.seed_id, turn=turn,
                    turn_kind=kind, raw_text=text, prompt_tokens=completion.prompt_tokens,
                    completion_tokens=completion.completion_tokens)

        outcome = read_teacher_reply(environment, text, completion.finish_reason, self.teacher_sampling.constrained)
        if not isinstance(outcome, Rejection):
            provenance = ProblemProvenance(
                family_id=family_id, parent_id=parent_id, turn=turn, relation=RELATION_OF_TURN[kind],
                seed_provenance=seed.provenance, teacher_model=self.teacher_model,
                prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens)
            outcome = await validate_async(environment, outcome, self.executor, provenance)
        duplicate_of = None
        if isinstance(outcome, Problem):
            outcome, duplicate_of = self._check_new(arm, outcome, family_id, turn)
        if isinstance(outcome, Rejection):
            attempt = Attempt(**base, rejection_reason=outcome.reason, diagnostic=outcome.diagnostic,
                              duplicate_of=duplicate_of)
            self._writer(arm, "attempts").write(attempt)
            return _Turn(attempt, None)

        problem = outcome
        key = (arm, problem.id)
        if key not in self._problems:  # else: written before a kill, student stats included
            problem = dataclasses.replace(problem, student=await self._student_stats(environment, problem))
            self._problems[key] = problem
            self._writer(arm, "problems").write(problem)
        problem = self._problems[key]
        attempt = Attempt(**base, problem_id=problem.id)
        self._writer(arm, "attempts").write(attempt)
        if turn_policy.is_usable(problem.pass_rate, tuple(self.config.usable_band)):
            self._usable_so_far += 1
        return _Turn(attempt, problem)

    def _check_new(self, arm: str, problem: Problem, family_id: str, turn: int):
        """Contamination and duplicates within the arm; a problem this very attempt wrote
        before a kill is kept."""
        if self.contamination is not None:
            hit = self.contamination.check(problem.code or "")
            if hit is not None:
                return Rejection(RejectionReason.CONTAMINATED,
                                 f"overlaps evaluation item {hit.source_id} ({hit.overlap:.0%} of n-grams)"), None
        existing = self._problems.get((arm, problem.id))
        if existing is not None and not (existing.family_id == family_id and existing.turn == turn):
            return Rejection(RejectionReason.DUPLICATE,
                             "identical to an earlier problem; write a different variant"), existing.id
        return problem, None

    async def _student_stats(self, environment: SyntheticEnvironment, problem: Problem):
        attempts = int(self.config.student_attempts)
        request = attempt_request(environment, problem, self.student_sampling, attempts,
                                  stable_seed("student", problem.id))
        result = await self._call(self.student, request, "student", problem.id)
        try:
            texts, rewards = await grade_attempts_async(environment, problem, result, attempts, self.executor)
        except RuntimeError as error:   # fewer (or more) completions than M: no pass rate from it
            raise TeacherUnavailableError(str(error)) from error
        graded = [GradedAttempt(text, r.reward == 1, r.reason) for text, r in zip(texts, rewards)]
        return summarize(graded, token_budget=int(self.config.summary_token_budget))

    async def _teacher_completion(self, environment: SyntheticEnvironment, request: GenerationRequest,
                                  attempt_id: str) -> Completion:
        if not self.teacher_sampling.constrained:
            return (await self._call(self.teacher, request, "teacher", attempt_id)).completions[0]
        try:
            return await generate_in_skeleton(self.teacher, request, environment.skeleton,
                                              self.teacher_sampling.tail_tokens_per_block)
        except Exception as error:  # the client has already retried with backoff
            raise TeacherUnavailableError(
                f"the teacher failed on {attempt_id} after its retries ({type(error).__name__}: {error}). "
                f"Everything produced so far is saved in {self.output_dir}; rerun the same command to resume."
            ) from error

    async def _call(self, client: TextGenerator, request: GenerationRequest, role: str, what: str):
        try:
            results = await client.agenerate([request])
        except Exception as error:  # the client has already retried with backoff
            raise TeacherUnavailableError(
                f"the {role} failed on {what} after its retries ({type(error).__name__}: {error}). Everything "
                f"produced so far is saved in {self.output_dir}; rerun the same command to resume.") from error
        if not results or not results[0].completions:
            raise TeacherUnavailableError(f"the {role} returned no completion for {what}")
        return results[0]

    # ----------------------------------------------------------------- families
    def _family_id(self, seed: Seed, environment: str, arm: str) -> str:
        return f"{seed.seed_id}-{environment}-{'mt' if arm == 'multi_turn' else 'st'}"

    async def _multi_turn_family(self, seed: Seed, environment: SyntheticEnvironment) -> int:
        """The refinement loop for one family, then its chain; returns the loop's teacher tokens."""
        family_id = self._family_id(seed, environment.name, "multi_turn")
        context = TeacherContext(seed_text=seed.text)
        kind, parent_id = "seed", None
        turns: list[_Turn] = []
        for turn in range(1, int(self.config.turns) + 1):
            outcome = await self._teacher_turn("multi_turn", environment, kind, context, f"{family_id}-t{turn:02d}",
                                               seed, family_id, turn, parent_id)
            turns.append(outcome)
            context = TeacherContext(seed_text=seed.text, previous_text=outcome.attempt.raw_text,
                                     previous_problem=outcome.problem, rejection=outcome.rejection,
                                     student=outcome.problem.student if outcome.problem else None)
            if outcome.problem is not None:
                parent_id = outcome.problem.id
            kind = turn_policy.next_turn_kind(
                outcome.problem.pass_rate if outcome.problem else None, harder_above=float(self.config.harder_above),
                target_band=tuple(self.config.target_band), in_band=str(self.config.in_band))
            if kind is None:
                break
        loop_tokens = sum(t.teacher_tokens for t in turns)
        if self.config.chains:
            turns += await self._chain(seed, environment, family_id, turns)
        if family_id not in self._finished_families:
            self._writer("multi_turn", "families").write(Family(
                family_id=family_id, seed_id=seed.seed_id, seed_provenance=seed.provenance,
                environment=environment.name, arm="multi_turn",
                attempt_ids=tuple(t.attempt.attempt_id for t in turns),
                problem_ids=tuple(t.attempt.problem_id for t in turns)))
            self._finished_families.add(family_id)
        return loop_tokens

    async def _chain(self, seed: Seed, environment: SyntheticEnvironment, family_id: str,
                     turns: Sequence[_Turn]) -> list[_Turn]:
        """Hard -> medium -> easy from the family's first usable hard problem."""
        hard = next((t for t in turns if t.problem is not None
                     and turn_policy.is_usable(t.problem.pass_rate, tuple(self.config.usable_band))
                     and turn_policy.in_bin(t.problem.pass_rate, tuple(self.config.chain_hard_bin))), None)
        if hard is None:
            return []
        made: list[_Turn] = []
        levels = [hard]
        for kind, bounds in (("chain_medium", self.config.chain_medium_bin), ("chain_easy", self.config.chain_easy_bin)):
            base = levels[-1]
            found = None
            for attempt in range(int(self.config.chain_tries_per_level)):
                context = TeacherContext(seed_text=seed.text, previous_text=base.attempt.raw_text,
                                         previous_problem=base.problem, student=base.problem.student)
                turn = int(self.config.turns) + len(made) + 1
                outcome = await self._teacher_turn("multi_turn", environment, kind, context,
                                                   f"{family_id}-{kind}{attempt}", seed, family_id, turn,
                                                   base.problem.id)
                made.append(outcome)
                if outcome.problem is not None and turn_policy.in_bin(outcome.problem.pass_rate, tuple(bounds)):
                    found = outcome
                    break
            if found is None:
                return made
            levels.append(found)
        chain_id = f"{family_id}-chain"
        if chain_id not in self._prior_chain_ids:
            self._writer("multi_turn", "chains").write(Chain(
                chain_id=chain_id, family_id=family_id, hard_id=levels[0].problem.id,
                medium_id=levels[1].problem.id, easy_id=levels[2].problem.id))
            self._prior_chain_ids.add(chain_id)
        return made

    async def _single_turn_family(self, seed: Seed, environment: SyntheticEnvironment, budget_tokens: int) -> None:
        """Independent one-shot calls until the multi-turn family's teacher tokens are spent."""
        family_id = self._family_id(seed, environment.name, "single_turn")
        turns: list[_Turn] = []
        spent = 0
        while spent < budget_tokens and len(turns) < int(self.config.single_turn_max_calls):
            number = len(turns) + 1
            outcome = await self._teacher_turn("single_turn", environment, "single_turn",
                                               TeacherContext(seed_text=seed.text), f"{family_id}-t{number:02d}",
                                               seed, family_id, number, None)
            turns.append(outcome)
            spent += outcome.teacher_tokens
            if outcome.teacher_tokens == 0:
                break  # a client that reports no tokens cannot be budget-matched
        if family_id not in self._finished_families:
            self._writer("single_turn", "families").write(Family(
                family_id=family_id, seed_id=seed.seed_id, seed_provenance=seed.provenance,
                environment=environment.name, arm="single_turn",
                attempt_ids=tuple(t.attempt.attempt_id for t in turns),
                problem_ids=tuple(t.attempt.problem_id for t in turns)))
            self._finished_families.add(family_id)

    async def _seed_environment(self, seed: Seed, environment: SyntheticEnvironment) -> None:
        budget = await self._multi_turn_family(seed, environment)
        if self.config.single_turn:
            await self._single_turn_family(seed, environment, budget)

    # ----------------------------------------------------------------- the run
    def _drop_contaminated(self, seeds: Sequence[Seed]) -> list[Seed]:
        if self.contamination is None:
            return list(seeds)
        path = output_layout.dropped_seeds_path(self.output_dir, self.host)
        already = {row["seed_id"] for row in read_records(path, json.loads)}
        kept = []
        with ShardWriter(path) as writer:
            for seed in seeds:
                hit = self.contamination.check(seed.text)
                if hit is None:
                    kept.append(seed)
                elif seed.seed_id not in already:
                    writer.write({"seed_id": seed.seed_id, "provenance": seed.provenance,
                                  "reason": RejectionReason.CONTAMINATED,
                                  "diagnostic": f"overlaps {hit.source_id} ({hit.overlap:.0%} of n-grams)"})
        return kept

    async def run_async(self, seeds: Sequence[Seed]) -> dict:
        """Run (or resume) every family of this host's seeds; returns the manifest."""
        run_paths.makedirs(self.output_dir)
        started = time.time()
        self._load_existing()
        self._prior_chain_ids = {c.chain_id for c in read_records(
            output_layout.shard_path(self.output_dir, "multi_turn", "chains", self.host), Chain.from_json)}
        kept = self._drop_contaminated(seeds)
        missing = [name for name in self.config.environments if name not in self.environments]
        if missing:
            raise ValueError(f"data_gen.environments names {missing}, which the pipeline was not given")
        pairs = [(seed, self.environments[name]) for seed in kept for name in self.config.environments]
        limit = asyncio.Semaphore(int(self.config.max_concurrent_families))
        bar = _progress_bar(len(pairs), self.progress)

        async def run_pair(seed: Seed, environment: SyntheticEnvironment) -> None:
            async with limit:
                await self._seed_environment(seed, environment)
            bar.update(1)
            bar.set_postfix(usable=self._usable_so_far)

        try:
            tasks = [asyncio.ensure_future(run_pair(seed, env)) for seed, env in pairs]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        finally:
            bar.close()
            self.close()
        manifest = {
            "complete": True, "host_index": self.host, "host_count": int(self.config.host_count),
            "seeds": len(seeds), "seeds_kept": len(kept), "families": len(pairs),
            "wall_time_s": round(time.time() - started, 1), "teacher_model": self.teacher_model,
            "problems": len(self._problems),
        }
        return manifest

    def run(self, seeds: Sequence[Seed]) -> dict:
        return asyncio.run(self.run_async(seeds))


def _progress_bar(total: int, enabled: bool):
    return tqdm(total=total, desc="families", unit="family", disable=not enabled, dynamic_ncols=True)


def check_config(config: ml_collections.ConfigDict) -> None:
    """Fail at start, naming the field, on values the loop cannot honour."""
    if int(config.student_attempts) < 8:
        raise ValueError(f"data_gen.student_attempts is {config.student_attempts}; the paper found M=8 already "
                         "too noisy, so at least 8 attempts are required")
    if int(config.turns) < 1:
        raise ValueError(f"data_gen.turns must be >= 1, got {config.turns}")
    low, high = config.target_band
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"data_gen.target_band must satisfy 0 <= low <= high <= 1, got {tuple(config.target_band)}")
    if str(config.in_band) not in ("harder", "stop"):
        raise ValueError(f"data_gen.in_band must be 'harder' or 'stop', got {config.in_band!r}")
    for name in ("usable_band", "chain_hard_bin", "chain_medium_bin", "chain_easy_bin"):
        low, high = config[name]
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"data_gen.{name} must satisfy 0 <= low <= high <= 1, got {tuple(config[name])}")


"""The trainer's format penalty follows the environments' structured parse outcome: a
renamed error message cannot turn it off, and a wrong but readable answer is not penalised."""
import numpy as np

from data_gen.environments import AnswerFailure, Environment, ParsedAnswer, RewardPlan, make_environment
from data_gen.records import Problem
from rl.grpo.format_penalty import apply_format_penalty
from rl.rollout import Rollout, grade_rollout

DEDUCTION = Problem(id="d", environment="deduction", provenance="test", statement="",
                    inputs=("(1,)",), outputs=("2",), num_visible=1, code="def f(x):\n    return x + 1\n")
INDUCTION = Problem(id="i", environment="induction", provenance="test", statement="",
                    inputs=("(1,)",), outputs=("2",), num_visible=1, code="def f(x):\n    return x + 1\n")


class RenamedMessages(Environment):
    """An environment whose parser words every failure in a way nothing matches on."""

    name = "renamed"

    def render_policy_prompt(self, problem):
        return ()

    def parse_answer(self, problem, text):
        if text == "fine":
            return ParsedAnswer(value=1)
        return ParsedAnswer.failed(AnswerFailure.NO_CODE, "the reply holds nothing runnable (reworded)")

    def plan_reward(self, problem, answer):
        raise AssertionError("only unreadable answers are graded here")


def _graded(problems, texts, environments):
    rollout = Rollout(step=0, policy_version=0, group_size=1, problems=tuple(problems),
                      prompt_tokens=[[1]] * len(texts), completion_tokens=[[2]] * len(texts),
                      behaviour_log_probs=[[0.0]] * len(texts), finish_reasons=["stop"] * len(texts),
                      texts=list(texts))
    return grade_rollout(rollout, environments, executor=None)   # every reward here is decided without a job


def test_a_reworded_parse_failure_is_still_penalised():
    rollout = _graded([DEDUCTION], ["anything"], {"deduction": RenamedMessages()})
    assert rollout.reward_reasons == ["the reply holds nothing runnable (reworded)"]
    np.testing.assert_array_equal(rollout.well_formed, [False])
    np.testing.assert_allclose(apply_format_penalty(rollout.rewards, rollout.well_formed, 0.25), [-0.25])


def test_real_environments_unreadable_versus_wrong_answers():
    environments = {"deduction": make_environment("deduction"), "induction": make_environment("induction")}
    cases = [
        (DEDUCTION, "```output\n2\n```", 1.0, True),                 # right
        (DEDUCTION, "```output\n3\n```", 0.0, True),                 # wrong but readable
        (DEDUCTION, "", 0.0, False),                                 # empty
        (DEDUCTION, "```output\nx + 1\n```", 0.0, False),            # not a literal
        (INDUCTION, "I would add one to x.", 0.0, False),            # no code
        (INDUCTION, "y" * 50_001, 0.0, True),                        # over the length cap: not a format error
    ]
    rollout = _graded([c[0] for c in cases], [c[1] for c in cases], environments)
    np.testing.assert_array_equal(rollout.rewards, [c[2] for c in cases])
    np.testing.assert_array_equal(rollout.well_formed, [c[3] for c in cases])

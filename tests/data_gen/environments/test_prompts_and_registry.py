"""Teacher prompts per turn kind, the canonical format round trip, and the registry."""
import pytest

from data_gen.environments import (ENVIRONMENT_REGISTRY, TURN_KINDS, make_environment, synthetic_environment_names)
from data_gen.environments.base import Instance, Rejection, SyntheticEnvironment, TeacherContext
from data_gen.environments.prompts import PROMPT_VERSIONS, describe_problem_for_teacher
from data_gen.environments.synthetic import TeacherWrittenEnvironment
from data_gen.records import Problem, RejectionReason, StudentStats

from tests.data_gen.environments.teacher_texts import teacher_text

SEED = "def window(xs, size):\n    return [xs[i:i + size] for i in range(len(xs) - size + 1)]\n"
PREVIOUS = teacher_text("def f(x):\n    return x * 3\n", ["1", "2", "3", "4", "5"], "Scale it.")


def _problem(environment_name: str) -> Problem:
    return Problem(id="p1", environment=environment_name, provenance="synthetic", statement="Scale it.",
                   inputs=("1", "2"), outputs=("3", "6"), code="def f(x):\n    return x * 3\n",
                   student=StudentStats(attempts=32, passes=30, summary="Most attempts multiplied by 3."))


@pytest.mark.parametrize("name", synthetic_environment_names())
@pytest.mark.parametrize("turn_kind", TURN_KINDS)
def test_every_turn_kind_renders(name, turn_kind):
    environment = make_environment(name)
    context = TeacherContext(seed_text=SEED, previous_text=PREVIOUS, previous_problem=_problem(name),
                             rejection=Rejection(RejectionReason.NO_MESSAGE, "no ```message block") if
                             turn_kind == "repair" else None)
    messages = environment.render_teacher_prompt(turn_kind, context)
    assert messages[0].role == "system" and SEED.strip() in messages[1].content
    assert name.upper() in messages[1].content
    if turn_kind in ("seed", "single_turn"):
        assert [m.role for m in messages] == ["system", "user"]
        return
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2].content == PREVIOUS
    feedback = messages[3].content
    if turn_kind == "repair":
        assert "no_message" in feedback and "no ```message block" in feedback
    else:
        assert "30 of 32" in feedback and "Most attempts multiplied by 3." in feedback
    keyword = {"harder": "HARDER", "easier": "EASIER", "repair": "Fix", "chain_medium": "MEDIUM",
               "chain_easy": "EASY"}[turn_kind]
    assert keyword in feedback


@pytest.mark.parametrize("name", synthetic_environment_names())
@pytest.mark.parametrize("version", PROMPT_VERSIONS)
def test_every_prompt_version_renders_and_later_versions_hold_no_copyable_example(name, version):
    from configs.sections.environments import get_environments_config
    config = get_environments_config()
    config.prompt_version = version
    environment = make_environment(name, config)
    assert environment.prompt_version == f"{name}-{version}"
    user = environment.render_teacher_prompt("seed", TeacherContext(seed_text=SEED))[1].content
    if version != "v1":
        assert "[3, 1, 2]" not in user and "Think" not in user
    if version == "v3":
        assert "non-trivial" not in user and "no docstring" in user
        assert "{" not in user.replace(SEED, "")      # every placeholder filled


def test_chain_turn_from_a_stored_problem_replays_it_in_the_teacher_format():
    environment = make_environment("induction")
    context = TeacherContext(SEED, previous_problem=_problem("induction"))
    messages = environment.render_teacher_prompt("chain_medium", context)
    assert "```python\ndef f(x):" in messages[2].content and "```message\nScale it.\n```" in messages[2].content


def test_bad_turn_requests_name_the_problem():
    environment = make_environment("deduction")
    with pytest.raises(ValueError, match="unknown teacher turn kind"):
        environment.render_teacher_prompt("sideways", TeacherContext(SEED))
    with pytest.raises(ValueError, match="needs the previous"):
        environment.render_teacher_prompt("harder", TeacherContext(SEED))


def test_stored_problem_in_teacher_format_parses_back_to_the_same_instance():
    environment = make_environment("induction")
    problem = Problem(id="x", environment="induction", provenance="synthetic", statement="Scale it.",
                      inputs=("1", "[2, (3, 4)]", "{'a': {1, 2}}", "'s', None", "-5"),
                      code="def f(*values):\n    return len(values)\n")
    instance = environment.parse_teacher(describe_problem_for_teacher(problem))
    assert isinstance(instance, Instance)
    assert instance.input_literals == problem.inputs and instance.message == problem.statement


def test_registry_lists_all_five_and_rejects_unknown_names():
    assert ENVIRONMENT_REGISTRY.names() == ("abduction", "contest", "deduction", "fuzzing", "induction")
    assert synthetic_environment_names() == ("abduction", "deduction", "fuzzing", "induction")
    assert all(isinstance(make_environment(n), SyntheticEnvironment) for n in synthetic_environment_names())
    with pytest.raises(ValueError, match="known: abduction, contest"):
        make_environment("bogus")


def test_config_changes_requirements():
    from configs.sections.environments import get_environments_config
    config = get_environments_config()
    config.induction.min_inputs = 3
    environment = make_environment("induction", config)
    assert isinstance(environment, TeacherWrittenEnvironment)
    assert "at least 3" in environment.render_teacher_prompt("seed", TeacherContext(SEED))[1].content
    instance = environment.parse_teacher(teacher_text("def f(x):\n    return -x\n", ["1", "2", "3"], "Negate."))
    assert isinstance(instance, Instance)

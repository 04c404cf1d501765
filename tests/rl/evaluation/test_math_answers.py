import pytest

from rl.evaluation.math_answers import grade_math_answer, last_boxed


@pytest.mark.parametrize("gold, answer", [
    ("\\frac{1}{2}", "Adding up, the result is \\boxed{\\frac{1}{2}}."),
    ("\\frac{1}{2}", "So the probability is \\boxed{\\dfrac12}"),
    ("\\frac{1}{2}", "Hence \\boxed{0.5}"),
    ("\\frac{1}{2}", "The final answer is 1/2"),
    ("5\\sqrt{2}", "\\boxed{\\sqrt{50}}"),
    ("x^2+6x+9", "Expanding gives \\boxed{(x+3)^2}"),
    ("(1,2)", "The point is \\boxed{(1, 2)}"),
    ("\\frac{\\pi}{2}", "\\boxed{\\pi/2}"),
    ("204", "The answer is $\\boxed{204}$."),
    ("12", "A first guess was \\boxed{10}; correcting it, \\boxed{12}"),
    ("\\text{(C)}", "The choice is \\boxed{C}"),
])
def test_equivalent_answers_are_graded_right(gold, answer):
    correct, extracted = grade_math_answer(gold, answer)
    assert correct, extracted


@pytest.mark.parametrize("gold, answer", [
    ("\\frac{2}{3}", "\\boxed{0.67}"),
    ("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{1}{2}}"),
    ("x^2+6x+9", "\\boxed{x^2+9}"),
    ("12", "A first guess was \\boxed{12}; correcting it, \\boxed{10}"),
    ("\\text{(C)}", "\\boxed{D}"),
    ("5", "I cannot solve this."),
    ("\\frac{1}{2}", "so the answer is \\boxed{\\frac{1}{"),     # cut off mid-answer
])
def test_wrong_or_missing_answers_are_graded_wrong(gold, answer):
    correct, _ = grade_math_answer(gold, answer)
    assert not correct


def test_last_boxed_matches_nested_braces():
    assert last_boxed("x \\boxed{1} then \\boxed{\\frac{a}{b}} end") == "\\boxed{\\frac{a}{b}}"
    assert last_boxed("no box here") is None
    assert last_boxed("\\boxed{\\frac{1}{") is None

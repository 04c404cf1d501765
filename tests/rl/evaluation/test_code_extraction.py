from rl.evaluation.code_extraction import extract_program, fenced_blocks


def test_block_defining_the_entry_point_is_preferred():
    text = ("Here is a helper:\n```python\nimport math\n```\nand the solution:\n"
            "```python\ndef solve(x):\n    return x + 1\n```\nDone.")
    assert extract_program(text, "solve") == "def solve(x):\n    return x + 1\n"


def test_first_python_block_without_an_entry_point():
    text = "```py\nprint(1)\n```\n```python\nprint(2)\n```"
    assert extract_program(text) == "print(1)\n"


def test_unclosed_block_and_crlf_are_tolerated():
    text = "Answer:\r\n```python\r\ndef f():\r\n    return 3\r\n"
    assert extract_program(text, "f") == "def f():\n    return 3\n"


def test_other_languages_are_ignored_and_bare_code_is_kept():
    assert fenced_blocks("```bash\nls\n```") == [("bash", "ls\n")]
    assert extract_program("```bash\nls\n```\n", "f").startswith("```bash")
    assert extract_program("def f():\n    return 1") == "def f():\n    return 1\n"

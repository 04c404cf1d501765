"""The multi-turn pipeline end to end with real parts: the 0.5B pack as teacher and student,
served by a real JetStream server over gRPC, graded in gVisor; two seeds, two turns,
induction and deduction, M=8. The report is written and every teacher call ends in a valid
problem or a recorded rejection reason."""
import json

import pytest

from configs.data_gen import get_config
from data_gen.main import run_data_gen
from data_gen.output_layout import read_arm
from data_gen.records import RejectionReason
from tests.rl.jetstream.server_process import serve_in_subprocess

PACK = "qwen2.5-coder-0.5b-instruct"


@pytest.mark.real_model
@pytest.mark.timeout(1500)
def test_real_teacher_and_student_over_jetstream_yield_problems_or_reasons(tmp_path):
    server = [f"model={PACK}", "port=0", "slots=8", "max_prefill_length=2048", "max_cache_length=2560"]
    with serve_in_subprocess(server, tmp_path / "server.log", start_timeout_s=900) as address:
        config = get_config()
        config.output_dir = str(tmp_path / "run")
        config.data_gen.num_seeds = 2
        config.data_gen.turns = 2
        config.data_gen.student_attempts = 8
        config.data_gen.environments = ("induction", "deduction")
        config.data_gen.chains = False
        config.data_gen.single_turn = False
        for role in (config.teacher, config.student):
            role.backend = "jetstream"
            role.address = address
            role.model = PACK
        config.teacher.max_new_tokens = 384
        config.student.max_new_tokens = 160
        config.sandbox.workers = 2
        summary = run_data_gen(config, progress=False)

    run = tmp_path / "run"
    assert (run / "report.md").is_file() and (run / "dataset_card.md").is_file()
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["student_model"] == PACK
    records = read_arm(str(run), "multi_turn")
    assert len(records.families) == 4, records.families            # 2 seeds x 2 environments
    assert len(records.attempts) >= 4
    problems = {problem.id: problem for problem in records.problems}
    reasons = set(RejectionReason.all())
    for attempt in records.attempts:
        assert attempt.raw_text.strip(), attempt                     # the real teacher's words are kept
        if attempt.problem_id is not None:
            problem = problems[attempt.problem_id]
            assert problem.environment == attempt.environment
            assert problem.student is not None and problem.student.attempts == 8
        else:
            assert attempt.rejection_reason in reasons, attempt
    assert summary["arms"]["multi_turn"]["attempts"] == len(records.attempts)

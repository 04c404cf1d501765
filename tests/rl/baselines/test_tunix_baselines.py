"""The parts of the tunix baselines that run in the project venv (tunix itself is not
installed here): the weights export, the batch recipe both sides share, what the
tunix-side modules import, the flags, and the child-process protocols (with doubles)."""
import json
import subprocess
import sys
import textwrap

import ml_dtypes
import numpy as np
import pytest

from rl import train_step_bench
from rl.baselines import tunix_decode, tunix_qwen2, tunix_train_step
from rl.baselines.tunix_subprocess import REPOSITORY_ROOT, TunixDecodeWorker, export_baseline_weights, run_tunix_baseline
from rl.loaders.checkpoint import load_checkpoint
from rl.sampling import bench as decode_bench
from tests.fixtures.tiny_model import save_tiny_hf_checkpoint, tiny_config


def test_exported_weights_load_back_as_the_same_float32_tensors(tmp_path):
    save_tiny_hf_checkpoint("qwen2", tmp_path / "source", seed=3)
    source = load_checkpoint(tmp_path / "source")
    as_bf16 = {name: np.asarray(t).astype(ml_dtypes.bfloat16) for name, t in source.tensors.items()}
    export_baseline_weights(source.config, as_bf16, tmp_path / "export")
    exported = load_checkpoint(tmp_path / "export")
    assert exported.config == source.config
    assert sorted(exported.tensors) == sorted(source.tensors)
    for name, tensor in exported.tensors.items():
        assert tensor.dtype == np.float32, name
        np.testing.assert_array_equal(tensor, as_bf16[name].astype(np.float32), err_msg=name)


def test_tunix_reads_the_exported_config_as_our_model(tmp_path):
    config = tiny_config("qwen2")
    save_tiny_hf_checkpoint("qwen2", tmp_path / "source")
    export_baseline_weights(config, load_checkpoint(tmp_path / "source").tensors, tmp_path / "export")
    fields = tunix_qwen2.qwen2_fields(tunix_qwen2.read_hf_config(tmp_path / "export"))
    assert fields == dict(num_layers=config.num_layers, vocab_size=config.vocab_size, embed_dim=config.hidden_size,
                          hidden_dim=config.intermediate_size, num_heads=config.num_heads, head_dim=config.head_dim,
                          num_kv_heads=config.num_kv_heads, rope_theta=config.rope_theta,
                          norm_eps=config.rms_norm_eps, use_tied_embedding=True)
    # transformers 5 writes the RoPE base under rope_parameters
    assert tunix_qwen2.rope_theta({"rope_parameters": {"rope_theta": 5e5}}) == 5e5


def test_export_refuses_a_model_tunix_qwen2_cannot_hold(tmp_path):
    with pytest.raises(SystemExit, match="qwen2 models only"):
        export_baseline_weights(tiny_config("llama"), {}, tmp_path)


def test_tunix_side_batch_is_the_benchmark_batch():
    ours = train_step_bench.synthetic_batch(8, 5, 7, vocab=300, seed=4)
    theirs = tunix_train_step.synthetic_grpo_batch(8, 5, 7, vocab_size=300, seed=4)
    np.testing.assert_array_equal(np.concatenate([theirs["prompt_ids"], theirs["completion_ids"]], 1), ours["tokens"])
    np.testing.assert_array_equal(theirs["rewards"], ours["rewards"])
    completion = ours["completion_mask"] == 1           # ours: per predicted token, completion part only
    assert completion.sum() == theirs["behaviour_log_probs"].size
    np.testing.assert_array_equal(ours["behaviour_log_probs"][completion], theirs["behaviour_log_probs"].ravel())


def test_tunix_side_modules_import_nothing_the_tunix_venv_lacks():
    # fresh interpreter: this process has imported the project already
    probe = textwrap.dedent("""
        import sys
        import rl.baselines.tunix_decode, rl.baselines.tunix_qwen2, rl.baselines.tunix_train_step
        ours = [m for m in sys.modules if m.startswith("rl.") and m != "rl.baselines"
                and not m.startswith("rl.baselines.tunix_")]
        foreign = [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "torch", "tunix", "transformers")]
        print(ours + foreign)
    """)
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY_ROOT, capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert out.strip() == "[]"


def test_flags():
    assert train_step_bench.parse_args([]).tunix_python == ""
    assert decode_bench.parse_args(["--batch-sizes", "8"]).tunix_python == ""
    for parse in (train_step_bench.parse_args, decode_bench.parse_args):
        with pytest.raises(SystemExit, match="setup_tunix_env.sh"):
            parse(["--tunix-python", "/no/such/python"])
    assert tunix_train_step.parse_args(["--model", "m", "--no-remat"]).remat is False
    with pytest.raises(SystemExit):
        tunix_train_step.parse_args(["--model", "m", "--batch", "6", "--group-size", "4"])
    with pytest.raises(SystemExit):
        tunix_decode.parse_args(["--model", "m"])        # neither --prompts nor --serve


def _python_double(path, body: str) -> str:
    """An executable standing in for the tunix venv's python: runs `body` whatever its arguments."""
    path.write_text(f"#!{sys.executable}\nimport json, sys\n{textwrap.dedent(body)}")
    path.chmod(0o755)
    return str(path)


def test_decode_worker_protocol_with_a_double(tmp_path):
    python = _python_double(tmp_path / "worker_double", """
        print("a log line that is not the protocol", flush=True)
        print(json.dumps({"ready": True, "dtype": sys.argv[sys.argv.index("--dtype") + 1]}), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
            print(json.dumps({"batch": 2, "seconds": 0.25, "asked": request}), flush=True)
    """)
    with TunixDecodeWorker(python, tmp_path, "bfloat16") as worker:
        assert worker.ready == {"ready": True, "dtype": "bfloat16"}
        reply = worker.decode(tmp_path / "p.npy", 16, return_tokens=True)
    assert reply["seconds"] == 0.25
    assert reply["asked"] == {"prompts": str(tmp_path / "p.npy"), "new_tokens": 16, "return_tokens": True}


def test_failed_baselines_say_so(tmp_path):
    dies = _python_double(tmp_path / "dies_double", "sys.exit(3)")
    with pytest.raises(RuntimeError, match="status 3"):
        TunixDecodeWorker(dies, tmp_path, "float32")
    with pytest.raises(RuntimeError, match="status 3"):
        run_tunix_baseline(dies, "tunix_train_step", [])
    answers = _python_double(tmp_path / "answers_double", 'print("step 0"); print(json.dumps({"median_step_s": 1.5}))')
    assert run_tunix_baseline(answers, "tunix_train_step", []) == {"median_step_s": 1.5}

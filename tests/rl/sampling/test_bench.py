"""The decode benchmark end to end on a tiny Hugging Face checkpoint: both sides run on the
same weights (their logits agree) and the table is printed."""
import numpy as np
import torch
from flax import nnx

from rl.models import forward
from rl.models.hf_weights import model_from_hf_tensors
from rl.sampling import bench
from tests.fixtures.tiny_model import save_tiny_hf_checkpoint, tiny_hf_model


def test_transformers_side_holds_the_same_weights():
    hf_model, config = tiny_hf_model("llama", seed=9)
    tensors = {name: t.detach().numpy() for name, t in hf_model.state_dict().items()}
    rebuilt = bench.transformers_model(config, tensors, "float32")
    tokens = np.arange(20)[None] % config.vocab_size
    with torch.no_grad():
        theirs = rebuilt(torch.tensor(tokens)).logits.numpy()
    graphdef, state = nnx.split(model_from_hf_tensors(config, tensors))
    np.testing.assert_allclose(np.asarray(forward.logits(graphdef, state, tokens)), theirs, atol=1e-4)


def test_benchmark_runs_and_prints_the_table(tmp_path, capsys):
    save_tiny_hf_checkpoint("qwen2", tmp_path)
    bench.main(["--model", str(tmp_path), "--batch-sizes", "2", "--prompt-tokens", "8", "--new-tokens", "4",
                "--repeats", "1"])
    out = capsys.readouterr().out
    assert "| 2 | float32 |" in out and "tok/s" in out

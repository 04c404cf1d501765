"""tunix's KV-cache sampler (`tunix.generate.sampler.Sampler`) on the work of
`rl.sampling.bench`: greedy decoding of given prompt token ids, a fixed number of new
tokens, no stop token. The baseline of issue 4. Run by the tunix venv's python from the
repository root, either once:

  .venv-tunix/bin/python -m rl.baselines.tunix_decode --model HF_DIR --prompts b8.npy,b64.npy \
      --new-tokens 128 --repeats 2

(per prompts file [B, P] int: one untimed warm-up call, which compiles, then the best of
--repeats; prints one JSON line with new tokens/s per batch size), or as a worker with
`--serve` that `rl.sampling.bench --tunix-python` drives so that its calls interleave with
ours on a shared machine: after loading it prints {"ready": ...}, then answers each JSON
request line on stdin ({"prompts": path, "new_tokens": N, "return_tokens": bool}) with one
JSON line ({"batch", "seconds", and "tokens" when asked}); end of input ends it.

The sampler's interface is text; a tokenizer that spells token ids as decimal text carries
the given ids through it unchanged (the cost of that spelling is negligible next to a
decode step). Pad and EOS ids are -1, which no prompt token equals, so every prompt token is
live and no row stops early. Parameters and compute are in --dtype, as our sampler's.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jax
import numpy as np

from rl.baselines.tunix_qwen2 import load_tunix_qwen2, tunix_version

NO_SUCH_TOKEN = -1


class TokenIdText:
    """A tokenizer for tunix's sampler whose text is token ids in decimal, space-separated."""

    def encode(self, text: str, **unused) -> list[int]:
        return [int(piece) for piece in text.split()]

    def decode(self, ids, **unused) -> str:
        return " ".join(str(int(i)) for i in ids)

    def bos_id(self):
        return None          # the sampler then prepends nothing

    def eos_id(self) -> int:
        return NO_SUCH_TOKEN

    def pad_id(self) -> int:
        return NO_SUCH_TOKEN


def load_prompts(path: str | Path) -> np.ndarray:
    prompts = np.load(path)
    if prompts.ndim != 2 or not np.issubdtype(prompts.dtype, np.integer):
        raise SystemExit(f"{path}: prompts must be a 2-d integer array [batch, prompt tokens], got "
                         f"{prompts.dtype} {prompts.shape}")
    if (prompts < 0).any():
        raise SystemExit(f"{path}: prompt token ids must be >= 0")
    return prompts


class TunixGreedyDecoder:
    """tunix's Sampler over tunix's Qwen2 with a KV cache sized for prompt + new tokens."""

    def __init__(self, model_dir: str | Path, dtype: str):
        self.model, hf = load_tunix_qwen2(model_dir, dtype, remat=False, param_dtype=dtype)
        self.vocab_size = int(hf["vocab_size"])
        self._samplers = {}

    def _sampler(self, cache_size: int):
        from tunix.generate import sampler as sampler_lib  # only in the tunix venv

        if cache_size not in self._samplers:
            config = self.model.config
            cache = sampler_lib.CacheConfig(cache_size=cache_size, num_layers=config.num_layers,
                                            num_kv_heads=config.num_kv_heads, head_dim=config.head_dim)
            self._samplers[cache_size] = sampler_lib.Sampler(self.model, TokenIdText(), cache)
        return self._samplers[cache_size]

    def decode(self, prompts: np.ndarray, new_tokens: int) -> tuple[float, np.ndarray]:
        """(seconds, new tokens [B, new_tokens]) of one greedy call."""
        if prompts.max() >= self.vocab_size:
            raise SystemExit(f"prompt token id {prompts.max()} is outside the model's vocabulary ({self.vocab_size})")
        batch, prompt_tokens = prompts.shape
        sampler = self._sampler(prompt_tokens + new_tokens)
        texts = [TokenIdText().decode(row) for row in prompts]
        start = time.perf_counter()
        out = sampler(texts, max_generation_steps=new_tokens, max_prompt_length=prompt_tokens,
                      eos_tokens=[NO_SUCH_TOKEN], temperature=0.0)
        elapsed = time.perf_counter() - start
        tokens = np.asarray([np.asarray(row) for row in out.tokens])
        if tokens.shape != (batch, new_tokens):
            raise RuntimeError(f"tunix's sampler returned tokens of shape {tokens.shape}, expected "
                               f"{(batch, new_tokens)}")
        return elapsed, tokens


def run_once(args: argparse.Namespace) -> dict:
    decoder = TunixGreedyDecoder(args.model, args.dtype)
    rows = []
    for path in args.prompts.split(","):
        prompts = load_prompts(path)
        decoder.decode(prompts, args.new_tokens)   # compiles
        best = min(decoder.decode(prompts, args.new_tokens)[0] for _ in range(args.repeats))
        batch = prompts.shape[0]
        rows.append({"batch": batch, "prompt_tokens": prompts.shape[1], "new_tokens": args.new_tokens,
                     "best_s": round(best, 3), "new_tokens_per_s": round(batch * args.new_tokens / best, 1)})
        print(f"tunix batch {batch}: {rows[-1]['new_tokens_per_s']} new tokens/s", file=sys.stderr, flush=True)
    return {"framework": "tunix", "tunix_version": tunix_version(), "jax_version": jax.__version__,
            "model": str(args.model), "dtype": args.dtype, "repeats": args.repeats, "rows": rows,
            "device": jax.devices()[0].device_kind}


def serve(args: argparse.Namespace) -> None:
    """Answer decode requests from stdin, one JSON line each, until end of input."""
    decoder = TunixGreedyDecoder(args.model, args.dtype)
    print(json.dumps({"ready": True, "tunix_version": tunix_version(), "jax_version": jax.__version__,
                      "dtype": args.dtype, "device": jax.devices()[0].device_kind}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        seconds, tokens = decoder.decode(load_prompts(request["prompts"]), int(request["new_tokens"]))
        reply = {"batch": int(tokens.shape[0]), "seconds": seconds}
        if request.get("return_tokens"):
            reply["tokens"] = tokens.tolist()
        print(json.dumps(reply), flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face directory: config.json + model.safetensors")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"),
                        help="parameter and compute dtype")
    parser.add_argument("--prompts", default="", help="comma-separated .npy files of prompt ids [batch, tokens]")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--serve", action="store_true", help="answer requests on stdin instead (see above)")
    args = parser.parse_args(argv)
    if not args.serve and not args.prompts:
        parser.error("give --prompts (or --serve)")
    if args.repeats < 1 or args.new_tokens < 1:
        parser.error("--repeats and --new-tokens must be >= 1")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.serve:
        serve(args)
    else:
        print(json.dumps(run_once(args)), flush=True)


if __name__ == "__main__":
    main()

"""Command line: print a model's chat completion of a prompt file.

  python -m rl.generate --model qwen2.5-coder-0.5b-instruct --prompt-file prompt.txt \\
      [--temperature 0] [--max-new-tokens 256] [--top-p 1.0] [--seed 0] [--system TEXT] [--raw]

`--model` is a model pack name, a Hugging Face checkpoint directory or a .gguf file. The
prompt file's text is the user message, rendered with the model's own chat template
(`--raw` sends it as a raw prompt instead). Temperature 0 means greedy. The completion goes
to stdout; load time, token counts, speed and the finish reason go to stderr.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from rl.generation.in_process import InProcessGenerator
from rl.generation.types import GenerationRequest, Message
from rl.loaders.errors import CheckpointError


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m rl.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model pack name, checkpoint directory or .gguf file")
    parser.add_argument("--prompt-file", required=True, type=Path, help="text file holding the user message")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 means greedy (default)")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--system", default=None, help="an optional system message")
    parser.add_argument("--raw", action="store_true", help="send the file as a raw prompt, without the chat template")
    return parser.parse_args(argv)


def build_request(args: argparse.Namespace, text: str) -> GenerationRequest:
    sampling = dict(n=1, max_new_tokens=args.max_new_tokens, temperature=args.temperature, top_p=args.top_p,
                    seed=args.seed)
    if args.raw:
        return GenerationRequest(prompt=text, **sampling)
    messages = ((Message("system", args.system),) if args.system else ()) + (Message("user", text),)
    return GenerationRequest(messages=messages, **sampling)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if not args.prompt_file.is_file():
        print(f"error: prompt file {args.prompt_file} does not exist", file=sys.stderr)
        return 2
    if args.max_new_tokens < 1 or args.temperature < 0 or not 0 < args.top_p <= 1:
        print("error: need --max-new-tokens >= 1, --temperature >= 0 and 0 < --top-p <= 1", file=sys.stderr)
        return 2
    request = build_request(args, args.prompt_file.read_text())

    started = time.perf_counter()
    try:
        generator = InProcessGenerator.from_checkpoint(args.model, max_batch_size=1)
    except CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    loaded = time.perf_counter()
    try:
        completion = generator.generate([request])[0].completions[0]
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finished = time.perf_counter()
    print(completion.text)
    print(
        f"[{args.model}: loaded in {loaded - started:.1f} s; {completion.prompt_tokens} prompt + "
        f"{completion.completion_tokens} new tokens in {finished - loaded:.1f} s (compilation included); "
        f"finish reason {completion.finish_reason}]",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Capture real teacher outputs from Qwen2.5-Coder-0.5B-Instruct for the parser corpus.

Prompts the offline 0.5B pack (through the project's in-process JAX generator, or
transformers) with the project's own teacher templates (seed turns of
each synthetic environment, seeds taken from fixed windows of the standard library) and
writes each raw completion to `real_<environment>_<n>.txt` in this directory. The
expected parse outcome of each file is then recorded by hand in `expected.json` after
reading it. Run under the heavy-job lock (it loads the model, ~3 GB):

    flock /tmp/heavy.lock .venv/bin/python tests/data_gen/environments/corpus/capture_real_teacher.py \
        --gguf /path/to/qwen2.5-coder-0.5b-instruct.gguf
"""
from __future__ import annotations

import argparse
import os
import sysconfig
import time

from data_gen.environments import make_environment
from data_gen.environments.base import TeacherContext

SEED_WINDOWS = (("textwrap.py", 300, 330), ("heapq.py", 140, 175), ("bisect.py", 1, 35),
                ("string.py", 60, 95), ("fractions.py", 20, 50))


def seed_snippets() -> list[str]:
    stdlib = sysconfig.get_paths()["stdlib"]
    snippets = []
    for name, start, end in SEED_WINDOWS:
        with open(os.path.join(stdlib, name), encoding="utf-8") as handle:
            snippets.append("".join(handle.readlines()[start:end]))
    return snippets


def render_prompts(environment_name: str, count: int):
    environment = make_environment(environment_name)
    return [environment.render_teacher_prompt("seed", TeacherContext(seed_text=snippet))
            for snippet in seed_snippets()[:count]]


def generate_with_transformers(gguf: str, batches: list, max_new_tokens: int):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory, name = os.path.split(os.path.abspath(gguf))
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32).eval()
    tokenizer.padding_side = "left"
    torch.manual_seed(0)
    torch.set_num_threads(2)
    for messages_list in batches:
        prompts = [tokenizer.apply_chat_template([{"role": m.role, "content": m.content} for m in messages],
                                                 tokenize=False, add_generation_prompt=True)
                   for messages in messages_list]
        batch = tokenizer(prompts, return_tensors="pt", padding=True)
        with torch.no_grad():
            generated = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=True, temperature=0.7,
                                       top_p=0.95)
        yield [tokenizer.decode(row[batch["input_ids"].shape[1]:], skip_special_tokens=True) for row in generated]


def generate_in_process(gguf: str, batches: list, max_new_tokens: int):
    """All prompts in one sampler batch (decoding is memory-bound: one pass serves them all)."""
    from rl.generation.in_process import InProcessGenerator
    from rl.generation.types import GenerationRequest

    total = sum(len(messages_list) for messages_list in batches)
    generator = InProcessGenerator.from_checkpoint(gguf, max_batch_size=max(total, 1))
    requests = [GenerationRequest(messages=tuple(messages), max_new_tokens=max_new_tokens, temperature=0.7,
                                  top_p=0.95, seed=index)
                for index, messages in enumerate(m for messages_list in batches for m in messages_list)]
    texts = [result.completions[0].text for result in generator.generate(requests)]
    for messages_list in batches:
        yield texts[: len(messages_list)]
        texts = texts[len(messages_list):]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", required=True, help="the assembled 0.5B GGUF file")
    parser.add_argument("--max_new_tokens", type=int, default=320)
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--per_environment", type=int, default=5)
    parser.add_argument("--environments", default="induction,deduction,abduction,fuzzing")
    parser.add_argument("--backend", choices=("in_process", "transformers"), default="in_process",
                        help="the project's JAX sampler, or transformers on torch")
    args = parser.parse_args()

    names = args.environments.split(",")
    batches = [render_prompts(name, args.per_environment) for name in names]
    backend = generate_in_process if args.backend == "in_process" else generate_with_transformers
    started = time.time()
    for name, texts in zip(names, backend(args.gguf, batches, args.max_new_tokens)):
        for index, text in enumerate(texts):
            with open(os.path.join(args.out, f"real_{name}_{index}.txt"), "w", encoding="utf-8") as handle:
                handle.write(text)
        print(f"{name}: {len(texts)} outputs after {time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()

"""Test doubles and record factories for the curriculum tests."""
from __future__ import annotations

import json
import os
import struct

from data_gen.records import Chain, Problem, StudentStats

ENVIRONMENT_CYCLE = ("induction", "deduction", "abduction", "fuzzing")


class ByteTokenizerDouble:
    """Tokenizes text as its UTF-8 bytes shifted by 3 (ids 0-2 stay free for padding and specials)."""

    def encode(self, text: str) -> list[int]:
        return [b + 3 for b in text.encode("utf-8")]


def render_chat_double(messages) -> str:
    """A chat template double in the Qwen style: role headers and an open assistant turn."""
    body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


def make_problem(index: int, pass_rate: float | None, *, environment: str | None = None,
                 provenance: str = "synthetic", family: str | None = None, attempts: int = 32) -> Problem:
    student = None if pass_rate is None else StudentStats(attempts, round(pass_rate * attempts))
    return Problem(
        id=f"p{index:05d}", environment=environment or ENVIRONMENT_CYCLE[index % 4], provenance=provenance,
        statement=f"Problem {index}: " + "write f. " * (index % 7 + 1), inputs=("1",), outputs=("2",),
        family_id=family if family is not None else (f"fam{index // 3:04d}" if provenance == "synthetic" else None),
        student=student)


def spread_problems(count: int, **kwargs) -> list[Problem]:
    """`count` problems whose pass rates sweep 0..32 passes of 32 attempts."""
    return [make_problem(i, (i % 33) / 32, **kwargs) for i in range(count)]


def chain_problems(chain_count: int, start: int = 50_000) -> tuple[list[Problem], list[Chain]]:
    """Chains whose easy/medium/hard levels sit in the chain bins (28/32, 16/32, 3/32)."""
    problems, chains = [], []
    for c in range(chain_count):
        family = f"chainfam{c:03d}"
        easy, medium, hard = (make_problem(start + 3 * c + k, rate, family=family)
                              for k, rate in enumerate((28 / 32, 16 / 32, 3 / 32)))
        problems += [easy, medium, hard]
        chains.append(Chain(f"chain{c:03d}", family, hard.id, medium.id, easy.id))
    return problems, chains


def write_jsonl(path: str, records) -> str:
    with open(path, "w") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else record.to_json()) + "\n")
    return path


def write_tfrecord(path: str, records) -> str:
    """TFRecord framing written by hand (CRC fields zero; readers here do not verify them)."""
    with open(path, "wb") as handle:
        for record in records:
            data = (record if isinstance(record, str) else record.to_json()).encode()
            handle.write(struct.pack("<Q", len(data)) + b"\0" * 4 + data + b"\0" * 4)
    return path


def write_shards(directory: str, problems, shard_count: int = 3) -> list[str]:
    """Problems spread over JSONL and TFRecord shards (TFRecord written with TensorFlow's writer)."""
    import tensorflow as tf
    paths = []
    for shard in range(shard_count):
        part = problems[shard::shard_count]
        if shard % 2 == 0:
            paths.append(write_jsonl(os.path.join(directory, f"problems-{shard:05d}.jsonl"), part))
        else:
            path = os.path.join(directory, f"problems-{shard:05d}.tfrecord")
            with tf.io.TFRecordWriter(path) as writer:
                for problem in part:
                    writer.write(problem.to_json().encode())
            paths.append(path)
    return paths


def dump_state(state: dict) -> str:
    return json.dumps(state, sort_keys=True)

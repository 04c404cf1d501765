"""Reading data_gen's shards with tf.data: JSONL and TFRecord files interleaved.

The TensorFlow twin of `shard_files.read_shard_texts`. Read order differs from the plain
reader (files are interleaved), which is harmless: the catalog orders problems by id.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import tensorflow as tf

from curriculum.shard_files import shard_kind


def shard_text_dataset(paths: Sequence[str], cycle_length: int = 4) -> tf.data.Dataset:
    """A dataset of record texts from JSONL and TFRecord shards, read `cycle_length` files at a time."""
    jsonl = [p for p in paths if shard_kind(p) == "jsonl"]
    tfrecord = [p for p in paths if shard_kind(p) == "tfrecord"]
    parts = []
    if jsonl:
        parts.append(tf.data.Dataset.from_tensor_slices(jsonl).interleave(
            tf.data.TextLineDataset, cycle_length=cycle_length))
    if tfrecord:
        # A torn final entry (a kill mid-write) raises DataLossError in TFRecordDataset; it is
        # dropped here, where the plain reader counts it as torn.
        parts.append(tf.data.Dataset.from_tensor_slices(tfrecord).interleave(
            lambda path: tf.data.TFRecordDataset(path).ignore_errors(),
            cycle_length=cycle_length))
    if not parts:
        return tf.data.Dataset.from_tensor_slices(tf.constant([], tf.string))
    texts = parts[0]
    for part in parts[1:]:
        texts = texts.concatenate(part)
    return texts.filter(lambda text: tf.strings.length(tf.strings.strip(text)) > 0)


def read_shard_texts_tf(paths: Sequence[str]) -> Iterator[str]:
    for texts in shard_text_dataset(paths).batch(4096).as_numpy_iterator():
        for text in texts:
            yield text.decode("utf-8", errors="replace")

"""The tf.data input path: per-pool datasets, choose_from_datasets, tokenize in map, bucketed batches.

The shared schedule sampler draws a window of steps; its pool choices become the choice
dataset of `tf.data.Dataset.choose_from_datasets` over one dataset per pool (the rows of
the catalog, which tf.data read from data_gen's shards), so no Python generator sits in
the pipeline. Each host's prompts are batched, rendered with the chat template and
tokenized in `map` (one `numpy_function` call per batch: the tokenizer is Python/Rust),
padded as a ragged tensor up to a bucket length, and prefetched.

A window spans prefetch_batches + 1 steps for schedules that react to feedback (so every
observation due for the window has arrived when it is built) and `STATIC_WINDOW_STEPS`
otherwise; prefetching does not cross a window boundary (building one takes milliseconds).

Departures from a stock tf.data recipe, both for exact parity with the TensorFlow-free
path: the shuffle is the sampler's seeded per-epoch permutation, not `Dataset.shuffle`;
and the shards are read by tf.data once into the catalog (bin membership and the
permutation need the whole catalog), so the per-pool datasets hold catalog rows rather
than streaming each bin from the files.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import tensorflow as tf

from curriculum.batch import PromptBatch
from curriculum.iterator_state import CurriculumIteratorBase

STATIC_WINDOW_STEPS = 64


class TFCurriculumIterator(CurriculumIteratorBase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._window = None
        self._window_steps: deque[int] = deque()

    def _window_size(self) -> int:
        if self.sampler.schedule.uses_feedback:
            return self.sampler.settings.prefetch_batches + 1
        return STATIC_WINDOW_STEPS

    def _encode_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tokens of a batch of catalog rows, flattened, with each prompt's length."""
        encoded = [self.encoder.encode(self.sampler.catalog.problems[int(row)]) for row in rows]
        lengths = np.array([len(e) for e in encoded], dtype=np.int32)
        return (np.concatenate(encoded) if encoded else np.zeros(0, np.int32)).astype(np.int32), lengths

    def _build_window(self) -> None:
        pool_count = len(self.sampler.members)
        pool_rows: list[list[int]] = [[] for _ in range(pool_count)]
        choices: list[int] = []
        steps = range(self.next_step, self.next_step + self._window_size())
        for step in steps:
            pools, rows = self.host_rows(self._draw(step))
            choices.extend(pools)
            for pool, row in zip(pools, rows):
                pool_rows[pool].append(row)
        self._window_steps = deque(steps)
        self._window = iter(self._window_dataset(pool_rows, choices))

    def _window_dataset(self, pool_rows: list[list[int]], choices: list[int]) -> tf.data.Dataset:
        pool_datasets = [tf.data.Dataset.from_tensor_slices(np.asarray(rows, dtype=np.int64)) for rows in pool_rows]
        choice_dataset = tf.data.Dataset.from_tensor_slices(np.asarray(choices, dtype=np.int64))
        rows = tf.data.Dataset.choose_from_datasets(pool_datasets, choice_dataset, stop_on_empty_dataset=True)

        boundaries = tf.constant(self.encoder.bucket_boundaries, dtype=tf.int32)
        pad_id = self.encoder.pad_id

        def tokenize_and_pad(rows):
            values, lengths = tf.numpy_function(self._encode_rows, [rows], (tf.int32, tf.int32), stateful=False)
            values.set_shape([None])
            lengths.set_shape([None])
            token_ids = tf.RaggedTensor.from_row_lengths(values, lengths).to_tensor(default_value=pad_id)
            longest = tf.shape(token_ids)[1]
            bucket = tf.reduce_min(tf.boolean_mask(boundaries, boundaries >= longest))
            token_ids = tf.pad(token_ids, [[0, 0], [0, bucket - longest]], constant_values=pad_id)
            return rows, token_ids, lengths

        dataset = rows.batch(self.per_host).map(tokenize_and_pad, num_parallel_calls=tf.data.AUTOTUNE,
                                                deterministic=True)
        return dataset.prefetch(max(1, self.sampler.settings.prefetch_batches))

    def __next__(self) -> PromptBatch:
        if not self._window_steps:
            self._build_window()
        rows, token_ids, lengths = (t.numpy() for t in next(self._window))
        step = self._window_steps.popleft()
        mask = (np.arange(token_ids.shape[1])[None, :] < lengths[:, None]).astype(np.int32)
        self._delivered(step)
        return self._batch(step, rows.tolist(), token_ids, mask)

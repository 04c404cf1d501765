"""The TensorFlow-free input path, for hosts that have only JAX.

Draws each step from the shared schedule sampler when the trainer asks for it and
tokenizes in plain Python, so it yields the same problem ids and tokens as the tf.data
path for the same seed and feedback. Must not import tensorflow.
"""
from __future__ import annotations

from curriculum.batch import PromptBatch
from curriculum.iterator_state import CurriculumIteratorBase


class PythonCurriculumIterator(CurriculumIteratorBase):
    def __next__(self) -> PromptBatch:
        step = self.next_step
        _, rows = self.host_rows(self._draw(step))
        token_ids, mask = self.encoder.pad([self.encoder.encode(self.sampler.catalog.problems[r]) for r in rows])
        self._delivered(step)
        return self._batch(step, rows, token_ids, mask)

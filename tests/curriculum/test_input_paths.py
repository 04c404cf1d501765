"""The tf.data path and the TensorFlow-free path yield the same batches; hosts split each step."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from curriculum.catalog import Catalog
from curriculum.input_pipeline import build_iterator, load_catalog
from curriculum.settings import CurriculumSettings
from curriculum.shard_files import read_shard_texts, resolve_shards
from curriculum.shard_files_tf import read_shard_texts_tf
from tests.curriculum.doubles import (ByteTokenizerDouble, chain_problems, render_chat_double, spread_problems,
                                      write_jsonl, write_shards)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def shard_dir(work_dir):
    problems, chains = chain_problems(8)
    write_shards(work_dir, spread_problems(150) + problems)
    write_jsonl(os.path.join(work_dir, "chains.jsonl"), chains)
    return work_dir


def settings(shard_dir, **changes):
    base = dict(total_steps=30, prompts_per_step=8, seed=4, data_files=(f"{shard_dir}/problems-*",),
                chain_files=(f"{shard_dir}/chains.jsonl",), split="all", prefetch_batches=2,
                trainer_asynchrony=1, max_prompt_tokens=96, bucket_boundaries=(48, 64))
    return CurriculumSettings(**{**base, **changes})


def rewards_for(problem_ids, step, group_size=4):
    return np.array([[hashlib.sha256(f"{p}{step}{g}".encode()).digest()[0] % 2 for g in range(group_size)]
                     for p in problem_ids], dtype=np.float32)


def take(iterator, steps, asynchrony=1):
    """Batches as an async trainer sees them: rewards for step s are observed after batch s + asynchrony."""
    batches = []
    for _ in range(steps):
        batches.append(next(iterator))
        if len(batches) > asynchrony:
            late = batches[-1 - asynchrony]
            iterator.observe(late.problem_ids, rewards_for(late.problem_ids, late.step), late.step)
    return batches


def test_tf_and_plain_readers_build_the_same_catalog(shard_dir):
    paths = resolve_shards([f"{shard_dir}/problems-*"])
    assert Catalog.from_texts(read_shard_texts(paths)) == Catalog.from_texts(read_shard_texts_tf(paths))


@pytest.mark.parametrize("schedule", ["classic", "learnability", "chain_walk", "uniform"])
def test_tf_and_python_paths_yield_identical_batches_under_the_same_feedback(shard_dir, schedule):
    catalog = load_catalog(settings(shard_dir))
    runs = {}
    for backend in ("tf", "python"):
        iterator = build_iterator(settings(shard_dir, schedule=schedule, backend=backend), ByteTokenizerDouble(),
                                  render_chat_double, catalog=catalog)
        batches = take(iterator, 12)
        refill = iterator.refill(batches[-1].step, 1, 3)
        runs[backend] = batches + [refill]
    assert len({b.problem_ids for b in runs["tf"]}) > 1
    for tf_batch, py_batch in zip(runs["tf"], runs["python"]):
        assert (tf_batch.step, tf_batch.problem_ids, tf_batch.refill_index) == \
               (py_batch.step, py_batch.problem_ids, py_batch.refill_index)
        np.testing.assert_array_equal(tf_batch.token_ids, py_batch.token_ids)
        np.testing.assert_array_equal(tf_batch.attention_mask, py_batch.attention_mask)
        assert tf_batch.token_ids.shape[1] in (48, 64, 96)


def test_batches_carry_tokens_masks_and_records(shard_dir):
    iterator = build_iterator(settings(shard_dir, schedule="classic"), ByteTokenizerDouble(), render_chat_double)
    batch = next(iterator)
    assert batch.step == 0 and len(batch.problems) == 8
    for row, problem in enumerate(batch.problems):
        expected = ByteTokenizerDouble().encode(render_chat_double([{"role": "user", "content": problem.statement}]))
        expected = expected[-96:]
        length = int(batch.attention_mask[row].sum())
        assert batch.token_ids[row, :length].tolist() == expected
        assert not batch.token_ids[row, length:].any()


@pytest.mark.parametrize("backend", ["tf", "python"])
def test_two_hosts_are_disjoint_and_together_complete(shard_dir, backend):
    catalog = load_catalog(settings(shard_dir))
    config = settings(shard_dir, schedule="classic", backend=backend)
    whole = take(build_iterator(config, ByteTokenizerDouble(), render_chat_double, catalog=catalog), 10, 10)
    hosts = [take(build_iterator(config, ByteTokenizerDouble(), render_chat_double, host_index=h, host_count=2,
                                 catalog=catalog), 10, 10) for h in range(2)]
    for step, batch in enumerate(whole):
        first, second = hosts[0][step], hosts[1][step]
        assert first.step == second.step == step
        assert len(first.problem_ids) == len(second.problem_ids) == 4
        assert first.problem_ids + second.problem_ids == batch.problem_ids   # disjoint slices, complete


def test_python_path_never_imports_tensorflow(shard_dir):
    script = f"""
import sys
class RefuseTensorflow:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'tensorflow':
            raise ImportError('tensorflow is not installed on this host')
sys.meta_path.insert(0, RefuseTensorflow())
from curriculum.input_pipeline import build_iterator
from curriculum.settings import CurriculumSettings
from tests.curriculum.doubles import ByteTokenizerDouble, render_chat_double
config = CurriculumSettings(schedule='learnability', data_files=('{shard_dir}/problems-*',), backend='python')
iterator = build_iterator(config, ByteTokenizerDouble(), render_chat_double)
batch = next(iterator)
iterator.observe(batch.problem_ids, [[1.0]] * len(batch.problem_ids), batch.step)
next(iterator)
assert not any(name.startswith('tensorflow') for name in sys.modules)
print('ok')
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]

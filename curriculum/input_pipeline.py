"""Building a run's curriculum iterator from its settings: catalog, split, schedule, sampler, path.

`backend='tf'` reads shards and batches with tf.data; `backend='python'` does neither and
never imports tensorflow (GPU hosts with only JAX). Both yield the same batches.
"""
from __future__ import annotations

from typing import Callable, Optional

from curriculum.catalog import Catalog
from curriculum.iterator_state import CurriculumIteratorBase
from curriculum.pipeline_python import PythonCurriculumIterator
from curriculum.prompts import ChatMessages, PromptEncoder, Tokenizer, statement_as_user_message
from curriculum.sampler import ScheduleSampler
from curriculum.schedules import build_schedule
from curriculum.settings import CurriculumSettings
from curriculum.shard_files import read_shard_texts, resolve_shards
from curriculum.splits import select_split


def load_catalog(settings: CurriculumSettings) -> Catalog:
    """All problems and chains in the configured shards (the whole catalog, before splitting)."""
    if not settings.data_files:
        raise ValueError("curriculum.data_files is empty; point it at data_gen's problem shards (JSONL or TFRecord)")
    problem_paths = resolve_shards(settings.data_files)
    chain_paths = resolve_shards(settings.chain_files) if settings.chain_files else ()
    if settings.backend == "tf":
        from curriculum.shard_files_tf import read_shard_texts_tf  # TensorFlow: GPU hosts have none (backend='python')
        texts = read_shard_texts_tf(problem_paths)
    else:
        texts = read_shard_texts(problem_paths)
    return Catalog.from_texts(texts, read_shard_texts(chain_paths))


def build_sampler(settings: CurriculumSettings, catalog: Catalog) -> ScheduleSampler:
    """The schedule sampler over the configured split of the catalog (config errors surface here)."""
    schedule = build_schedule(settings)
    if settings.only_chain_problems:
        if not catalog.chains:
            raise ValueError("curriculum.only_chain_problems is set but no chains were read; set "
                             "curriculum.chain_files to data_gen's chains-*.jsonl shards")
        catalog = catalog.subset(i for c in catalog.chains for i in (c.easy_id, c.medium_id, c.hard_id))
    split = select_split(catalog, settings.split, settings.held_out_fraction, settings.split_seed)
    return ScheduleSampler(within_pass_rate_range(split, settings.pass_rate_range), schedule, settings)


def within_pass_rate_range(catalog: Catalog, pass_rate_range: tuple[float, ...]) -> Catalog:
    """The problems whose pass rate lies in [low, high] (problems without one are kept)."""
    if not pass_rate_range:
        return catalog
    low, high = pass_rate_range
    return catalog.subset(p.id for p in catalog.problems if p.pass_rate is None or low <= p.pass_rate <= high)


def build_iterator(settings: CurriculumSettings, tokenizer: Tokenizer, render_chat: Callable[[ChatMessages], str],
                   prompt_messages=statement_as_user_message, host_index: int = 0, host_count: int = 1,
                   state: Optional[dict] = None, pad_id: int = 0,
                   catalog: Optional[Catalog] = None) -> CurriculumIteratorBase:
    """This host's iterator of PromptBatch; pass `state` (from `state_dict()`) to resume exactly."""
    sampler = build_sampler(settings, catalog if catalog is not None else load_catalog(settings))
    encoder = PromptEncoder(tokenizer, render_chat, prompt_messages, settings.max_prompt_tokens,
                            settings.bucket_boundaries, pad_id)
    if settings.backend == "tf":
        from curriculum.pipeline_tf import TFCurriculumIterator  # TensorFlow: GPU hosts have none (backend='python')
        return TFCurriculumIterator(sampler, encoder, host_index, host_count, state)
    return PythonCurriculumIterator(sampler, encoder, host_index, host_count, state)

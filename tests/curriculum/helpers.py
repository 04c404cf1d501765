"""Small builders shared by the curriculum tests (no test doubles here; those live in doubles.py)."""
from __future__ import annotations

from curriculum.catalog import Catalog
from curriculum.sampler import ScheduleSampler
from curriculum.schedules import build_schedule
from curriculum.settings import CurriculumSettings


def catalog_of(problems, chains=()) -> Catalog:
    return Catalog.from_texts([p.to_json() for p in problems], [c.to_json() for c in chains])


def sampler_for(problems, chains=(), **settings) -> ScheduleSampler:
    config = CurriculumSettings(**settings)
    return ScheduleSampler(catalog_of(problems, chains), build_schedule(config), config)

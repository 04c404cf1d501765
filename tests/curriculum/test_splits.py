from curriculum.splits import family_key, split_ids_by_family
from tests.curriculum.doubles import make_problem
from tests.curriculum.helpers import catalog_of


def mixed_catalog():
    synthetic = [make_problem(i, 0.5, family=f"fam{i // 4}") for i in range(200)]
    real = [make_problem(1000 + i, 0.5, provenance="real") for i in range(50)]
    return catalog_of(synthetic + real)


def test_families_never_cross_the_split_and_every_problem_lands_once():
    catalog = mixed_catalog()
    split = split_ids_by_family(catalog, held_out_fraction=0.2, seed=5)
    assert set(split["train"]).isdisjoint(split["held_out"])
    assert len(split["train"]) + len(split["held_out"]) == len(catalog)
    problem = {p.id: p for p in catalog.problems}
    train_families = {family_key(problem[i]) for i in split["train"]}
    held_out_families = {family_key(problem[i]) for i in split["held_out"]}
    assert train_families.isdisjoint(held_out_families)


def test_real_and_synthetic_each_hold_out_their_own_fraction():
    catalog = mixed_catalog()
    held_out = split_ids_by_family(catalog, 0.2, seed=5)["held_out"]
    provenance = {p.id: p.provenance for p in catalog.problems}
    assert sum(provenance[i] == "real" for i in held_out) == 10          # 20% of 50 real problems
    assert sum(provenance[i] == "synthetic" for i in held_out) == 40     # 20% of 50 families of 4


def test_split_is_seeded():
    catalog = mixed_catalog()
    assert split_ids_by_family(catalog, 0.2, 1) == split_ids_by_family(catalog, 0.2, 1)
    assert split_ids_by_family(catalog, 0.2, 1) != split_ids_by_family(catalog, 0.2, 2)

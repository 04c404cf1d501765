"""Every config loads, and every experiment's smoke size runs end to end.

Each experiment arm's smoke config builds its curriculum on a tiny dataset (abduction
problems of both provenances in every bin, chains, all four environments; validated in
the sandbox) and yields a batch whose problems are the ones the arm means to sample; each
experiment's default arm then trains 2 GRPO steps through rl.train.train with the tiny
digit policy. The tests override only what points a config at the tiny data and policy:
`output_dir`, `curriculum.data_files` / `chain_files`, and `curriculum.held_out_fraction = 0`
(the tiny set has too few families to hold 10% of them out); the policy is passed in.
The smoke runs share one dataset, one sandbox pool and a persistent JAX compilation cache
(the train step is jitted afresh per run; the cache makes the five later runs' compiles
hits), so the six runs take about a minute and a half after the first.
"""
import glob
import importlib
import os

import pytest

from configs import gpu as gpu_config
from configs.experiments import common
from data_gen.records import Problem
from sandbox.executor import SandboxExecutor
from tests import tiny_experiment_data
from tests.rl import train_doubles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "configs/experiments/*.py"))
                     if not os.path.basename(p).startswith(("_", "common")))
PAPER_CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "configs/paper/*.py"))
                       if not os.path.basename(p).startswith(("_", "memory", "common")))
ARMS = [(name, arm) for name in EXPERIMENTS for arm in importlib.import_module(f"configs.experiments.{name}").ARMS]


def _experiment(name):
    return importlib.import_module(f"configs.experiments.{name}")


@pytest.fixture(scope="module")
def shared_compilation_cache(tmp_path_factory):
    """A persistent compilation cache for this module's smoke runs; the settings are restored after."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs",
             "jax_persistent_cache_min_entry_size_bytes")
    previous = {name: getattr(jax.config, name) for name in names}
    compilation_cache.reset_cache()
    jax.config.update("jax_compilation_cache_dir", str(tmp_path_factory.mktemp("jax_cache")))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    yield
    for name, value in previous.items():
        jax.config.update(name, value)
    compilation_cache.reset_cache()


@pytest.fixture(scope="module")
def executor():
    with SandboxExecutor(workers=2) as pool:
        yield pool


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, executor):
    return tiny_experiment_data.write_tiny_dataset(str(tmp_path_factory.mktemp("tiny_data")), executor)


def _point_at_tiny_data(config, tiny_data, output_dir):
    problems_path, chains_path = tiny_data
    config.output_dir = output_dir
    config.curriculum.data_files = (problems_path,)
    config.curriculum.chain_files = (chains_path,)
    config.curriculum.held_out_fraction = 0.0
    return config


def test_the_experiment_set_is_the_papers():
    assert EXPERIMENTS == ["augmentation", "curricula", "difficulty_levels", "environment_mix",
                           "stepping_stones", "synthetic_only"]
    assert PAPER_CONFIGS == ["llama3_1_8b_instruct", "qwen2_5_32b", "qwen3_8b_base"]


@pytest.mark.parametrize("name,arm", ARMS)
@pytest.mark.parametrize("size", common.SIZES)
def test_every_experiment_arm_loads_and_keeps_shared_fields_tied(name, arm, size):
    config = _experiment(name).get_config(f"{size},{arm}")
    assert (config.experiment.name, config.experiment.arm, config.experiment.size) == (name, arm, size)
    assert config.curriculum.total_steps == config.train.steps
    assert config.curriculum.prompts_per_step == config.grpo.prompts_per_batch
    config.train.steps = 7                 # a CLI override of one side moves the other
    assert config.curriculum.total_steps == 7
    config.grpo.updates_per_batch = 2      # the schedule's horizon counts optimiser updates
    assert config.grpo.optimizer.total_steps == 14
    assert config.model.checkpoint == gpu_config.POLICY_PACK
    if size == "gpu":
        assert config.teacher.model == gpu_config.TEACHER_PACK and config.train.steps == 7
    config.lock()
    assert config.to_json_best_effort()


@pytest.mark.parametrize("name,arm", ARMS)
def test_an_experiment_arm_changes_only_the_curriculum(name, arm):
    base = common.base_config("gpu", name, arm).to_dict()
    varied = _experiment(name).get_config(f"gpu,{arm}").to_dict()
    assert {k for k in base if base[k] != varied[k]} <= {"curriculum"}
    if name == "curricula":
        assert {k for k in base["curriculum"] if base["curriculum"][k] != varied["curriculum"][k]} <= {"schedule"}


def test_the_launch_command_form_parses_size_arm_and_overrides():
    """Through the entry points' own flag (rl.cli), as `python -m rl.train --config=...:SIZE,ARM`."""
    import json
    import subprocess
    import sys

    script = ("import json\nfrom rl.cli import run_with_config\n"
              "run_with_config(lambda c: print(json.dumps(dict(size=c.experiment.size, schedule=c.curriculum.schedule,"
              " steps=c.curriculum.total_steps, backend=c.curriculum.backend))), 'usage')\n")
    completed = subprocess.run(
        [sys.executable, "-c", script, "--config=configs/experiments/curricula.py:smoke,reverse",
         "--config.train.steps=5", "--config.curriculum.backend=tf"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    parsed = json.loads(completed.stdout.strip().splitlines()[-1])
    assert parsed == {"size": "smoke", "schedule": "reverse", "steps": 5, "backend": "tf"}


def test_an_unknown_arm_names_the_valid_ones():
    with pytest.raises(ValueError, match="arms: medium, easy, easy_medium, hard"):
        _experiment("difficulty_levels").get_config("gpu,very_hard")


def test_gpu_and_paper_configs_load():
    config = gpu_config.get_config()
    assert config.teacher.model == "qwen2.5-coder-1.5b-instruct" and config.model.checkpoint == gpu_config.POLICY_PACK
    for name in PAPER_CONFIGS:
        paper = importlib.import_module(f"configs.paper.{name}").get_config()
        assert paper.curriculum.total_steps == paper.train.steps == 40_000
        assert paper.data_gen.student_attempts == 32
        mesh = paper.mesh
        assert mesh.data * mesh.fsdp * mesh.tensor == paper.tpu.chips


@pytest.mark.parametrize("name,billions", [("llama3_1_8b_instruct", 8.03), ("qwen3_8b_base", 8.19),
                                            ("qwen2_5_32b", 32.76)])
def test_paper_memory_estimates_match_their_docstrings(name, billions):
    from configs.paper import memory
    from configs.paper.common import step_shape

    module = importlib.import_module(f"configs.paper.{name}")
    assert module.MODEL_SHAPE.parameter_count() / 1e9 == pytest.approx(billions, abs=0.005)
    parts = memory.per_chip_gib(module.MODEL_SHAPE, step_shape(), **module.MESH)
    docstring = " ".join(module.__doc__.split())
    assert f"total {parts['total']:.1f} GiB of 95" in docstring
    for part in ("training_state", "activations", "kv_cache"):
        assert f"{parts[part]:.1f} GiB" in docstring
    assert parts["total"] < 95 * 0.85        # leaves the headroom memory.py says XLA needs


def _first_batch_problems(config, policy):
    from curriculum.input_pipeline import build_iterator
    from curriculum.settings import CurriculumSettings
    from data_gen.environments import ENVIRONMENT_REGISTRY, make_environment
    from rl.policy import environment_prompt

    environments = {name: make_environment(name) for name in ENVIRONMENT_REGISTRY.names()}
    iterator = build_iterator(CurriculumSettings.from_config(config.curriculum), policy.prompt_tokenizer,
                              policy.render_chat, prompt_messages=environment_prompt(environments),
                              pad_id=policy.pad_id)
    problems = []
    for _ in range(int(config.train.steps)):
        problems += next(iterator).problems
    return problems


def _arm_admits(name, arm, problem: Problem) -> bool:
    """What each arm may sample, written from the paper's definitions (not from the code)."""
    rate = problem.pass_rate
    if name == "augmentation":
        return problem.provenance == "real" or arm == "real_plus_synthetic"
    if name == "synthetic_only":
        return problem.provenance == "synthetic"
    if name == "difficulty_levels":
        low, high = {"easy": (0.85, 0.97), "easy_medium": (0.61, 0.85), "medium": (0.26, 0.61),
                     "hard": (0.10, 0.26)}[arm]
        return low <= rate < high
    if name == "stepping_stones":
        return problem.family_id.startswith("abduction-") and int(problem.family_id.split("-")[1]) >= 6 \
            and problem.student.passes in (1, 4, 7)
    if name == "environment_mix":
        return arm == "four_environments" or problem.environment == "induction"
    return name == "curricula"


@pytest.mark.parametrize("name,arm", ARMS)
def test_every_smoke_arm_samples_only_what_it_means_to(name, arm, tiny_data, tmp_path):
    policy = train_doubles.tiny_digit_policy()
    config = _point_at_tiny_data(_experiment(name).get_config(f"smoke,{arm}"), tiny_data, str(tmp_path))
    problems = _first_batch_problems(config, policy)
    assert len(problems) == config.train.steps * config.grpo.prompts_per_batch
    refused = [(p.environment, p.provenance, p.pass_rate) for p in problems if not _arm_admits(name, arm, p)]
    assert not refused, f"{name}/{arm} sampled {refused}"


def test_the_budgeted_arms_hold_exactly_their_problem_counts(tiny_data, tmp_path):
    from curriculum.input_pipeline import build_sampler, load_catalog
    from curriculum.settings import CurriculumSettings

    expected = {("augmentation", "real_plus_synthetic"): 9, ("augmentation", "real_subset"): 5,
                ("environment_mix", "four_environments"): 4, ("environment_mix", "induction_only"): 4}
    for (name, arm), count in expected.items():
        config = _point_at_tiny_data(_experiment(name).get_config(f"smoke,{arm}"), tiny_data, str(tmp_path))
        settings = CurriculumSettings.from_config(config.curriculum)
        sampler = build_sampler(settings, load_catalog(settings))
        assert sum(sampler.pool_sizes) == count, (name, arm)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_each_experiment_smoke_size_trains_end_to_end(name, tiny_data, executor, shared_compilation_cache, tmp_path):
    from rl.train import train

    config = _point_at_tiny_data(_experiment(name).get_config("smoke"), tiny_data, str(tmp_path / name))
    result = train(config, policy=train_doubles.tiny_digit_policy(), executor=executor, progress=False)
    assert result.final_step == config.train.steps == common.SMOKE_STEPS
    assert [int(row["step"]) for row in result.metrics] == list(range(common.SMOKE_STEPS))
    assert all(0.0 <= row["reward_mean"] <= 1.0 for row in result.metrics)
    assert os.path.exists(os.path.join(str(tmp_path / name), "train", "metrics.csv"))


@pytest.mark.parametrize("path", ["configs/train.py", "configs/default.py", "configs/data_gen.py", "configs/eval.py",
                                  "configs/serve.py", "configs/gpu.py"]
                         + [f"configs/experiments/{name}.py" for name in EXPERIMENTS]
                         + [f"configs/paper/{name}.py" for name in PAPER_CONFIGS])
def test_every_shipped_config_passes_validation(path):
    from configs.validation import validate_config
    from rl.cli import load_config_file

    validate_config(load_config_file(os.path.join(ROOT, path)))


def test_validation_names_the_field_and_its_range():
    from configs.validation import ConfigError, validate_config

    config = importlib.import_module("configs.default").get_config()
    with config.unlocked():
        config.grpo.group_size = 1
    with pytest.raises(ConfigError, match=r"grpo.group_size=1 is not accepted: out of range, it must be >= 2"):
        validate_config(config)
    config.grpo.group_size = 4
    config.teacher.top_p = 0.0
    with pytest.raises(ConfigError, match=r"teacher.top_p=0.0 is not accepted"):
        validate_config(config)


def test_the_rollouts_sampling_settings_are_one_section():
    from configs.validation import ConfigError, validate_config
    from rl.rollout import rollout_sampling

    config = importlib.import_module("configs.default").get_config()
    assert "temperature" not in config.grpo            # the objective reads the rollouts' own
    config.train.temperature = 0.7
    assert rollout_sampling(config).temperature == 0.7
    config.train.temperature = 0.0
    with pytest.raises(ConfigError, match=r"train.temperature=0.0 is not accepted: out of range, it must be > 0"):
        validate_config(config)

"""The policy as the trainer and evaluators use it: the model split into graphdef and
parameter pytree, its tokenizer, chat template and stop tokens, loaded from a model pack
or a checkpoint directory named in the `model` config section."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

from flax import nnx

from rl.generation.in_process import InProcessGenerator
from rl.loaders import load_checkpoint
from rl.models.hf_weights import model_from_hf_tensors
from rl.sampling.sampler import Sampler


class PromptTokenizer:
    """A tokenizer view for rendered chat prompts: the template already wrote any BOS, so
    encoding adds no special tokens of its own."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def decode(self, token_ids: Sequence[int]) -> str:
        return self.tokenizer.decode(token_ids)


@dataclasses.dataclass
class Policy:
    name: str
    graphdef: nnx.GraphDef
    params: nnx.State
    tokenizer: Any                                  # rl.loaders.Tokenizer
    model_config: Any

    @property
    def prompt_tokenizer(self) -> PromptTokenizer:
        return PromptTokenizer(self.tokenizer)

    @property
    def stop_token_ids(self) -> tuple[int, ...]:
        return tuple(self.tokenizer.stop_token_ids)

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)

    def render_chat(self, messages: Sequence[Any]) -> str:
        """Chat messages -> prompt text through the model's own template (generation prompt added)."""
        return self.tokenizer.apply_chat_template(messages_as_dicts(messages), add_generation_prompt=True)


def policy_from_model(name: str, model: nnx.Module, tokenizer, model_config) -> Policy:
    graphdef, params = nnx.split(model)
    return Policy(name=name, graphdef=graphdef, params=params, tokenizer=tokenizer, model_config=model_config)


def policy_generator(policy: "Policy") -> InProcessGenerator:
    """A text generator over the policy's current parameters (the evaluations before and after
    training, on benchmarks and on the run's synthetic problems)."""
    return InProcessGenerator(Sampler(policy.graphdef, policy.params, pad_id=policy.pad_id), policy.tokenizer,
                              model_name=policy.name)


def load_policy(model_section, mesh=None) -> Policy:
    """Load the policy named by `model_section.checkpoint` (a pack name, an HF directory, a .gguf)."""
    loaded = load_checkpoint(str(model_section.checkpoint))
    if loaded.tokenizer is None:
        raise ValueError(f"model.checkpoint {model_section.checkpoint!r} has no tokenizer.json; the policy needs one")
    overrides = {key: model_section[key] for key in ("dtype", "param_dtype", "remat", "attention") if key in model_section}
    config = loaded.config.replace(**overrides)
    model = model_from_hf_tensors(config, loaded.tensors, mesh=mesh)
    return policy_from_model(str(model_section.checkpoint), model, loaded.tokenizer, config)


def messages_as_dicts(messages) -> list[dict]:
    """Chat messages (rl.generation.types.Message or dicts) as role/content dicts."""
    return [dict(m) if isinstance(m, dict) else {"role": m.role, "content": m.content} for m in messages]


def environment_prompt(environments) -> Callable:
    """problem -> chat messages, rendered by the problem's own environment."""

    def render(problem) -> list[dict]:
        return messages_as_dicts(environments[problem.environment].render_policy_prompt(problem))

    return render

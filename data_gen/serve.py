"""Start a JetStream server (orchestrator + gRPC) over the project's model:

    python -m data_gen.serve --config=configs/serve.py [--config.port=9000 ...]

Loads the model and its tokenizer, builds a `ModelEngine`, compiles it, and serves until
interrupted. Prints `serving <host>:<port>` on stdout once calls are accepted.
"""
from __future__ import annotations

import logging
import signal
import sys

import numpy as np

from rl.cli import run_with_config
from rl.jetstream.request_sampling import RequestSampling
from rl.loaders.checkpoint import load_checkpoint
from rl.models.hf_weights import model_from_hf_tensors


def build_engine(config):
    """The ModelEngine described by a configs/serve.py config."""
    from rl.jetstream.engine import ModelEngine  # lazy: google-jetstream pulls TensorFlow (~10 s); config errors first
    from rl.jetstream.tokenizer_adapter import JetStreamTokenizer  # lazy: google-jetstream, as above

    checkpoint = load_checkpoint(config.model)
    if checkpoint.tokenizer is None:
        raise SystemExit(
            f"{config.model} has no tokenizer.json; the server needs the model's tokenizer for its stop "
            "tokens: add the tokenizer files to the checkpoint directory")
    model = model_from_hf_tensors(checkpoint.config.replace(dtype=config.dtype), checkpoint.tensors)
    sampling = config.sampling
    return ModelEngine(
        model, JetStreamTokenizer(checkpoint.tokenizer, name=str(config.model)),
        slots=config.slots, max_prefill_length=config.max_prefill_length,
        max_cache_length=config.max_cache_length,
        default_sampling=RequestSampling(temperature=sampling.temperature, top_p=sampling.top_p,
                                         top_k=sampling.top_k, seed=sampling.seed))


def warm_up(engine) -> None:
    """Compile prefill (smallest bucket), insert and generate on a throwaway state."""
    params = engine.load_params()
    prefix = engine.prefill(params=params, padded_tokens=np.zeros((16,), np.int32), true_length=1)
    state = engine.insert(prefix, engine.init_decode_state(), slot=0)
    state, result = engine.generate(params, state)
    result.convert_to_numpy()


def serve(config) -> None:
    from rl.jetstream.server import JetStreamServer  # google-jetstream (TensorFlow, ~10 s): only when serving

    # JetStream's orchestrator sets the root logger to DEBUG on import; restore ours.
    logging.getLogger().setLevel(config.log_level)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop cleanly, as on Ctrl-C
    engine = build_engine(config)
    if config.warm_up:
        warm_up(engine)
    server = JetStreamServer(engine, host=config.host, port=config.port,
                             threads=config.grpc_threads or None)
    print(f"serving {server.address}", flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop()
        print("server stopped", flush=True)


def main(config) -> None:
    logging.basicConfig(level=config.log_level)
    try:
        serve(config)
    except (ValueError, OSError) as error:  # a bad config value, checkpoint or port, named by the raiser
        sys.exit(f"data_gen.serve: {error}")


if __name__ == "__main__":
    run_with_config(main, "python -m data_gen.serve --config=configs/serve.py [--config.port=9000 ...]")

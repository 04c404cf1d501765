"""The policy side: Flax models, checkpoint loaders, the KV-cache sampler, the
text-generation interface and its clients, the JetStream engine, GRPO, the trainer,
evaluation and the main job.

Models, sampling and generation clients import nothing of `data_gen` or `curriculum`;
the trainer, evaluation and main job may use everything.
"""

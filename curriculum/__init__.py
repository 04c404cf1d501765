"""Curricula: difficulty bins and online estimates, schedules (pure functions of step and
statistics), the tf.data input pipeline with a TensorFlow-free twin, and the TFDS builder.

Reads data_gen's records; imports nothing of rl (tests/test_layering.py). Only `shard_files_tf`,
`pipeline_tf` and `tfds_builder` import TensorFlow; everything else runs without it.

Map: bands (named pass-rate bins) - online_estimate (Beta / EMA per problem) -
phase_tables and schedules (registered by name) - pools, splits, catalog, shard_files -
sampler (the one "which problems at step t") - prompts, batch - iterator_state,
pipeline_python, pipeline_tf, input_pipeline (build_iterator) - tfds_builder - plot. The
throughput benchmark with the model's tokenizer is rl.input_pipeline_bench.
"""

"""Curricula: difficulty bins and online estimates, schedules (pure functions of step and
statistics), the tf.data input pipeline with a TensorFlow-free twin, and the TFDS builder.

Reads data_gen's records; must not import the trainer.
"""

"""Shared config sections (model, teacher, student, sandbox, data_gen, curriculum, grpo,
eval, checkpoint), one module each, composed by the experiment configs."""

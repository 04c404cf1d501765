"""Synthetic problem generation: seeds, environments, teacher prompts, the multi-turn
refinement loop, records and the dataset writer.

Uses `sandbox` and the text-generation interface (`rl.generation`); must not import
`curriculum` or the trainer.
"""

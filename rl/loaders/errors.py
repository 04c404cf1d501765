"""The one error type a user can cause while loading a checkpoint, a pack or a tokenizer."""


class CheckpointError(ValueError):
    """A checkpoint, model pack or tokenizer cannot be loaded; the message names the thing and the fix."""

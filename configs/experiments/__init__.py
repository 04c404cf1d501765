"""One config per experiment of the paper, each a `get_config("SIZE,ARM")` built from
configs/train.py's sections (through configs/gpu.py for the one-GPU size) and changing
only what the experiment varies: mostly the `curriculum` section."""

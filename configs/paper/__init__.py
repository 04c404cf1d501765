"""Paper-scale configs: the paper's three policies trained on TPU pod slices, with the mesh
shapes and per-chip memory estimates (configs/paper/memory.py) in each docstring."""

"""ml_collections configs: one `get_config()` per experiment file, composed from the
shared sections in `configs/sections/`."""

"""Serving the project's model with JetStream (google-jetstream 0.2.2): the `Engine`
implementation over our decoder and KV cache, the driver/servicer that carry per-request
sampling settings, and the helper that starts the gRPC server.

Import `rl.jetstream.compat` before anything from `jetstream` (the modules here do).
"""

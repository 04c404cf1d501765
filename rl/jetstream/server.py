"""Starting and stopping a JetStream gRPC server over one `ModelEngine`.

JetStream's `server_lib.run` builds its own Driver and servicer; this helper does the
same with `SamplingDriver` / `SamplingOrchestrator` so requests carry their sampling
settings, binds an insecure port on a chosen host (port 0 picks a free one) and returns a
handle to wait on or stop. Every request is validated before it reaches JetStream's
threads (`rl.jetstream.driver.RequestLimits`); `auth_token`, when given, is a shared
secret every call must send as `x-jetstream-token` metadata (use it for non-loopback
binds: the port is plain, unencrypted gRPC).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Optional

import rl.jetstream.compat  # noqa: F401  (must precede the jetstream imports)

import grpc
from jetstream.core.proto import jetstream_pb2_grpc

from rl.jetstream.driver import RequestLimits, SamplingDriver, SamplingOrchestrator
from rl.jetstream.engine import ModelEngine


class JetStreamServer:
    """A running server: JetStream's driver threads plus a grpc.aio server on its own loop."""

    def __init__(self, engine: ModelEngine, host: str = "127.0.0.1", port: int = 0,
                 threads: Optional[int] = None, auth_token: Optional[str] = None):
        if host not in ("127.0.0.1", "localhost", "::1") and not auth_token:
            logging.warning("JetStream server bound to %s without an auth token: anyone who "
                            "reaches the port can use it", host)
        params = engine.load_params()
        self.driver = SamplingDriver(
            prefill_engines=[engine], generate_engines=[engine],
            prefill_params=[params], generate_params=[params],
            interleaved_mode=True, jax_padding=False, default_sampling=engine.default_sampling)
        # Enough handler threads for every slot plus queued callers.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads or max(2 * engine.max_concurrent_decodes, 16))
        self._loop = asyncio.new_event_loop()
        self._loop.set_default_executor(self._executor)
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="grpc-loop", daemon=True)
        self._loop_thread.start()
        limits = RequestLimits(vocab_size=int(engine.config.vocab_size),
                               max_prefill_length=engine.max_prefill_length,
                               max_cache_length=engine.max_cache_length, auth_token=auth_token)
        servicer = SamplingOrchestrator(self.driver, engine.default_sampling, limits)

        async def build() -> tuple[grpc.aio.Server, int]:
            server = grpc.aio.server(self._executor)
            jetstream_pb2_grpc.add_OrchestratorServicer_to_server(servicer, server)
            try:
                bound = server.add_insecure_port(f"{host}:{port}")
            except RuntimeError:  # recent grpcio raises where older ones returned 0
                bound = 0
            if bound:
                await server.start()
            return server, bound

        try:
            self._server, self.port = self._run(build())
        except Exception:
            self._shutdown_loop()
            self.driver.stop()
            raise
        if self.port == 0:
            self.driver.stop()
            self._shutdown_loop()
            raise OSError(f"could not bind the JetStream server to {host}:{port}: the port is taken or the "
                          "host is not local; choose another --config.port (0 picks a free one)")
        self.address = f"{host}:{self.port}"
        logging.warning("JetStream server listening on %s (%d slots)", self.address,
                        engine.max_concurrent_decodes)

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def wait_for_termination(self) -> None:
        try:
            self._run(self._server.wait_for_termination())
        finally:
            self.stop()

    def stop(self) -> None:
        if not self._loop.is_running():
            return
        self.driver.stop()
        self._run(self._server.stop(grace=1))
        self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join()
        self._executor.shutdown(wait=False)

"""OpenAIServerDouble: a scripted OpenAI-compatible HTTP server on 127.0.0.1 for client tests."""
from __future__ import annotations

import http.server
import json
import threading
import time


class OpenAIServerDouble:
    """Answers /v1/chat/completions and /v1/completions; records every body it receives.

    `failures` is a list of HTTP status codes answered (in order) before real answers;
    `delay_s` holds each answer back that long (to test timeouts and concurrency).
    """

    def __init__(self, failures=(), delay_s: float = 0.0):
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.failures = list(failures)
        self.delay_s = delay_s
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with double._lock:
                    double.bodies.append(body)
                    double.paths.append(self.path)
                    failure = double.failures.pop(0) if double.failures else None
                    double.in_flight += 1
                    double.max_in_flight = max(double.max_in_flight, double.in_flight)
                try:
                    time.sleep(double.delay_s)
                    if failure is not None:
                        self._send(failure, {"error": {"message": f"scripted failure {failure}"}})
                    else:
                        self._send(200, double.answer(self.path, body))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with double._lock:
                        double.in_flight -= 1

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @staticmethod
    def answer(path: str, body: dict) -> dict:
        """Choice i echoes the last user message (or prompt) and i; the last choice is cut by length."""
        chat = path.endswith("/chat/completions")
        source = body["messages"][-1]["content"] if chat else body["prompt"]
        choices = []
        for index in range(body.get("n", 1)):
            text = f"{source}#{index}"
            finish = "length" if index == body.get("n", 1) - 1 and index > 0 else "stop"
            choice = {"index": index, "finish_reason": finish}
            choice.update({"message": {"role": "assistant", "content": text}} if chat else {"text": text})
            choices.append(choice)
        return {"model": body["model"], "choices": choices[::-1],  # out of order on purpose
                "usage": {"prompt_tokens": 7, "completion_tokens": 10 * len(choices)}}

    def close(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

"""`python -m bench.otlp_sink --port N`: a stand-in OpenTelemetry collector on loopback.

Accepts OTLP/HTTP trace exports (`POST /v1/traces`) and answers 200 with an empty export response,
so the server under test pays the full cost of recording and exporting spans (the SDK encodes and
sends every batch) without a real collector. `GET /health` answers 200, `GET /stats` the number of
exports and bytes received.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.processes import LOOPBACK

_lock = threading.Lock()
_received = {"exports": 0, "bytes": 0}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        with _lock:
            _received["exports"] += 1
            _received["bytes"] += len(body)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if self.path not in ("/health", "/stats"):
            self.send_error(404)
            return
        with _lock:
            payload = json.dumps(_received).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:  # quiet: one line per export is noise
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer((LOOPBACK, args.port), _Handler).serve_forever()


if __name__ == "__main__":
    main()

"""`python -m fakes.open_meteo`: serve the fake in the foreground (the benchmark and manual runs use it)."""

from __future__ import annotations

import argparse
import contextlib

from fakes.open_meteo.api import FakeOpenMeteo


def main(argv: list[str] | None = None) -> None:
    """Serve the fake in the foreground until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m fakes.open_meteo", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one, printed at start)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every response")
    args = parser.parse_args(argv)
    fake = FakeOpenMeteo(latency_ms=args.latency_ms, host=args.host, port=args.port)
    fake.start()
    print(f"fake Open-Meteo listening on {fake.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_until_stopped()
    fake.stop()


if __name__ == "__main__":
    main()

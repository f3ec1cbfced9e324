"""`python -m fakes.nws`: serve the fake in the foreground (the benchmark and manual runs use it)."""

from __future__ import annotations

import argparse
import contextlib

from fakes.nws.api import FakeNws


def main(argv: list[str] | None = None) -> None:
    """Serve the fake in the foreground until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m fakes.nws", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one, printed at start)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every response")
    parser.add_argument(
        "--forecast-max-age", type=int, default=900, help="Cache-Control max-age of forecasts"
    )
    args = parser.parse_args(argv)
    fake = FakeNws(
        latency_ms=args.latency_ms, forecast_max_age=args.forecast_max_age, host=args.host, port=args.port
    )
    fake.start()
    print(f"fake NWS listening on {fake.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_until_stopped()
    fake.stop()


if __name__ == "__main__":
    main()

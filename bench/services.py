"""The processes under test: the fake NWS, the fake Open-Meteo and the MCP server (weather or floor), on
loopback only."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import httpx

from bench.processes import LOOPBACK, ManagedProcess, free_port, wait_until_healthy
from bench.run_types import Mode, UpstreamCounts
from fakes.open_meteo.api import AIR_QUALITY_PATH, FORECAST_PATH, GEOCODING_PATH
from server.contract import HEALTH_PATH, MCP_PATH, EnvVar

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
#: Identifies the benchmark to the fake NWS (which, like NWS, refuses anonymous clients).
USER_AGENT: Final = "mcp-weather-bench/1 (bench@example.com)"
#: `python -m bench.floor`: not imported here, the orchestrator has no use for FastMCP.
_FLOOR_MODULE: Final = "bench.floor"


def _clean_environment() -> dict[str, str]:
    """This process's environment without any server setting a developer may have exported."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MCP_", "NWS_", "FASTMCP_", "OTEL_", "OPEN_METEO_"))
        and key not in (EnvVar.LOG_LEVEL, "PYTHONPATH")
    }


class FakeNwsProcess:
    """`python -m fakes.nws` with a fixed per-request latency."""

    def __init__(self, workdir: Path, latency_ms: float) -> None:
        port = free_port()
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.process = ManagedProcess(
            "fake NWS",
            [
                sys.executable,
                "-m",
                "fakes.nws",
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--latency-ms",
                str(latency_ms),
            ],
            env=_clean_environment(),
            cwd=REPO_ROOT,
            log_path=workdir / "fake_nws.log",
        )
        try:
            wait_until_healthy(self.process, f"{self.base_url}/__fake__/stats")
        except BaseException:
            self.process.stop()
            raise

    def reset(self) -> None:
        """Forget the requests counted so far."""
        httpx.post(f"{self.base_url}/__fake__/reset", timeout=10).raise_for_status()

    def counts(self) -> UpstreamCounts:
        """Requests received since the last reset."""
        response = httpx.get(f"{self.base_url}/__fake__/stats", timeout=10)
        response.raise_for_status()
        by_path: dict[str, int] = response.json()["by_path"]

        def under(prefix: str, suffix: str = "") -> int:
            return sum(
                count for path, count in by_path.items() if path.startswith(prefix) and path.endswith(suffix)
            )

        return UpstreamCounts(
            points=under("/points/"),
            forecasts=under("/gridpoints/", "/forecast"),
            alerts=under("/alerts/"),
            hourly=under("/gridpoints/", "/forecast/hourly"),
            stations=under("/gridpoints/", "/stations"),
            observations=under("/stations/"),
        )

    def stop(self) -> None:
        """Stop the fake."""
        self.process.stop()


class FakeOpenMeteoProcess:
    """`python -m fakes.open_meteo` (forecast, geocoding, air quality on one port), fixed latency."""

    def __init__(self, workdir: Path, latency_ms: float) -> None:
        port = free_port()
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.process = ManagedProcess(
            "fake Open-Meteo",
            [
                sys.executable,
                "-m",
                "fakes.open_meteo",
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--latency-ms",
                str(latency_ms),
            ],
            env=_clean_environment(),
            cwd=REPO_ROOT,
            log_path=workdir / "fake_open_meteo.log",
        )
        try:
            wait_until_healthy(self.process, f"{self.base_url}/__fake__/stats")
        except BaseException:
            self.process.stop()
            raise

    def environment(self) -> dict[str, str]:
        """The server's settings pointing all three Open-Meteo URLs at this fake."""
        return open_meteo_environment(self.base_url)

    def reset(self) -> None:
        """Forget the requests counted so far."""
        httpx.post(f"{self.base_url}/__fake__/reset", timeout=10).raise_for_status()

    def counts(self, nws: UpstreamCounts) -> UpstreamCounts:
        """`nws` with the Open-Meteo requests received since the last reset added."""
        response = httpx.get(f"{self.base_url}/__fake__/stats", timeout=10)
        response.raise_for_status()
        by_path: dict[str, int] = response.json()["by_path"]
        return replace(
            nws,
            open_meteo_forecasts=by_path.get(FORECAST_PATH, 0),
            open_meteo_searches=by_path.get(GEOCODING_PATH, 0),
            open_meteo_air_quality=by_path.get(AIR_QUALITY_PATH, 0),
        )

    def stop(self) -> None:
        """Stop the fake."""
        self.process.stop()


def open_meteo_environment(base_url: str) -> dict[str, str]:
    """OPEN_METEO_*_URL settings for a fake Open-Meteo at `base_url` (all three on one port)."""
    return {
        EnvVar.OPEN_METEO_FORECAST_URL: base_url + FORECAST_PATH,
        EnvVar.OPEN_METEO_GEOCODING_URL: base_url + GEOCODING_PATH,
        EnvVar.OPEN_METEO_AIR_QUALITY_URL: base_url + AIR_QUALITY_PATH,
    }


#: Where a server without a fake Open-Meteo sends Open-Meteo requests: the discard port on loopback,
#: where nothing listens (the benchmark never calls the real service).
NO_OPEN_METEO: Final = "http://127.0.0.1:9"


class OtlpSinkProcess:
    """`python -m bench.otlp_sink`: where a traced server exports its spans (see that module)."""

    def __init__(self, workdir: Path) -> None:
        port = free_port()
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.process = ManagedProcess(
            "OTLP sink",
            [sys.executable, "-m", "bench.otlp_sink", "--port", str(port)],
            env=_clean_environment(),
            cwd=REPO_ROOT,
            log_path=workdir / "otlp_sink.log",
        )
        try:
            wait_until_healthy(self.process, f"{self.base_url}/health")
        except BaseException:
            self.process.stop()
            raise

    def stop(self) -> None:
        """Stop the sink."""
        self.process.stop()


@dataclass(frozen=True)
class Tracing:
    """Traces on: export to this OTLP/HTTP endpoint, recording this share of calls."""

    endpoint: str
    sample_percent: float

    def environment(self) -> dict[str, str]:
        """The server's environment for it, as the stack sets it with tracing_enabled."""
        return {
            EnvVar.OTEL_EXPORTER_OTLP_ENDPOINT: self.endpoint,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": f"{self.sample_percent / 100:g}",
        }


class ServerProcess:
    """The MCP server under test: `python -m server`, or the echo floor with the same configuration."""

    def __init__(
        self,
        workdir: Path,
        *,
        mode: Mode,
        workers: int,
        nws_url: str,
        label: str,
        tracing: Tracing | None = None,
        open_meteo_url: str = NO_OPEN_METEO,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        port = free_port()
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.mcp_url = self.base_url + MCP_PATH
        env = _clean_environment()
        env.update(
            {
                EnvVar.HOST: LOOPBACK,
                EnvVar.PORT: str(port),
                EnvVar.WORKERS: str(workers),
                EnvVar.NWS_API_BASE_URL: nws_url,
                EnvVar.NWS_USER_AGENT: USER_AGENT,
                EnvVar.LOG_LEVEL: "INFO",  # the shipped default: one JSON line per tool call
                EnvVar.NWS_CACHE_ENABLED: "false" if mode == "baseline" else "true",
                **open_meteo_environment(open_meteo_url),
            }
        )
        if tracing is not None:
            env.update(tracing.environment())
        env.update(extra_env or {})  # e.g. the fleet cache's URL (bench/fleet.py)
        module = _FLOOR_MODULE if mode == "floor" else "server"
        self.process = ManagedProcess(
            f"server ({label})",
            [sys.executable, "-m", module],
            env=env,
            cwd=REPO_ROOT,
            log_path=workdir / f"server-{label}.log",
        )
        try:
            wait_until_healthy(self.process, self.base_url + HEALTH_PATH)
        except BaseException:
            self.process.stop()
            raise

    @property
    def pid(self) -> int:
        """PID of the server's main process (uvicorn's supervisor when there are several workers)."""
        return self.process.pid

    def stop(self) -> None:
        """Stop the server and its workers."""
        self.process.stop()

"""The workers of one task when only the fleet cache is gone: they carry on, each with its own
in-process cache (no per-task directory stands in), and say so once each, not once per call."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.nws import FakeNws
from fakes.redis_server import free_port
from server.contract import EnvVar
from tests.server.fleet.conftest import call_tool, start_fleet_server

pytestmark = pytest.mark.timeout(120)


def test_the_workers_of_a_task_carry_on_alone_when_only_the_shared_cache_is_gone(
    tmp_path: Path, nws: FakeNws
) -> None:
    nothing_listens = f"redis://127.0.0.1:{free_port()}"
    server = start_fleet_server(tmp_path, nws.base_url, nothing_listens, **{EnvVar.WORKERS: "2"})
    try:
        answers = [call_tool(server.mcp_url, "get_alerts", state="KS") for _ in range(20)]
    finally:
        server.stop()

    logs = server.logs()
    assert [answer["isError"] for answer in answers] == [False] * 20
    # Each worker keeps its own cache: the area is fetched once per worker at most, never per call.
    assert 1 <= nws.count("/alerts/") <= 2
    # The fleet cache replaces the per-task directory, also while it is down.
    starting = next(line for line in logs.splitlines() if '"server_starting"' in line)
    assert '"shared_cache_dir": null' in starting
    assert f'"shared_cache_url": "{nothing_listens}"' in starting
    # One line per worker that noticed, not one per call.
    assert 1 <= logs.count('"event": "shared_cache_error"') <= 2
    # The calls that needed the shared cache (local misses) carry the metric; local hits need none.
    assert logs.count('"SharedCacheUnavailable": 1') == nws.count("/alerts/")

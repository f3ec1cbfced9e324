"""Reading a `python -m server` process's JSON log: which worker process served which tool call.

Every line carries the `pid` of the process that wrote it; the line written per tool call
(`server.tool_call_log`) is how a multi-worker test proves that each worker served calls.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.server.conftest import ServerProcess

#: uvicorn's line when a worker's app (and its lifespan) is ready: one per worker process.
WORKER_READY = "Application startup complete."


def log_events(server: ServerProcess, event: str, *, since: int = 0) -> list[dict[str, Any]]:
    """The log lines whose event is `event`, parsed, in the order written (from character `since` on)."""
    lines = server.logs()[since:].splitlines()
    return [record for record in map(_parse, lines) if record is not None and record.get("event") == event]


def _parse(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def worker_pids(server: ServerProcess) -> set[int]:
    """The pids of the worker processes whose app started (not the supervisor's)."""
    pids = {record["pid"] for record in log_events(server, WORKER_READY)}
    return pids - {server.process.pid}


def tool_call_pids(server: ServerProcess, *, since: int = 0) -> list[int]:
    """The pid of the worker that served each tool call, in the order the calls were logged."""
    return [record["pid"] for record in log_events(server, "tool_call", since=since)]


def until_every_worker_served(
    server: ServerProcess,
    call: Callable[[int], object],
    *,
    workers: int = 2,
    max_calls: int = 200,
    timeout: float = 60,
) -> list[object]:
    """Make calls (`call(index)`, one new connection each) until every worker has logged a tool call.

    The kernel hands each new connection to whichever worker accepts first, so the spread is not
    ours to choose: keep calling, and fail loudly (with the tally) if one worker never gets a call.
    Returns what each call returned.
    """
    since = len(server.logs())
    deadline = time.monotonic() + timeout
    results: list[object] = []
    served: Counter[int] = Counter()
    while len(served) < workers:
        if len(results) >= max_calls or time.monotonic() > deadline:
            raise AssertionError(
                f"after {len(results)} calls, {len(served)} of {workers} workers served any: {dict(served)}"
            )
        results.append(call(len(results)))
        served = Counter(tool_call_pids(server, since=since))
    assert set(served) <= worker_pids(server), f"calls logged by unknown processes: {dict(served)}"
    return results

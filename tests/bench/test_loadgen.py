"""The load generator's run loop, with stand-in clients instead of MCP sessions."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel

from bench.loadgen import CallTool, LoadResult, PlannedCall, PlanRun, describe, distinct_calls, warm_up_call


def run(calls: list[PlannedCall], clients: list[CallTool], call_timeout: float = 5.0) -> LoadResult:
    async def main() -> LoadResult:
        state = PlanRun(calls, len(clients), call_timeout)
        state.start()

        async def client(call_tool: CallTool) -> None:
            try:
                await state.call_loop(call_tool)
            finally:
                state.client_done()

        async with anyio.create_task_group() as group:
            for call_tool in clients:
                group.start_soon(client, call_tool)
        return state.result

    return anyio.run(main)


def test_every_planned_call_is_made_exactly_once_across_clients() -> None:
    seen: list[int] = []

    def client() -> CallTool:
        async def call(_tool: str, arguments: dict[str, Any]) -> bool:
            await anyio.lowlevel.checkpoint()
            seen.append(arguments["n"])
            return False

        return call

    result = run([("t", {"n": n}) for n in range(50)], [client() for _ in range(7)])
    assert sorted(seen) == list(range(50))
    assert len(result.latencies) == 50
    assert result.errors == 0
    assert result.wall_seconds > 0


def test_tool_errors_and_exceptions_are_counted_and_grouped() -> None:
    async def call(_tool: str, arguments: dict[str, Any]) -> bool:
        if arguments["n"] % 5 == 0:
            raise ConnectionError("server went away")
        return arguments["n"] % 5 == 1  # isError

    result = run([("t", {"n": n}) for n in range(20)], [call, call])
    assert result.errors == 8
    assert result.error_samples == {"ConnectionError: server went away": 4, "tool returned isError": 4}
    assert len(result.latencies) == 20  # failed calls are timed too


def test_a_call_that_hangs_times_out_as_an_error() -> None:
    async def call(_tool: str, arguments: dict[str, Any]) -> bool:
        if arguments["n"] == 0:
            await anyio.sleep(60)
        return False

    result = run([("t", {"n": n}) for n in range(3)], [call], call_timeout=0.05)
    assert result.errors == 1
    assert list(result.error_samples) == ["TimeoutError: "]


def test_exception_groups_are_described_by_their_first_error() -> None:
    group = ExceptionGroup("task group", [ValueError("bad json"), KeyError("x")])
    assert describe(group) == "ValueError: bad json"


def test_warm_up_spreads_the_distinct_calls_over_the_clients() -> None:
    plan: list[PlannedCall] = [("f", {"at": "a"}), ("f", {"at": "b"}), ("f", {"at": "a"}), ("g", {})]
    distinct = distinct_calls(plan)
    firsts = [warm_up_call(distinct, index) for index in range(6)]
    assert firsts == [plan[0], plan[1], plan[3], plan[0], plan[1], plan[3]]

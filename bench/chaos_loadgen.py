"""The chaos run's load generator: `python -m bench.chaos_loadgen URL --clients N`, run by bench.chaos.

Like bench/loadgen.py (the official SDK client, one session and one connection per client, a
closed loop over a shared plan), but it records every call's outcome (see bench/chaos_outcomes.py)
and survives a session that breaks (the SDK's transport can fail outside the call, e.g. on a read
timeout): that client opens a new session and goes on. Each phase opens its sessions afresh.
Protocol on stdio: print "ready"; then, for each line `{"phase": NAME, "plan": PATH}` on stdin, run
that plan and print one JSON line `{"phase": NAME, "wall": s, "records": [...], "broken_sessions": n}`;
exit at end of input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import AsyncExitStack
from typing import Any, Final

import anyio

from bench.chaos_outcomes import CallRecord, classify_exception, classify_result
from bench.chaos_plan import is_cached_key
from bench.loadgen import READY
from bench.workloads import Call

#: Gives up on a call after this long (the server's own bound is 20 s per call).
CALL_TIMEOUT: Final = 30.0


async def open_session(stack: AsyncExitStack, url: str) -> Any:
    """An initialized SDK session that does not re-validate results (as bench/loadgen.py)."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    class ChaosSession(ClientSession):
        async def validate_tool_result(self, name: str, result: Any) -> None:
            return None

    http = await stack.enter_async_context(httpx2.AsyncClient(timeout=CALL_TIMEOUT))
    read, write = (await stack.enter_async_context(streamable_http_client(url, http_client=http)))[:2]
    session = await stack.enter_async_context(ChaosSession(read, write))
    await session.initialize()
    await session.list_tools()
    return session


async def one_call(session: Any, call: Call) -> CallRecord:
    """Make one call and classify what came back."""
    started = time.perf_counter()
    try:
        with anyio.fail_after(CALL_TIMEOUT):
            result = await session.call_tool(call.tool, call.arguments)
        text = " ".join(getattr(block, "text", "") for block in result.content)
        kind, retryable = classify_result(bool(result.is_error), text, result.structured_content)
    except Exception as error:
        kind, retryable = classify_exception(error), False
    return CallRecord(time.perf_counter() - started, kind, retryable, is_cached_key(call))


#: A client gives up after this many sessions in a row broke before making a call.
MAX_BROKEN_IN_A_ROW: Final = 3


class Phase:
    """One plan run by every client until it is used up."""

    def __init__(self, plan: list[Call]) -> None:
        self.plan = plan
        self.next = 0
        self.records: list[CallRecord] = []
        self.broken_sessions = 0

    async def client(self, url: str, connecting: anyio.Semaphore) -> None:
        """One client for the phase: a session, replaced whenever it breaks."""
        broken_in_a_row = 0
        while self.next < len(self.plan) and broken_in_a_row < MAX_BROKEN_IN_A_ROW:
            made = len(self.records)
            try:
                async with AsyncExitStack() as stack:
                    async with connecting:
                        session = await open_session(stack, url)
                    await self.client_loop(session)
            except Exception:
                self.broken_sessions += 1
                broken_in_a_row = 0 if len(self.records) > made else broken_in_a_row + 1

    async def client_loop(self, session: Any) -> None:
        """Take calls until none are left; one in flight per client."""
        while self.next < len(self.plan):
            call = self.plan[self.next]
            self.next += 1
            self.records.append(await one_call(session, call))


async def main_async(url: str, clients: int) -> None:
    """Run each phase the orchestrator sends with `clients` concurrent clients."""
    connecting = anyio.Semaphore(10)  # a few initializes at a time, not a thundering herd
    print(READY, flush=True)
    while line := await anyio.to_thread.run_sync(sys.stdin.readline):
        request = json.loads(line)
        raw_plan = await anyio.Path(request["plan"]).read_text()
        phase = Phase([Call(tool, arguments) for tool, arguments in json.loads(raw_plan)])
        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(clients):
                group.start_soon(phase.client, url, connecting)
        result = {
            "phase": request["phase"],
            "wall": time.perf_counter() - started,
            "records": [record.to_json() for record in phase.records],
            "broken_sessions": phase.broken_sessions,
        }
        print(json.dumps(result), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the load-generator process."""
    parser = argparse.ArgumentParser(prog="python -m bench.chaos_loadgen")
    parser.add_argument("url", help="MCP endpoint (the proxy), e.g. http://127.0.0.1:8000/mcp")
    parser.add_argument("--clients", type=int, required=True)
    args = parser.parse_args(argv)
    anyio.run(main_async, args.url, args.clients, backend_options={"use_uvloop": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The load generator: `python -m bench.loadgen PLAN URL --clients N`, run by the orchestrator.

A separate process from the server and from the orchestrator, so its CPU is measurable on its own.
One asyncio (uvloop) process holds N MCP client sessions, each with its own HTTP connection; the
sessions take calls from the shared plan until it is exhausted (a closed loop: each client has one
call in flight). Protocol on stdio: print "ready" once every session is initialized (and, with --warm-up,
has made one untimed call), wait for "go" on stdin, run the plan, print one JSON line with the
samples.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import anyio

READY: Final = "ready"
GO: Final = "go"
ClientKind = Literal["sdk", "fastmcp"]
PlannedCall = tuple[str, dict[str, Any]]
#: Calls a tool; True when the result is an error (isError), raises on protocol/transport failures.
CallTool = Callable[[str, dict[str, Any]], Awaitable[bool]]


@dataclass
class LoadResult:
    """What the load generator measured between "go" and the last answer."""

    latencies: list[float] = field(default_factory=list)  # seconds, every completed or failed call
    errors: int = 0
    error_samples: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process, user + system
    connect_seconds: float = 0.0


async def open_sdk_client(stack: AsyncExitStack, url: str, call_timeout: float) -> CallTool:
    """The official SDK: httpx2 client -> streamable HTTP transport -> ClientSession."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    class BenchSession(ClientSession):
        """A ClientSession that does not re-validate results against the tools' output schemas.

        jsonschema validation of each forecast was ~40% of the load generator's CPU, which it
        takes from the server on a shared machine. The server's output is checked by its tests.
        """

        async def validate_tool_result(self, name: str, result: Any) -> None:
            return None

    http = await stack.enter_async_context(httpx2.AsyncClient(timeout=call_timeout))
    read, write = (await stack.enter_async_context(streamable_http_client(url, http_client=http)))[:2]
    session = await stack.enter_async_context(BenchSession(read, write))
    await session.initialize()
    await session.list_tools()  # what a client does first; also warms the server's tools/list

    async def call(tool: str, arguments: dict[str, Any]) -> bool:
        result = await session.call_tool(tool, arguments, read_timeout_seconds=call_timeout)
        return bool(result.is_error)

    return call


async def open_fastmcp_client(stack: AsyncExitStack, url: str, call_timeout: float) -> CallTool:
    """FastMCP's client over streamable HTTP (it negotiates the newest protocol version)."""
    from fastmcp import Client

    client = await stack.enter_async_context(Client(url, timeout=call_timeout, cache=False))
    await client.list_tools()

    async def call(tool: str, arguments: dict[str, Any]) -> bool:
        result = await client.call_tool(tool, arguments, raise_on_error=False)
        return bool(result.is_error)

    return call


_OPENERS: Final = {"sdk": open_sdk_client, "fastmcp": open_fastmcp_client}


def describe(error: BaseException) -> str:
    """A short, groupable description of a failed call."""
    if isinstance(error, BaseExceptionGroup) and error.exceptions:
        return describe(error.exceptions[0])
    return f"{type(error).__name__}: {str(error)[:120]}"


class PlanRun:
    """The shared state of one run: the plan cursor, the samples, the start and end marks."""

    def __init__(self, calls: list[PlannedCall], clients: int, call_timeout: float) -> None:
        self.calls = calls
        self.distinct_calls = distinct_calls(calls)
        self.call_timeout = call_timeout
        self.next_index = 0
        self.result = LoadResult()
        self.samples: Counter[str] = Counter()
        self.connected = 0
        self.running = clients
        self.all_connected = anyio.Event()
        self.go = anyio.Event()
        self.cpu_started = self.wall_started = 0.0

    def client_connected(self, clients: int) -> None:
        """Count a ready client; the last one releases `all_connected`."""
        self.connected += 1
        if self.connected == clients:
            self.all_connected.set()

    def start(self) -> None:
        """Mark the start of the measured phase and release the clients."""
        self.cpu_started, self.wall_started = time.process_time(), time.perf_counter()
        self.go.set()

    def client_done(self) -> None:
        """Count a finished client; the last one marks the end of the measured phase."""
        # The run ends with its last answer, before the sessions are closed.
        self.running -= 1
        if self.running == 0:
            self.result.wall_seconds = time.perf_counter() - self.wall_started
            self.result.cpu_seconds = time.process_time() - self.cpu_started
            self.result.error_samples = dict(self.samples.most_common(5))

    async def call_loop(self, call_tool: CallTool) -> None:
        """Take the next call of the plan until none are left; one call in flight at a time."""
        result = self.result
        while self.next_index < len(self.calls):
            tool, arguments = self.calls[self.next_index]
            self.next_index += 1  # no await between read and increment: safe in one event loop
            started = time.perf_counter()
            try:
                with anyio.fail_after(self.call_timeout):
                    failed = await call_tool(tool, arguments)
                if failed:
                    self.samples["tool returned isError"] += 1
            except Exception as error:
                failed = True
                self.samples[describe(error)] += 1
            result.latencies.append(time.perf_counter() - started)
            result.errors += failed


def distinct_calls(calls: list[PlannedCall]) -> list[PlannedCall]:
    """The plan's different calls, in first-seen order."""
    return list({json.dumps(call, sort_keys=True): call for call in calls}.values())


def warm_up_call(distinct: list[PlannedCall], client_index: int) -> PlannedCall:
    """The untimed call client `client_index` makes first: the plan's distinct calls in turn.

    Every client makes one, so each worker process (each has its own cache, and a client's one
    connection lands on one worker) sees every distinct call before the measured phase.
    """
    return distinct[client_index % len(distinct)]


async def _client(run: PlanRun, args: argparse.Namespace, connecting: anyio.Semaphore, index: int) -> None:
    """One MCP client for the whole run. Its contexts open and close in this task, as anyio requires."""
    async with AsyncExitStack() as stack:
        # A few connects at a time: 100 simultaneous initializes would measure a thundering herd.
        async with connecting:
            call_tool = await _OPENERS[args.client](stack, args.url, args.timeout)
        if args.warm_up and run.calls:
            tool, arguments = warm_up_call(run.distinct_calls, index)
            if await call_tool(tool, arguments):
                raise RuntimeError(f"warm-up call {tool}({arguments}) returned an error")
        run.client_connected(args.clients)
        await run.go.wait()
        try:
            await run.call_loop(call_tool)
        finally:
            run.client_done()


async def main_async(args: argparse.Namespace, calls: list[PlannedCall]) -> LoadResult:
    """Connect every client, report ready, wait for go, run the plan, return the samples."""
    run = PlanRun(calls, args.clients, args.timeout)
    connecting = anyio.Semaphore(10)
    connect_started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for index in range(args.clients):
            group.start_soon(_client, run, args, connecting, index)
        await run.all_connected.wait()
        run.result.connect_seconds = time.perf_counter() - connect_started
        print(READY, flush=True)
        line = await anyio.to_thread.run_sync(sys.stdin.readline)
        if line.strip() != GO:
            raise SystemExit("load generator: the orchestrator went away before 'go'")
        run.start()
    return run.result


def main(argv: list[str] | None = None) -> int:
    """Entry point of the load-generator process."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("plan", help="JSON file: [[tool, arguments], ...]")
    parser.add_argument("url", help="MCP endpoint, e.g. http://127.0.0.1:8000/mcp")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--client", choices=sorted(_OPENERS), default="sdk")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per call")
    parser.add_argument(
        "--warm-up", action="store_true", help="each client makes one untimed call before 'ready'"
    )
    args = parser.parse_args(argv)
    calls = [(tool, arguments) for tool, arguments in json.loads(Path(args.plan).read_text())]
    result = anyio.run(main_async, args, calls, backend_options={"use_uvloop": True})
    print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

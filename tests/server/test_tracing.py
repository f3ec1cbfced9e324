"""Traces: one span per tool call, a child per NWS lookup and per HTTP attempt, client trace context.

Spans are captured in memory: the OpenTelemetry SDK with an in-memory exporter is installed as the
process's tracer provider for this module (FastMCP and the server use only the API).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from fakes.nws import TOPEKA, FakeNws
from fakes.open_meteo import SEOUL, FakeOpenMeteo
from server.app import create_server, http_transport
from server.contract import EnvVar
from server.tracing import configure_tracing, url_template
from tests.server.conftest import (
    MCP_HEADERS,
    FakeClock,
    call,
    connect,
    free_port,
    jsonrpc,
    make_settings,
)

pytestmark = pytest.mark.timeout(60)

_EXPORTER = InMemorySpanExporter()
CLIENT_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{CLIENT_TRACE_ID}-{CLIENT_SPAN_ID}-01"


@pytest.fixture(scope="module", autouse=True)
def _sdk_provider() -> None:
    # The global provider can be set once per process; later modules keep it (spans are then
    # recorded in memory, which costs them nothing they would notice).
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def by_name(exporter: InMemorySpanExporter) -> dict[str, list[ReadableSpan]]:
    found: dict[str, list[ReadableSpan]] = {}
    for span in exporter.get_finished_spans():
        found.setdefault(span.name, []).append(span)
    return found


def children(parent: ReadableSpan, exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


@pytest.mark.anyio
async def test_tool_call_span_has_a_lookup_child_per_cache_lookup_and_a_request_child_per_attempt(
    nws: FakeNws, spans: InMemorySpanExporter
) -> None:
    async with connect(nws) as client:
        await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])

    named = by_name(spans)
    # The in-process client records its own CLIENT span of the call; the server's is the SERVER one.
    (tool,) = [span for span in named["tools/call get_forecast"] if span.kind == SpanKind.SERVER]
    assert tool.attributes["gen_ai.tool.name"] == "get_forecast"
    lookups = sorted(children(tool, spans), key=lambda span: span.start_time)
    assert [span.name for span in lookups] == ["nws.lookup points", "nws.lookup forecast"]
    assert [span.attributes["nws.cache"] for span in lookups] == ["miss", "miss"]
    (points_request,) = children(lookups[0], spans)
    assert points_request.name == "GET /points/{latitude},{longitude}"
    assert points_request.kind == SpanKind.CLIENT
    assert dict(points_request.attributes) == {
        "http.request.method": "GET",
        "url.template": "/points/{latitude},{longitude}",
        "nws.attempt": 1,
        "http.response.status_code": 200,
    }
    (forecast_request,) = children(lookups[1], spans)
    assert forecast_request.attributes["url.template"] == "/gridpoints/{office}/{x},{y}/forecast"
    # One trace: the call, its lookups and their requests.
    family = [*lookups, points_request, forecast_request]
    assert {span.context.trace_id for span in family} == {tool.context.trace_id}


@pytest.mark.anyio
async def test_open_meteo_lookups_and_requests_have_their_own_spans_without_coordinates_or_key(
    nws: FakeNws, open_meteo: FakeOpenMeteo, spans: InMemorySpanExporter
) -> None:
    key = "om-trace-key-0123456789"
    async with connect(nws, **open_meteo.environment(), **{EnvVar.OPEN_METEO_API_KEY: key}) as client:
        await call(client, "get_forecast", latitude=SEOUL[0], longitude=SEOUL[1])

    named = by_name(spans)
    (tool,) = [span for span in named["tools/call get_forecast"] if span.kind == SpanKind.SERVER]
    (lookup,) = children(tool, spans)
    assert (lookup.name, lookup.attributes["open_meteo.cache"]) == ("open_meteo.lookup forecast", "miss")
    (request,) = children(lookup, spans)
    assert request.kind == SpanKind.CLIENT
    assert dict(request.attributes) == {
        "http.request.method": "GET",
        "url.template": "/v1/forecast",
        "open_meteo.attempt": 1,
        "http.response.status_code": 200,
    }
    assert request.name == "GET /v1/forecast"
    assert "nws.lookup points" not in named  # Seoul: NWS is not asked


@pytest.mark.anyio
async def test_cache_hits_have_lookup_spans_without_requests(
    nws: FakeNws, spans: InMemorySpanExporter
) -> None:
    async with connect(nws) as client:
        await call(client, "get_alerts", state="KS")
        spans.clear()
        await call(client, "get_alerts", state="KS")

    named = by_name(spans)
    (lookup,) = named["nws.lookup alerts"]
    assert lookup.attributes["nws.cache"] == "hit"
    assert children(lookup, spans) == []
    assert not [name for name in named if name.startswith("GET ")]


@pytest.mark.anyio
async def test_each_retry_is_its_own_request_span_with_its_attempt_and_status(
    nws: FakeNws, spans: InMemorySpanExporter
) -> None:
    nws.fail("/alerts/", 503, times=2)
    async with connect(nws, **{EnvVar.NWS_RETRY_ATTEMPTS: "3"}) as client:
        await call(client, "get_alerts", state="KS")

    requests = sorted(by_name(spans)["GET /alerts/active/area/{area}"], key=lambda span: span.start_time)
    assert [(s.attributes["nws.attempt"], s.attributes["http.response.status_code"]) for s in requests] == [
        (1, 503),
        (2, 503),
        (3, 200),
    ]
    assert [s.status.status_code for s in requests] == [StatusCode.ERROR, StatusCode.ERROR, StatusCode.UNSET]
    assert requests[0].attributes.get("error.type") == "503"


@pytest.mark.anyio
async def test_stale_answer_is_marked_on_its_lookup(nws: FakeNws, spans: InMemorySpanExporter) -> None:
    clock = FakeClock()
    async with connect(nws, clock) as client:
        await call(client, "get_alerts", state="KS")
        clock.advance(60)
        nws.fail("/alerts/", 503, times=100)
        spans.clear()
        await call(client, "get_alerts", state="KS")

    (lookup,) = by_name(spans)["nws.lookup alerts"]
    assert lookup.attributes["nws.cache"] == "stale"


def test_url_templates_carry_no_coordinates_or_ids() -> None:
    assert url_template("/points/39.7456,-97.0892") == "/points/{latitude},{longitude}"
    assert url_template("/gridpoints/TOP/32,81/forecast") == "/gridpoints/{office}/{x},{y}/forecast"
    assert url_template("/alerts/active/area/KS") == "/alerts/active/area/{area}"
    assert url_template("/stations/KTOP/observations/latest") == "/stations/{station}/observations/latest"
    assert url_template("/gridpoints/TOP/32,81/stations") == "/gridpoints/{office}/{x},{y}/stations"
    assert url_template("/alerts/active?point=39.7456,-97.0892") == "/alerts/active"


def test_without_an_endpoint_no_exporter_is_installed() -> None:
    assert configure_tracing(None) is False
    assert configure_tracing("") is False


@pytest.fixture
def traced_server(nws: FakeNws) -> Iterator[str]:
    """The HTTP transport with tracing on (as the task runs it), served in this process on loopback."""
    settings = make_settings(nws.base_url, **{EnvVar.OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318"})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            http_transport(create_server(settings), settings),
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(20)


def _tool_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (tool,) = [span for span in by_name(exporter)["tools/call get_alerts"] if span.kind == SpanKind.SERVER]
    return tool


def test_client_traceparent_header_continues_the_clients_trace(
    traced_server: str, spans: InMemorySpanExporter
) -> None:
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})
    response = httpx.post(traced_server, headers={**MCP_HEADERS, "traceparent": TRACEPARENT}, json=body)

    assert response.status_code == 200
    tool = _tool_span(spans)
    assert format(tool.context.trace_id, "032x") == CLIENT_TRACE_ID
    assert format(tool.parent.span_id, "016x") == CLIENT_SPAN_ID
    assert tool.parent.is_remote


def test_client_trace_context_in_request_meta_continues_the_clients_trace(
    traced_server: str, spans: InMemorySpanExporter
) -> None:
    params = {"name": "get_alerts", "arguments": {"state": "KS"}, "_meta": {"traceparent": TRACEPARENT}}
    response = httpx.post(traced_server, headers=MCP_HEADERS, json=jsonrpc("tools/call", params))

    assert response.status_code == 200
    tool = _tool_span(spans)
    assert format(tool.context.trace_id, "032x") == CLIENT_TRACE_ID
    assert format(tool.parent.span_id, "016x") == CLIENT_SPAN_ID

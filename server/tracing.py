"""OpenTelemetry traces: FastMCP's span per tool call, with a child per upstream lookup and request.

FastMCP 4.2 emits one SERVER span per MCP request through the OpenTelemetry *API* (named
``tools/call <tool>``, with ``gen_ai.tool.name``), and continues a trace whose W3C context a client
put in the request's ``_meta`` (``traceparent``/``tracestate``). This module adds:

- ``nws.lookup <kind>`` (INTERNAL) around each cache lookup, with the cache outcome
  (``nws.cache``: hit, miss, stale, coalesced, bypass);
- ``GET <url template>`` (CLIENT) for each HTTP attempt inside it, with ``url.template``,
  ``http.response.status_code`` (or ``error.type``) and ``nws.attempt`` (1 for the first try);
- the same two spans for Open-Meteo, prefixed ``open_meteo.`` instead of ``nws.``
  (``open_meteo.lookup forecast``, ``GET /v1/forecast`` with ``open_meteo.attempt``);
- :class:`TraceContext`, which continues a trace from a W3C ``traceparent`` HTTP header;
- :func:`configure_tracing`, which installs the SDK and an OTLP/HTTP exporter only when
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set. Unset, the SDK is never imported and every span above is
  the API's no-op span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Receive, Scope, Send

from server import __version__

SERVICE_NAME: Final = "mcp-weather-server"

#: Path templates of the NWS endpoints, so spans group by endpoint and carry no coordinates.
_TEMPLATES: Final = (
    (re.compile(r"^/points/[^/]+$"), "/points/{latitude},{longitude}"),
    (re.compile(r"^/gridpoints/[^/]+/[^/]+/forecast$"), "/gridpoints/{office}/{x},{y}/forecast"),
    (
        re.compile(r"^/gridpoints/[^/]+/[^/]+/forecast/hourly$"),
        "/gridpoints/{office}/{x},{y}/forecast/hourly",
    ),
    (re.compile(r"^/gridpoints/[^/]+/[^/]+/stations$"), "/gridpoints/{office}/{x},{y}/stations"),
    (re.compile(r"^/alerts/active/area/[^/]+$"), "/alerts/active/area/{area}"),
    (re.compile(r"^/alerts/active$"), "/alerts/active"),
    (re.compile(r"^/stations/[^/]+/observations/latest$"), "/stations/{station}/observations/latest"),
)

_tracer = trace.get_tracer("server.nws", __version__)


def url_template(path: str) -> str:
    """The endpoint template of an NWS request path (the path itself when it is not a known one)."""
    bare = path.split("?", 1)[0]
    for pattern, template in _TEMPLATES:
        if pattern.match(bare):
            return template
    return bare


@contextmanager
def lookup_span(kind: str, upstream: str = "nws") -> Iterator[Span]:
    """Span of one cache lookup; the caller sets its outcome with :func:`set_cache_outcome`.

    `upstream` prefixes the span's name and attributes: "nws" or "open_meteo".
    """
    with _tracer.start_as_current_span(
        f"{upstream}.lookup {kind}", attributes={f"{upstream}.kind": kind}
    ) as span:
        yield span


def set_cache_outcome(span: Span, outcome: str, upstream: str = "nws") -> None:
    if span.is_recording():
        span.set_attribute(f"{upstream}.cache", outcome)


@contextmanager
def request_span(path: str, attempt: int, upstream: str = "nws") -> Iterator[Span]:
    """CLIENT span of one HTTP attempt upstream; :func:`set_response` records how it ended.

    `path` carries no query string for Open-Meteo, whose coordinates (and key) travel in the query.
    """
    template = url_template(path)
    with _tracer.start_as_current_span(
        f"GET {template}",
        kind=SpanKind.CLIENT,
        attributes={"http.request.method": "GET", "url.template": template, f"{upstream}.attempt": attempt},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        yield span


def set_response(span: Span, status: int | str) -> None:
    """Record an HTTP status, or a transport failure ("timeout", "connect_error"), on a request span."""
    if not span.is_recording():
        return
    if isinstance(status, str):
        span.set_attribute("error.type", status)
        span.set_status(Status(StatusCode.ERROR, status))
        return
    span.set_attribute("http.response.status_code", status)
    if status >= 400:
        span.set_attribute("error.type", str(status))
        span.set_status(Status(StatusCode.ERROR))


class TraceContext:
    """ASGI middleware: continue the trace of a W3C ``traceparent``/``tracestate`` request header.

    FastMCP then parents its tool span on it (it prefers an active trace over ``_meta``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate")
        }
        if not carrier:
            await self._app(scope, receive, send)
            return
        token = otel_context.attach(propagate.extract(carrier))
        try:
            await self._app(scope, receive, send)
        finally:
            otel_context.detach(token)


def configure_tracing(otlp_endpoint: str | None) -> bool:
    """Install the OpenTelemetry SDK exporting to `otlp_endpoint` (OTLP/HTTP); False when unset.

    Sampling and extra resource attributes follow the standard OTEL_* variables (OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG, OTEL_RESOURCE_ATTRIBUTES).
    Call once per process, after forking (each uvicorn worker has its own export thread).
    """
    if not otlp_endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": SERVICE_NAME, "service.version": __version__})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces"))
    )
    trace.set_tracer_provider(provider)
    return True

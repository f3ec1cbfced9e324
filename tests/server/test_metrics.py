"""The tool call line is a valid CloudWatch Embedded Metric Format document with the right values."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import structlog

from fakes.nws import FakeNws
from server.contract import EnvVar
from server.logs import configure_logging
from server.metrics import NAMESPACE
from tests.server.conftest import FakeClock, call, connect
from tests.server.test_logging import tool_lines

pytestmark = pytest.mark.timeout(30)

#: The EMF document structure, as CloudWatch's specification states it: a root object with an
#: `_aws` metadata object (Timestamp in epoch milliseconds, CloudWatchMetrics directives), each
#: directive with a namespace, dimension sets of at most 30 keys and 1-100 metric definitions.
EMF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "CloudWatchMetrics": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "additionalProperties": False,
                        "properties": {
                            "Namespace": {"type": "string", "minLength": 1, "maxLength": 1024},
                            "Dimensions": {
                                "type": "array",
                                "items": {
                                    "type": "array",
                                    "maxItems": 30,
                                    "items": {"type": "string", "minLength": 1, "maxLength": 250},
                                },
                            },
                            "Metrics": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 100,
                                "items": {
                                    "type": "object",
                                    "required": ["Name"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "Name": {"type": "string", "minLength": 1, "maxLength": 1024},
                                        "Unit": {"enum": ["Milliseconds", "Count", "Seconds", "None"]},
                                        "StorageResolution": {"enum": [1, 60]},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Logging configured as in production, writing to a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    configure_logging("INFO")
    monkeypatch.undo()
    yield buffer
    root.handlers, root.level = saved[0], saved[1]
    structlog.reset_defaults()


def metrics_of(line: dict[str, Any]) -> dict[str, float]:
    """What CloudWatch would extract: validate the document, then read each target member."""
    jsonschema.validate(line, EMF_SCHEMA)
    values: dict[str, float] = {}
    for directive in line["_aws"]["CloudWatchMetrics"]:
        assert directive["Namespace"] == NAMESPACE
        for dimension_set in directive["Dimensions"]:
            for dimension in dimension_set:
                assert isinstance(line[dimension], str), f"dimension {dimension} must be a string member"
        for metric in directive["Metrics"]:
            value = line[metric["Name"]]  # every target member is present, and a number
            assert isinstance(value, int | float)
            assert not isinstance(value, bool)
            values[metric["Name"]] = value
    return values


@pytest.mark.anyio
async def test_miss_then_hit_are_counted_with_latency_by_tool(nws: FakeNws, json_logs: io.StringIO) -> None:
    async with connect(nws) as client:
        await call(client, "get_forecast", latitude=39.7456, longitude=-97.0892)
        await call(client, "get_forecast", latitude=39.7456, longitude=-97.0892)

    first, second = tool_lines(json_logs)
    miss, hit = metrics_of(first), metrics_of(second)
    assert first["tool"] == "get_forecast"
    assert first["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["tool"]]
    assert (miss["CacheMisses"], miss["CacheHits"], miss["NwsRequests"], miss["NwsErrors"]) == (1, 0, 2, 0)
    assert miss["ToolLatency"] >= miss["NwsLatency"] > 0
    assert miss["ToolErrors"] == 0
    assert (hit["CacheHits"], hit["CacheMisses"], hit["NwsRequests"]) == (1, 0, 0)
    # No upstream request: no upstream latency data point (a zero would hide slow NWS answers).
    assert "NwsLatency" not in hit


@pytest.mark.anyio
async def test_failing_nws_counts_each_failed_attempt_and_the_tool_error(
    nws: FakeNws, json_logs: io.StringIO
) -> None:
    nws.fail("/alerts/", 503, times=100)
    async with connect(nws, **{EnvVar.NWS_RETRY_ATTEMPTS: "3"}) as client:
        await call(client, "get_alerts", state="KS")

    (line,) = tool_lines(json_logs)
    values = metrics_of(line)
    assert (values["NwsRequests"], values["NwsErrors"], values["ToolErrors"]) == (3, 3, 1)


@pytest.mark.anyio
async def test_stale_answer_is_counted_as_stale(nws: FakeNws, json_logs: io.StringIO) -> None:
    clock = FakeClock()
    async with connect(nws, clock) as client:
        await call(client, "get_alerts", state="KS")
        clock.advance(60)
        nws.fail("/alerts/", 503, times=100)
        await call(client, "get_alerts", state="KS")

    fresh, stale = (metrics_of(line) for line in tool_lines(json_logs))
    assert (fresh["CacheStale"], stale["CacheStale"], stale["CacheHits"]) == (0, 1, 0)
    assert stale["NwsErrors"] >= 1
    assert stale["ToolErrors"] == 0  # the caller got an answer


@pytest.mark.anyio
async def test_rejected_request_is_not_an_nws_error(nws: FakeNws, json_logs: io.StringIO) -> None:
    async with connect(nws) as client:
        # Where NWS may cover but does not: 404 (Open-Meteo then answers; this server has none).
        await call(client, "get_forecast", latitude=50.01, longitude=-100.0)

    values = metrics_of(tool_lines(json_logs)[0])
    assert values["NwsRequests"] == 1
    assert values["NwsErrors"] == 0

"""The circuit breaker toward NWS: after repeated failures, stop sending for a short jittered while,
answer stale or say when to retry, then probe once and close when NWS is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.nws import TOPEKA, FakeNws
from server.breaker import JITTER, CircuitBreaker, CircuitOpen
from server.contract import EnvVar
from server.nws import NwsCircuitOpen, NwsUnavailable
from tests.server.conftest import FakeClock, call, connect, nws_client, sdk_session, start_server, text_of

STATES = ("NY", "OH", "CA", "FL", "WA", "OR", "NV")
BREAKER_ENV = {
    EnvVar.NWS_RETRY_ATTEMPTS: "1",
    EnvVar.NWS_BREAKER_FAILURES: "3",
    EnvVar.NWS_BREAKER_OPEN_SECONDS: "10",
}


def breaker(clock: FakeClock, rng: float = 0.5, failures: int = 3) -> CircuitBreaker:
    return CircuitBreaker(failures=failures, open_seconds=10, clock=clock, rng=lambda: rng)


def test_breaker_opens_after_the_threshold_of_failures_in_a_row() -> None:
    clock = FakeClock()
    circuit = breaker(clock)
    for _ in range(2):
        circuit.before_request()
        circuit.record_failure()
    assert circuit.state == "closed"
    circuit.record_success()  # a success in between starts the count again
    for _ in range(2):
        circuit.record_failure()
    assert circuit.state == "closed"
    circuit.record_failure()
    assert circuit.state == "open"
    with pytest.raises(CircuitOpen) as refused:
        circuit.before_request()
    assert refused.value.retry_after == pytest.approx(10)


@pytest.mark.parametrize(("rng", "interval"), [(0.0, 10 * (1 - JITTER)), (1.0, 10 * (1 + JITTER))])
def test_open_interval_is_jittered(rng: float, interval: float) -> None:
    clock = FakeClock()
    circuit = breaker(clock, rng=rng, failures=1)
    circuit.record_failure()
    with pytest.raises(CircuitOpen) as refused:
        circuit.before_request()
    assert refused.value.retry_after == pytest.approx(interval)


def test_retry_after_from_nws_lengthens_the_open_interval() -> None:
    circuit = breaker(FakeClock(), failures=1)
    circuit.record_failure(retry_after=45)
    with pytest.raises(CircuitOpen) as refused:
        circuit.before_request()
    assert refused.value.retry_after == pytest.approx(45)


def test_half_open_lets_exactly_one_probe_through_and_its_success_closes() -> None:
    clock = FakeClock()
    circuit = breaker(clock, failures=1)
    circuit.record_failure()
    clock.advance(10)
    assert circuit.state == "half_open"
    assert circuit.before_request() is True  # the probe
    with pytest.raises(CircuitOpen):
        circuit.before_request()  # everyone else keeps failing fast while it is out
    circuit.record_success()
    assert circuit.state == "closed"
    assert circuit.before_request() is False


def test_a_failed_probe_opens_the_circuit_again() -> None:
    clock = FakeClock()
    circuit = breaker(clock, failures=3)
    for _ in range(3):
        circuit.record_failure()
    clock.advance(10)
    assert circuit.before_request() is True
    circuit.record_failure()  # one failure is enough in half-open
    assert circuit.state == "open"


def test_a_probe_that_ends_without_an_answer_lets_another_probe_go() -> None:
    clock = FakeClock()
    circuit = breaker(clock, failures=1)
    circuit.record_failure()
    clock.advance(10)
    assert circuit.before_request() is True
    circuit.release_probe()
    assert circuit.before_request() is True


@pytest.mark.anyio
async def test_open_breaker_stops_upstream_requests_and_says_when_to_retry(nws: FakeNws) -> None:
    clock = FakeClock()
    nws.fail("/alerts/", 503, times=1000)
    async with nws_client(nws, clock, **BREAKER_ENV) as client:
        for _ in range(3):
            with pytest.raises(NwsUnavailable):
                await client.alerts("NY")
        assert nws.count("/alerts/") == 3
        for _ in range(20):
            with pytest.raises(NwsCircuitOpen) as refused:
                await client.alerts("NY")
        assert nws.count("/alerts/") == 3  # not one request per call while open

    assert 8 <= refused.value.retry_after <= 12
    assert str(refused.value) == (
        "The National Weather Service API is failing right now, so this server has paused its requests"
        f" to it. Try again in {refused.value.retry_after} seconds."
    )


@pytest.mark.anyio
async def test_breaker_probes_after_the_interval_and_closes_when_nws_recovers(nws: FakeNws) -> None:
    clock = FakeClock()
    nws.fail("/alerts/", 500, times=3)
    async with nws_client(nws, clock, **BREAKER_ENV) as client:
        for _ in range(3):
            with pytest.raises(NwsUnavailable):
                await client.alerts("NY")
        assert client.breaker.state == "open"
        clock.advance(13)  # past the longest jittered interval
        assert (await client.alerts("NY")).status == "miss"  # the probe, answered
        assert client.breaker.state == "closed"
        assert (await client.alerts("OH")).status == "miss"

    assert nws.count("/alerts/") == 5


@pytest.mark.anyio
async def test_open_breaker_answers_cached_keys_with_stale_entries(nws: FakeNws) -> None:
    clock = FakeClock()
    nws.forecast_max_age = 60
    env = {**BREAKER_ENV, EnvVar.NWS_BREAKER_OPEN_SECONDS: "300"}
    async with connect(nws, clock, **env) as client:
        await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
        nws.fail("/", 503, times=1000)
        for _ in range(3):  # uncached keys trip the breaker
            await call(client, "get_alerts", state="NY")
        clock.advance(100)  # the forecast is past its freshness, the breaker still open
        before = nws.count()
        stale = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
        uncached = await call(client, "get_alerts", state="OH")

    assert not stale.is_error
    assert stale.structured_content["freshness"]["stale"] is True
    assert nws.count() == before  # answered without asking NWS
    assert uncached.is_error
    assert "paused its requests to it. Try again in" in text_of(uncached)


@pytest.mark.anyio
@pytest.mark.timeout(60)
async def test_over_http_an_outage_costs_a_handful_of_upstream_requests_not_one_per_call(
    nws: FakeNws, tmp_path: Path
) -> None:
    server = start_server(tmp_path, nws.base_url, **{**BREAKER_ENV, EnvVar.NWS_BREAKER_OPEN_SECONDS: "60"})
    try:
        async with sdk_session(server.mcp_url) as session:
            cached = await session.call_tool("get_alerts", {"state": "KS"})
            nws.fail("/", 503, times=10_000)
            results = [await session.call_tool("get_alerts", {"state": state}) for state in STATES * 3]
    finally:
        server.stop()

    assert not cached.is_error
    assert all(result.is_error for result in results)
    assert nws.count("/alerts/") == 1 + 3  # the cached call, then the three that opened the breaker
    assert "paused its requests to it. Try again in" in results[-1].content[0].text
    assert '"event": "nws_circuit"' in server.logs()

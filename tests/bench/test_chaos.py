"""The chaos harness's own logic: the schedule, how each call is classified (against the server's
real error texts), the per-phase summary, the targets, the report, and the proxy's routing. No
processes, no timing: `pipenv run chaos` is the measurement."""

from __future__ import annotations

import itertools

import httpx
import pytest

from bench.chaos import parse_args
from bench.chaos_outcomes import (
    CallRecord,
    classify_exception,
    classify_result,
    summarize_phase,
)
from bench.chaos_plan import COLD_EVERY, HOT_STATES, calls, is_cached_key, plan_json, schedule
from bench.chaos_proxy import UNHEALTHY_AFTER, TargetGroup
from bench.chaos_report import ChaosRun, MemoryMark, evaluate, outage_upstream_bound, render
from bench.invocation import Invocation
from bench.procfs import Machine
from fakes.nws import Fault
from server.nws import SERVICE
from server.shedding import busy_message

# --- the schedule ------------------------------------------------------------------------------


def test_schedule_covers_every_fault_then_soaks_to_the_total_then_restarts() -> None:
    phases = schedule()
    names = [phase.name for phase in phases]

    assert names == [
        "healthy", "burst 500", "burst 503", "429 Retry-After", "timeouts", "resets", "slow", "outage",
        "recovery", *["soak"] * 8, "restart",
    ]  # fmt: skip
    assert phases[0].fault is None
    assert phases[0].calls == 10_000
    assert phases[0].rss_mark
    assert sum(phase.calls for phase in phases[:-1]) == 100_000  # the soak ends at exactly 100k
    ends = list(itertools.accumulate(phase.calls for phase in phases))
    marks = [end for end, phase in zip(ends, phases, strict=True) if phase.rss_mark]
    assert marks == [10_000, 20_000, *range(30_000, 100_001, 10_000)]  # memory read every 10k calls
    assert [phase.name for phase in phases if phase.restart] == ["restart"]  # after every memory mark
    outage = phases[names.index("outage")]
    assert outage.fault == Fault(every=1, status=503)
    assert phases[names.index("429 Retry-After")].fault.retry_after == 2


def test_the_soak_alone_is_the_healthy_phase_then_healthy_calls_to_the_total() -> None:
    phases = schedule(soak_calls=100_000, soak_only=True)

    assert [phase.fault for phase in phases] == [None] * 10
    assert [phase.calls for phase in phases] == [10_000] * 10
    assert all(phase.rss_mark for phase in phases)
    assert not any(phase.restart for phase in phases)


def test_a_scaled_down_schedule_keeps_every_phase_and_drops_a_soak_that_is_already_reached() -> None:
    phases = schedule(scale=0.01, soak_calls=0)

    assert "soak" not in [phase.name for phase in phases]
    assert all(phase.calls >= 100 for phase in phases)


def test_every_fourth_call_asks_a_new_point_and_the_rest_repeat_cached_keys() -> None:
    mix = list(itertools.islice(calls(), 400))

    cold = mix[COLD_EVERY - 1 :: COLD_EVERY]
    assert not any(is_cached_key(call) for call in cold)
    assert len({(call.arguments["latitude"], call.arguments["longitude"]) for call in cold}) == len(cold)
    hot = [call for index, call in enumerate(mix, 1) if index % COLD_EVERY]
    assert all(is_cached_key(call) for call in hot)
    assert {call.arguments["state"] for call in hot if call.tool == "get_alerts"} == set(HOT_STATES)


def test_plans_continue_the_same_mix_phase_after_phase() -> None:
    assert plan_json(10, 0) + plan_json(10, 10) == plan_json(20, 0)


# --- classifying calls, with the server's own texts -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (busy_message(100), "tool_error:shed"),
        (f"{SERVICE} is failing right now, so this server has paused its requests to it. Try again in 9"
         " seconds.", "tool_error:breaker_open"),
        (f"{SERVICE} is rate-limiting requests right now (HTTP 429). Try again in a minute.",
         "tool_error:nws_429"),
        (f"{SERVICE} is having trouble (HTTP 503). This is usually temporary; try again in a few minutes.",
         "tool_error:nws_5xx"),
        (f"{SERVICE} did not answer within 8 seconds. Try again in a few minutes.", "tool_error:nws_timeout"),
        ("Could not connect to the National Weather Service API. Try again in a few minutes.",
         "tool_error:nws_connection"),
        ("Something nobody wrote down.", "tool_error:other"),
    ],
)  # fmt: skip
def test_tool_errors_are_classified_by_their_text(text: str, kind: str) -> None:
    classified, retryable = classify_result(True, text, None)

    assert classified == kind
    assert retryable is (kind != "tool_error:other")


def test_answers_are_ok_or_stale_by_their_freshness() -> None:
    assert classify_result(False, "...", {"freshness": {"stale": False}}) == ("ok", False)
    assert classify_result(False, "...", {"freshness": {"stale": True}}) == ("stale", False)


def test_failures_without_a_tool_result_are_lost_calls_of_a_named_kind() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/mcp")
    status = httpx.HTTPStatusError("503", request=request, response=httpx.Response(503, request=request))

    assert classify_exception(status) == "http_5xx"
    assert classify_exception(httpx.ReadError("reset")) == "connection_lost"
    assert classify_exception(ExceptionGroup("x", [httpx.ConnectError("refused")])) == "connection_lost"
    assert classify_exception(TimeoutError()) == "client_timeout"
    assert classify_exception(ValueError("weird")) == "unhandled"


def test_call_records_survive_the_trip_through_json() -> None:
    record = CallRecord(0.123456789, "tool_error:shed", True, False)

    assert CallRecord.from_json(record.to_json()) == CallRecord(0.12346, "tool_error:shed", True, False)


# --- summaries, targets, report -----------------------------------------------------------------


def test_phase_summary_counts_kinds_stale_answers_and_cached_keys() -> None:
    records = [
        CallRecord(0.1, "ok", False, True),
        CallRecord(0.2, "stale", False, True),
        CallRecord(0.3, "tool_error:breaker_open", True, True),
        CallRecord(0.4, "tool_error:breaker_open", True, False),
        CallRecord(0.5, "connection_lost", False, False),
    ]

    summary = summarize_phase("outage", records, wall_seconds=2.0)

    assert summary.calls == 5
    assert summary.stale == 1
    assert summary.tool_errors == 2
    assert summary.retryable_errors == 2
    assert summary.lost == 1
    assert (summary.cached_key_calls, summary.cached_key_answered) == (3, 2)
    assert summary.latency.p50_ms == pytest.approx(300)


def run_with(phases: list, pss: list[tuple[int, float]]) -> ChaosRun:
    return ChaosRun(
        invocation=Invocation(
            command="pipenv run chaos",
            date="2026-12-03 09:00 UTC",
            machine=Machine("AMD EPYC", 2, 23.5, "6.18"),
            python="3.11.7",
            versions={"fastmcp": "4.2.3"},
            wall_seconds=600,
        ),
        clients=100,
        workers=2,
        latency_ms=150,
        phases=phases,
        memory_marks=[MemoryMark(calls, rss=value + 60, pss=value) for calls, value in pss],
    )


def test_targets_are_met_by_a_clean_run_and_each_fails_on_its_own_evidence() -> None:
    outage = summarize_phase("outage", [CallRecord(0.1, "stale", False, True)] * 10, 20.0)
    outage.upstream_requests = 50
    restart = summarize_phase("restart", [CallRecord(0.1, "ok", False, True)] * 10, 10.0)
    # The first mark (10k calls) is before the caches are full: the target starts at 20k.
    clean = run_with([outage, restart], [(10_000, 300.0), (20_000, 500.0), (100_000, 540.0)])

    assert [check.met for check in evaluate(clean)] == [True] * 5

    outage.kinds["tool_error:other"] += 1
    outage.upstream_requests = outage_upstream_bound(20.0, 4) + 1
    restart.kinds["connection_lost"] += 1
    leaky = run_with([outage, restart], [(20_000, 500.0), (100_000, 560.0)])
    assert [check.met for check in evaluate(leaky)] == [False, True, False, False, False]


def test_outage_bound_allows_the_opening_failures_the_requests_in_flight_and_one_probe_per_interval() -> None:
    assert outage_upstream_bound(8.0, 1) == 3 * (5 + 10 + 1)
    assert outage_upstream_bound(16.5, 4) == 4 * 3 * (5 + 10 + 3)


def test_report_has_targets_phases_errors_and_memory() -> None:
    phase = summarize_phase("outage", [CallRecord(0.1, "tool_error:breaker_open", True, False)], 1.0)
    phase.notes = ["NWS answers nothing but 503"]

    text = render(run_with([phase], [(20_000, 500.0), (100_000, 510.0)]))

    for heading in ("## Targets", "## Phases", "## Errors by kind", "## Memory"):
        assert heading in text
    assert "| outage | NWS answers nothing but 503 | breaker_open 1 | - |" in text
    assert "PSS after 100000 calls within 10 % of PSS after 20000" in text
    assert "500 MiB -> 510 MiB (+2.0%; RSS 560 -> 570)" in text
    assert "| 100000 | 570 | 510 | 0 | 0 | 0 |" in text


def test_command_line_rejects_nonsense() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--clients", "0"])
    assert parse_args([]).clients == 100


# --- the proxy's target group -------------------------------------------------------------------


def test_round_robin_over_healthy_registered_targets_only() -> None:
    group = TargetGroup(["http://a", "http://b"])
    assert group.choose() is None  # nothing is healthy before its first check
    group.record_health("http://a", ok=True)
    group.record_health("http://b", ok=True)

    assert [group.choose().url for _ in range(4)] == ["http://a", "http://b", "http://a", "http://b"]


def test_a_deregistered_target_gets_no_new_requests_but_stays_listed_while_it_drains() -> None:
    group = TargetGroup(["http://a", "http://b"])
    for url in ("http://a", "http://b"):
        group.record_health(url, ok=True)
    group.targets["http://a"].in_flight = 3

    group.deregister("http://a")

    assert {group.choose().url for _ in range(4)} == {"http://b"}
    assert next(t for t in group.state() if t["url"] == "http://a")["in_flight"] == 3


def test_failed_health_checks_take_a_target_out_and_one_success_brings_it_back() -> None:
    group = TargetGroup(["http://a"])
    group.record_health("http://a", ok=True)
    for _ in range(UNHEALTHY_AFTER - 1):
        group.record_health("http://a", ok=False)
    assert group.choose() is not None  # one failed check is not enough
    group.record_health("http://a", ok=False)
    assert group.choose() is None
    group.record_health("http://a", ok=True)
    assert group.choose() is not None

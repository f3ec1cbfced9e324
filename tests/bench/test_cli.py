"""The command line: defaults, validation, and which scenarios a run is made of."""

from __future__ import annotations

import pytest

from bench.cli import parse_args, plan_specs


def test_the_default_run_is_the_target_run_plus_a_low_concurrency_sweep() -> None:
    args = parse_args([])
    defaults = (args.clients, args.sweep, args.workers, args.latency_ms, args.client)
    assert defaults == (100, [10], 2, 150.0, "sdk")
    specs = plan_specs(args)
    at_100 = [(spec.workload, spec.mode) for spec in specs if spec.clients == 100]
    assert at_100 == [
        ("hot", "cached"),
        ("hot", "baseline"),
        *[("hot", "warm"), ("floor", "floor")] * 3,  # alternating; the median run of each is kept
        ("cold", "cached"),
        ("cold", "baseline"),
        ("alerts", "cached"),
        ("alerts", "baseline"),
        ("mixed", "cached"),
        ("mixed", "baseline"),
        ("point-hot", "cached"),
        ("point-hot", "baseline"),
        ("point-cold", "cached"),
        ("point-cold", "baseline"),
        ("locate-hot", "cached"),
        ("locate-hot", "baseline"),
        ("locate-cold", "cached"),
        ("locate-cold", "baseline"),
        ("world-hot", "cached"),
        ("world-hot", "baseline"),
        ("world-cold", "cached"),
        ("world-cold", "baseline"),
    ]
    at_10 = [(spec.workload, spec.mode, spec.calls) for spec in specs if spec.clients == 10]
    assert at_10 == [
        ("hot", "cached", 3000),
        ("hot", "baseline", 300),  # 30 per client: every call waits for NWS
        ("hot", "warm", 3000),  # repeated only where the target is judged
        ("floor", "floor", 3000),
        ("alerts", "cached", 3000),
        ("alerts", "baseline", 300),
        ("locate-hot", "cached", 3000),
        ("locate-hot", "baseline", 300),
        ("world-hot", "cached", 3000),
        ("world-hot", "baseline", 300),
    ]


def test_parts_and_workloads_narrow_the_run() -> None:
    specs = plan_specs(parse_args(["--parts", "floor", "--sweep"]))
    assert [(spec.workload, spec.mode, spec.clients) for spec in specs] == [("floor", "floor", 100)]
    specs = plan_specs(parse_args(["--parts", "load", "--workloads", "cold", "--sweep", "--workers", "1"]))
    assert [(spec.workload, spec.mode, spec.workers) for spec in specs] == [
        ("cold", "cached", 1),
        ("cold", "baseline", 1),
    ]
    assert plan_specs(parse_args(["--parts", "synth"])) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--parts", "load,warp"],
        ["--workloads", "tepid"],
        ["--clients", "0"],
        ["--sweep", "0"],
        ["--calls", "0"],
        ["--tracing-sample-percent", "150"],
    ],
)
def test_nonsense_is_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_tracing_is_off_unless_asked_and_then_exports_to_a_stand_in_collector() -> None:
    from bench.services import Tracing

    assert parse_args([]).tracing_sample_percent is None
    assert parse_args(["--tracing-sample-percent", "5"]).tracing_sample_percent == 5
    environment = Tracing("http://127.0.0.1:4318", 5).environment()
    assert environment == {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.05",
    }

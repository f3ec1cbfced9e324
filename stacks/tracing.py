"""Tracing: an AWS Distro for OpenTelemetry (ADOT) collector sidecar that forwards spans to X-Ray.

The server exports OTLP/HTTP to the collector on the task's loopback (awsvpc: the containers share
one network namespace, so nothing is exposed outside the task). The collector's configuration is
inline (``AOT_CONFIG_CONTENT``; JSON is YAML): an OTLP receiver on loopback, a batch processor, the
X-Ray exporter, and the health check extension that the container's ``/healthcheck`` probes. The
collector is not essential: if it stops, the server keeps serving and its spans are dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from server.contract import EnvVar

COLLECTOR_CONTAINER_NAME: Final = "aws-otel-collector"
OTLP_HTTP_PORT: Final = 4318
HEALTH_CHECK_PORT: Final = 13133
#: What the collector's X-Ray exporter calls; neither action supports resource-level permissions.
XRAY_ACTIONS: Final = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


@dataclass(frozen=True)
class TracingSettings:
    """What the collector sidecar runs and samples (not a construct: McpService adds the sidecar)."""

    collector_image: str
    #: Share (0-100) of traces recorded when the client did not decide.
    sample_percent: float


def collector_config(region: str) -> dict[str, object]:
    """The collector's whole configuration: OTLP/HTTP on loopback in, X-Ray out."""
    return {
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{HEALTH_CHECK_PORT}"}},
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{OTLP_HTTP_PORT}"}}}},
        "processors": {"batch": {"timeout": "5s"}},
        "exporters": {"awsxray": {"region": region}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["awsxray"]}
            },
        },
    }


def tracing_environment(settings: TracingSettings) -> dict[str, str]:
    """What the server needs to export to the sidecar, with head sampling (parent-based)."""
    return {
        EnvVar.OTEL_EXPORTER_OTLP_ENDPOINT: f"http://127.0.0.1:{OTLP_HTTP_PORT}",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": f"{settings.sample_percent / 100:g}",
    }


def collector_container(
    settings: TracingSettings, *, log_group_name: str, region: str, user: str
) -> dict[str, object]:
    """The sidecar's container definition (own log stream prefix, health-checked, read-only)."""
    return {
        "name": COLLECTOR_CONTAINER_NAME,
        "image": settings.collector_image,
        "essential": False,
        "user": user,
        "readonlyRootFilesystem": True,
        "environment": [
            {"name": "AOT_CONFIG_CONTENT", "value": json.dumps(collector_config(region), sort_keys=True)}
        ],
        "healthCheck": {
            "command": ["CMD", "/healthcheck"],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": "adot",
            },
        },
        "portMappings": [],
        "mountPoints": [],
        "volumesFrom": [],
        "systemControls": [],
    }

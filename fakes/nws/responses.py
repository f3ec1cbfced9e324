"""How the fake answers: GeoJSON with NWS's caching headers, and RFC 7807 problem documents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def problem(request: Request, status: int, title: str, detail: str, kind: str, **extra: Any) -> JSONResponse:
    body = {
        "correlationId": uuid.uuid4().hex[:8],
        "title": title,
        "type": f"https://api.weather.gov/problems/{kind}",
        "status": status,
        "detail": detail,
        "instance": f"https://api.weather.gov/requests/{uuid.uuid4().hex[:8]}",
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


STATUS_PROBLEMS = {
    400: ("Bad Request", "BadRequest"),
    403: ("Forbidden", "Forbidden"),
    404: ("Not Found", "NotFound"),
    429: ("Too Many Requests", "TooManyRequests"),
    500: ("Unexpected Problem", "UnexpectedProblem"),
    502: ("Bad Gateway", "BadGateway"),
    503: ("Service Unavailable", "ServiceUnavailable"),
    504: ("Gateway Timeout", "GatewayTimeout"),
}


def geojson(body: bytes, *, max_age: int) -> Response:
    expires = datetime.now(UTC) + timedelta(seconds=max_age)
    return Response(
        body,
        media_type="application/geo+json",
        headers={
            "Cache-Control": f"public, max-age={max_age}, s-maxage={max_age}",
            "Expires": expires.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        },
    )

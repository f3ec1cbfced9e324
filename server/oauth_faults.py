"""What failed outside this server during one OAuth request: the shared store or the identity provider.

FastMCP's handlers catch most exceptions and answer a generic error: a 500 page at the sign-in
callback, `server_error` at /authorize, or a 401 at /mcp that makes a client throw its token away
when only the store was briefly unreachable. The layers that talk to the store
(`server.oauth_store`) and to the provider (`server.oauth`) note here what failed, and the edge
(`server.oauth_edge.FaultAnswers`) replaces the request's error answer with one that says so: 503
with Retry-After for an unavailable store or provider, 403 for a person outside the allowed groups.

Standard library only: the edge imports it without FastMCP or the AWS SDK.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum


class Fault(StrEnum):
    """A failure the person or client can do something about (wait, or ask for access)."""

    STORE_UNAVAILABLE = "store_unavailable"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    #: The provider refused this server's own credentials (client id or secret): an operator's fix.
    PROVIDER_REFUSED = "provider_refused"
    NOT_IN_ALLOWED_GROUP = "not_in_allowed_group"


# The list is created per request by `recording_faults`; code running outside a request (start-up,
# tests calling the proxy directly) notes into nothing.
_faults: ContextVar[list[Fault] | None] = ContextVar("oauth_faults", default=None)


@contextmanager
def recording_faults() -> Iterator[list[Fault]]:
    """Collect the faults noted while the body runs (one HTTP request), in the order noted."""
    faults: list[Fault] = []
    token = _faults.set(faults)
    try:
        yield faults
    finally:
        _faults.reset(token)


def note(fault: Fault) -> None:
    """Record that `fault` happened during the current request (once)."""
    faults = _faults.get()
    if faults is not None and fault not in faults:
        faults.append(fault)

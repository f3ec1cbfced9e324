"""Fixtures shared by the test areas that need the fake NWS (tests/server, tests/smoke)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_nws import FakeNws


@pytest.fixture(scope="session")
def fake_nws_server() -> Iterator[FakeNws]:
    """One fake NWS (a real HTTP server on loopback) for the whole session."""
    with FakeNws() as fake:
        yield fake


@pytest.fixture
def nws(fake_nws_server: FakeNws) -> Iterator[FakeNws]:
    """The session's fake NWS, with no injected behaviour and an empty request log."""
    fake_nws_server.reset()
    yield fake_nws_server
    fake_nws_server.reset()

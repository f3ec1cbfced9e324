"""Fixtures shared by every test area: a clean infrastructure environment, and the fake NWS."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fakes.nws import FakeNws
from stacks.config import ENV_PREFIX
from tests.waiting import wait_until


@pytest.fixture(scope="session", autouse=True)
def _no_stack_variables_from_the_shell() -> Iterator[None]:
    """Hide a developer's MCP_STACK_* variables: the tests' default synth is the project's default.

    Tests that are about those variables set them themselves (monkeypatch, or a child's env).
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith(ENV_PREFIX)]:
            patch.delenv(name)
        yield


@pytest.fixture(scope="session")
def fake_nws_server() -> Iterator[FakeNws]:
    """One fake NWS (a real HTTP server on loopback) for the whole session."""
    with FakeNws() as fake:
        yield fake


@pytest.fixture
def nws(fake_nws_server: FakeNws) -> Iterator[FakeNws]:
    """The session's fake NWS, with no injected behaviour, an empty request log and nothing in flight."""
    fake_nws_server.reset()  # releases what an earlier test still held
    # A request an earlier test started must not count (in_flight, peak_in_flight) in this one.
    wait_until(lambda: fake_nws_server.in_flight == 0, "an earlier test's NWS requests to end")
    fake_nws_server.reset()
    yield fake_nws_server
    fake_nws_server.reset()

"""Fixtures shared by every test area: a clean infrastructure environment, the fake NWS and the fake
Open-Meteo."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fakes.nws import FakeNws
from fakes.open_meteo import FakeOpenMeteo
from stacks.config import ENV_PREFIX


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
    """The session's fake NWS, with no injected behaviour and an empty request log."""
    fake_nws_server.reset()
    yield fake_nws_server
    fake_nws_server.reset()


@pytest.fixture(scope="session")
def fake_open_meteo_server() -> Iterator[FakeOpenMeteo]:
    """One fake Open-Meteo (forecast, geocoding and air quality on one loopback port) for the session."""
    with FakeOpenMeteo() as fake:
        yield fake


@pytest.fixture
def open_meteo(fake_open_meteo_server: FakeOpenMeteo) -> Iterator[FakeOpenMeteo]:
    """The session's fake Open-Meteo, with no injected behaviour and an empty request log."""
    fake_open_meteo_server.reset()
    yield fake_open_meteo_server
    fake_open_meteo_server.reset()

"""Fixtures shared by every test area: a clean infrastructure environment, the fake NWS and the fake
Open-Meteo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from export_hcl.schema import CACHE_DIR_ENV
from fakes.nws import FakeNws
from fakes.open_meteo import FakeOpenMeteo
from stacks.config import ENV_PREFIX
from tests.waiting import wait_until

#: Test files that take minutes: scheduled first, each on a worker of its own (xdist --dist loadfile),
#: so the rest of the suite runs on the other workers beside them.
_LONG_RUNNING = ("tests/deploy/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long-running files first, everything else after in its own order (a stable sort)."""
    items.sort(key=lambda item: not item.nodeid.startswith(_LONG_RUNNING))


def session_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this session shares (the run's own base without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def _no_stack_variables_from_the_shell() -> Iterator[None]:
    """Hide a developer's MCP_STACK_* variables: the tests' default synth is the project's default.

    Tests that are about those variables set them themselves (monkeypatch, or a child's env).
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith(ENV_PREFIX)]:
            patch.delenv(name)
        yield


@pytest.fixture(scope="session", autouse=True)
def _provider_schemas_read_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every HCL export of the session (in-process or `export-hcl` run by a deploy test) shares one
    schema cache: reading the AWS provider's schema starts the provider, seconds each time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(session_directory(tmp_path_factory) / "provider-schemas"))
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

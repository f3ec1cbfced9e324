"""NWS_CACHE_MAX_MIB: each in-process cache keeps at most this much (answers measured as JSON)
besides its entry count, so a worker's memory stays bounded however large the answers are; the
least recently used answers leave first."""

from __future__ import annotations

import random

import pytest

from bench.workloads import cold_coordinates
from fakes.nws import FakeNws, grid_for
from server.contract import EnvVar
from tests.server.conftest import FakeClock, nws_client

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def grid_points(count: int) -> list[tuple[float, float]]:
    """`count` coordinates, each in its own grid cell."""
    by_grid = {grid_for(*point): point for point in cold_coordinates(count * 8, random.Random(3))}  # noqa: S311
    return list(by_grid.values())[:count]


async def test_forecasts_beyond_the_byte_budget_leave_least_recently_used_first(nws: FakeNws) -> None:
    points = grid_points(30)
    # 64 KiB holds about a dozen forecasts of the fake (about 4.8 KB of JSON each).
    async with nws_client(nws, FakeClock(), **{EnvVar.NWS_CACHE_MAX_MIB: "0.0625"}) as client:
        grids = [(await client.point(*point)).value for point in points]
        for grid in grids:
            await client.forecast(grid)
        fetched = nws.count("/gridpoints/")
        recent = [(await client.forecast(grid)).status for grid in grids[-5:]]
        oldest = [(await client.forecast(grid)).status for grid in grids[:5]]

    assert fetched == 30
    assert recent == ["hit"] * 5
    assert oldest == ["miss"] * 5


async def test_the_default_budget_keeps_them_all(nws: FakeNws) -> None:
    points = grid_points(30)
    async with nws_client(nws, FakeClock()) as client:
        grids = [(await client.point(*point)).value for point in points]
        for grid in grids:
            await client.forecast(grid)
        again = [(await client.forecast(grid)).status for grid in grids]

    assert again == ["hit"] * 30
    assert nws.count("/gridpoints/") == 30


async def test_an_answer_larger_than_the_whole_budget_is_served_but_not_kept(nws: FakeNws) -> None:
    async with nws_client(nws, FakeClock(), **{EnvVar.NWS_CACHE_MAX_MIB: "0.001"}) as client:
        grid = (await client.point(*grid_points(1)[0])).value
        answers = [await client.forecast(grid) for _ in range(3)]

    assert [answer.status for answer in answers] == ["miss"] * 3
    assert answers[0].value.periods

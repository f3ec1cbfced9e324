"""Types every stage of a benchmark run shares: which server variant runs, and what NWS and Open-Meteo
were asked.

They sit below the process wrappers (`bench.services`) and the result records (`bench.results`),
so that neither has to import the other for a type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

#: cached: the server as shipped; baseline: caching and coalescing off; warm: as shipped, with the
#: cache filled before the measured phase (only cache hits are measured); floor: the echo server.
Mode = Literal["cached", "baseline", "warm", "floor"]
#: Modes whose load generator makes one untimed call per client before the measured phase.
WARMED_MODES: Final[frozenset[Mode]] = frozenset({"warm", "floor"})


@dataclass(frozen=True)
class UpstreamCounts:
    """Requests the fake NWS and the fake Open-Meteo received, by endpoint."""

    points: int
    forecasts: int
    alerts: int  # by area and by point
    hourly: int = 0
    stations: int = 0  # station lists of grid cells
    observations: int = 0  # latest observations of stations
    open_meteo_forecasts: int = 0
    open_meteo_searches: int = 0
    open_meteo_air_quality: int = 0

    @property
    def nws(self) -> int:
        """All NWS requests."""
        return self.points + self.forecasts + self.alerts + self.hourly + self.stations + self.observations

    @property
    def open_meteo(self) -> int:
        """All Open-Meteo requests."""
        return self.open_meteo_forecasts + self.open_meteo_searches + self.open_meteo_air_quality

    @property
    def total(self) -> int:
        """All upstream requests."""
        return self.nws + self.open_meteo

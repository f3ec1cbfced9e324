"""Where NWS may have a forecast grid: generous boxes around the United States, its territories and their
coastal waters. Outside every box NWS is not asked at all; inside, NWS's own answer decides (a 404 or
a point without a grid is remembered per point, see `NwsClient.point`).

Generous on purpose: a box that is too small would send a US point to another source, which the
server never does; one that is too large costs one NWS request per point, remembered for hours. So
Toronto, Tijuana and Havana are inside (NWS answers 404 for them, once), Seoul and London are not.
Standard library only.
"""

from __future__ import annotations

from typing import Final

#: (south, north, west, east) in degrees; west > east never happens (boxes do not cross 180).
REGIONS: Final = (
    (15.0, 52.0, -135.0, -60.0),  # contiguous US, Gulf of Mexico, Puerto Rico, US Virgin Islands
    (50.0, 72.5, -180.0, -129.0),  # Alaska and the Bering Sea east of the date line
    (50.0, 56.0, 165.0, 180.0),  # the Aleutians west of the date line
    (17.0, 30.0, -180.0, -150.0),  # Hawaii, including the Northwestern Hawaiian Islands
    (0.0, 21.0, 130.0, 172.0),  # Guam, the Northern Mariana Islands, Palau, Micronesia, Marshall Islands
    (-15.5, -10.5, -172.0, -168.0),  # American Samoa
)


def may_cover(latitude: float, longitude: float) -> bool:
    """True when NWS might have a forecast grid for the point (ask it); False when it certainly has not."""
    return any(
        south <= latitude <= north and west <= longitude <= east for south, north, west, east in REGIONS
    )

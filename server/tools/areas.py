"""Where NWS issues alerts: the area codes `/alerts/active/area/{area}` accepts (anything else is a 400)."""

from __future__ import annotations

from typing import Final

STATE_CODES: Final = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
        "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
        "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    }
)  # fmt: skip
TERRITORY_CODES: Final = frozenset({"AS", "GU", "MP", "PR", "VI", "PW", "FM", "MH"})
MARINE_CODES: Final = frozenset(
    {"AM", "AN", "GM", "LC", "LE", "LH", "LM", "LO", "LS", "PH", "PK", "PM", "PS", "PZ", "SL"}
)
AREA_CODES: Final = STATE_CODES | TERRITORY_CODES | MARINE_CODES

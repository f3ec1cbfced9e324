"""Coordinates as text: one wording for NWS request URLs and for the answers people read.

Standard library only, so the HTTP client and the tools' rendering both use it without either
depending on the other.
"""

from __future__ import annotations


def format_coordinate(value: float) -> str:
    """At most 4 decimals, no trailing zeros, no '-0': '39.7456', '-105', '0'.

    NWS redirects any other spelling of a point (more decimals, trailing zeros), and the answers
    show the point the way it was queried.
    """
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

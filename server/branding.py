"""The server's icon: a small SVG carried inline as a `data:` URI.

MCP clients may show it next to the server (`icons` in the server's description), and the consent
page shows it instead of FastMCP's logo, which it would load from a third-party site on every view.
Inline, it costs no request and no route.
"""

from __future__ import annotations

import base64
from typing import Final

from mcp.types import Icon

_SVG: Final = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<circle cx="24" cy="24" r="12" fill="#f5b400"/>'
    '<path d="M20 52h28a10 10 0 0 0 0-20a14 14 0 0 0-27 4a8 8 0 0 0-1 16z" fill="#7b8fa6"/>'
    "</svg>"
)
#: The icon as a data: URI (allowed by the sign-in pages' `img-src data:` policy).
ICON_DATA_URI: Final = "data:image/svg+xml;base64," + base64.b64encode(_SVG.encode()).decode()


def server_icons() -> list[Icon]:
    """The icons the MCP server announces (and the consent page shows)."""
    return [Icon(src=ICON_DATA_URI, mimeType="image/svg+xml", sizes=["any"])]

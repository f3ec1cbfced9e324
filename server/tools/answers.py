"""What every tool does with an upstream answer or failure: its freshness, and failures as tool errors.

Shared by the NWS tools (`server.tools.weather`) and the Open-Meteo tools (`server.tools.anywhere`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

from fastmcp.exceptions import ToolError

from server.cache import Lookup
from server.logs import TOOLS_LOGGER, get_logger
from server.models import Freshness
from server.nws import NwsError
from server.open_meteo import OpenMeteoError

#: Keys of the upstream clients in the lifespan context.
NWS_CLIENT_KEY: Final = "nws"
OPEN_METEO_CLIENT_KEY: Final = "open_meteo"

log = get_logger(TOOLS_LOGGER)


@contextmanager
def upstream_errors(tool: str, service: str = "the National Weather Service") -> Iterator[None]:
    """Upstream failures (NWS, Open-Meteo) become ToolErrors with their actionable sentence, which
    names the service; anything else is logged and masked (`service`: the one the tool asks)."""
    try:
        yield
    except ToolError:
        raise
    except (NwsError, OpenMeteoError) as error:
        raise ToolError(str(error), log_level=logging.WARNING) from None
    except Exception:
        log.exception("tool_internal_error", tool=tool)
        raise ToolError(
            f"{tool} failed because of an internal error in this weather server (not in {service})."
            " Retrying is unlikely to help; the operator can find details in the server logs."
        ) from None


def freshness_of(lookup: Lookup[Any]) -> Freshness:
    """How current a looked-up answer is (stale when the source failed and a kept answer was served)."""
    fetched = datetime.fromtimestamp(lookup.fetched_at, UTC)
    return Freshness(
        stale=lookup.status == "stale",
        fetched_at=fetched.isoformat(timespec="seconds").replace("+00:00", "Z"),
        age_seconds=max(0, round(time.time() - lookup.fetched_at)),
    )

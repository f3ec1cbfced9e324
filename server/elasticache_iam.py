"""ElastiCache IAM authentication: the password of each new cache connection is a short-lived token
that the task signs with its own AWS credentials, so no cache secret exists anywhere (not in
Terraform state, not in the task definition, not in Secrets Manager).

The token is ElastiCache's documented format: a SigV4 presigned `GET` of
``https://<replication group id>/?Action=connect&User=<user id>`` for the service ``elasticache``,
valid 15 minutes, without its scheme. botocore signs it with the task role's credentials (the ECS
container credentials provider, refreshed by botocore itself). A token only matters when a
connection authenticates: this provider signs a new one well before the old one expires, and
`server.fleet_cache` closes connections before ElastiCache's 12-hour limit so that each reconnect
authenticates with a current token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlencode

from redis.credentials import CredentialProvider

#: ElastiCache accepts a token for 15 minutes after it was signed.
TOKEN_LIFETIME_SECONDS: Final = 900
#: A token is signed again once it is this old: a connection made just before still has minutes.
TOKEN_REFRESH_SECONDS: Final = 600


class ElastiCacheIamToken(CredentialProvider):
    """redis-py credential provider: (user, token) with a token signed for `cache_name` and `user`."""

    def __init__(
        self,
        *,
        user: str,
        cache_name: str,
        region: str,
        session: Any = None,
        refresh_seconds: float = TOKEN_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import botocore.session
        from botocore.model import ServiceId
        from botocore.signers import RequestSigner

        session = session or botocore.session.get_session()
        credentials = session.get_credentials()
        if credentials is None:
            raise RuntimeError(
                "ElastiCache IAM authentication needs AWS credentials (the task role's, through the ECS"
                " container credentials endpoint), and botocore found none"
            )
        self._user = user
        # ElastiCache stores replication group IDs in lower case and checks the token against that.
        self._url = f"https://{cache_name.lower()}/?{urlencode({'Action': 'connect', 'User': user})}"
        self._region = region
        # The signer holds only a weak reference to the session's event emitter: keep the session.
        self._session = session
        self._signer = RequestSigner(
            ServiceId("elasticache"),
            region,
            "elasticache",
            "v4",
            credentials,
            session.get_component("event_emitter"),
        )
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._token: str | None = None
        self._signed_at = 0.0
        self._signing: asyncio.Lock | None = None

    def sign(self) -> str:
        """A new token (blocking: botocore may fetch fresh credentials first)."""
        signed = self._signer.generate_presigned_url(
            {"method": "GET", "url": self._url, "body": {}, "headers": {}, "context": {}},
            operation_name="connect",
            expires_in=TOKEN_LIFETIME_SECONDS,
            region_name=self._region,
        )
        return str(signed).removeprefix("https://")

    def _current(self) -> str | None:
        if self._token is not None and self._clock() - self._signed_at < self._refresh_seconds:
            return self._token
        return None

    def get_credentials(self) -> tuple[str, str]:
        """(user, token), signing a new token when the current one is due for refresh."""
        token = self._current()
        if token is None:
            token = self._token = self.sign()
            self._signed_at = self._clock()
        return self._user, token

    async def get_credentials_async(self) -> tuple[str, str]:
        """As `get_credentials`, signing off the event loop (a credentials refresh is an HTTP call)."""
        token = self._current()
        if token is not None:
            return self._user, token
        if self._signing is None:
            self._signing = asyncio.Lock()
        async with self._signing:  # concurrent new connections share one signing
            if self._current() is None:
                self._token = await asyncio.to_thread(self.sign)
                self._signed_at = self._clock()
        return self._user, self._token or ""

"""The ``realtime.call.incoming`` webhook: Standard Webhooks signing and delivery.

This is the *signing* side of Standard Webhooks (what the official ``openai`` client's
``webhooks.unwrap`` verifies): the key is the base64 part of a ``whsec_…`` secret, and
``webhook-signature`` is ``v1,`` + base64(HMAC-SHA256(key, ``"{id}.{timestamp}.{body}"``)).
The emulator only ever uses ``whsec_`` secrets, because verifiers differ on anything else (the
``openai`` client would take other strings as raw bytes, ``standardwebhooks`` would not).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .. import wire
from ..ids import IdFactory

__all__ = ["Delivery", "WebhookSender", "check_secret", "new_secret", "sign"]

log = logging.getLogger(__name__)

_PREFIX = "whsec_"
_USER_AGENT = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"
_ATTEMPTS = 3  # the real service retries for days; a test wants to know soon
_RETRY_S = 0.5
_TIMEOUT_S = 5.0


def new_secret() -> str:
    """A fresh ``whsec_<base64>`` secret (32 random bytes)."""
    return _PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def check_secret(secret: str) -> str:
    """``secret`` when it is ``whsec_<base64>``; else a ValueError that does not quote it."""
    if not secret.startswith(_PREFIX):
        raise ValueError("a webhook secret must look like whsec_<base64>")
    try:
        base64.b64decode(secret[len(_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret must look like whsec_<base64>") from None
    return secret


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body``."""
    key = base64.b64decode(secret[len(_PREFIX) :])
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


@dataclass
class Delivery:
    """One webhook as the emulator sent it: the event, and how each attempt went."""

    event: dict[str, Any]
    headers: dict[str, str]
    statuses: list[int | str] = field(default_factory=list)
    """Per attempt: the receiver's HTTP status, or why the request failed."""

    @property
    def delivered(self) -> bool:
        return any(isinstance(s, int) and 200 <= s < 300 for s in self.statuses)


class WebhookSender:
    """Posts signed events to one URL (a few attempts each, a bounded time per attempt)."""

    def __init__(self, url: str, secret: str, ids: IdFactory) -> None:
        self.url = url
        self._secret = check_secret(secret)
        self._ids = ids
        self._http: aiohttp.ClientSession | None = None

    async def send(self, type: str, data: Mapping[str, Any]) -> Delivery:
        """Deliver one event of ``type``; the record of the attempts (never raises for HTTP)."""
        now = int(time.time())
        event = {
            "object": "event",
            "id": self._ids.make("evt"),
            "type": type,
            "created_at": now,
            "data": dict(data),
        }
        body = wire.encode(event).encode()
        webhook_id = self._ids.make("wh")
        headers = {
            "user-agent": _USER_AGENT,
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(now),
            "webhook-signature": sign(self._secret, webhook_id, now, body),
        }
        delivery = Delivery(event, headers)
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_TIMEOUT_S))
        for attempt in range(_ATTEMPTS):
            if attempt:
                await asyncio.sleep(_RETRY_S * attempt)
            try:
                async with self._http.post(self.url, data=body, headers=headers) as response:
                    delivery.statuses.append(response.status)
                    if 200 <= response.status < 300:
                        break
            except (aiohttp.ClientError, TimeoutError) as exc:
                delivery.statuses.append(_describe(exc))
        else:
            log.warning("webhook %s not delivered to %s: %s", type, self.url, delivery.statuses)
        return delivery

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

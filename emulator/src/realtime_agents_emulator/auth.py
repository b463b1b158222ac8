"""API keys and ephemeral client secrets (``ek_…``).

With no configured keys any ``sk-…`` key is accepted; with configured keys only those are. Minted
``ek_…`` secrets are accepted by the realtime endpoints until they expire, whatever the API keys;
each carries the session config it was minted with, which sessions opened with it start from.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import RealtimeError
from .ids import IdFactory

__all__ = ["ClientSecret", "KeyStore", "mask_key"]


@dataclass(frozen=True)
class ClientSecret:
    """A minted ephemeral key and the session config that sessions opened with it start from."""

    value: str
    expires_at: int
    session: dict[str, Any]


def mask_key(key: str) -> str:
    """A key as error messages show it: never the whole secret."""
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}"


class KeyStore:
    """Decides which bearer keys the emulator accepts."""

    def __init__(self, api_keys: Iterable[str] | None, ids: IdFactory) -> None:
        self._api_keys = None if api_keys is None else frozenset(api_keys)
        self._ids = ids
        self._secrets: dict[str, ClientSecret] = {}

    def check_api_key(self, key: str | None) -> RealtimeError | None:
        """``None`` if ``key`` is an accepted API key (not an ephemeral one), else the error."""
        if not key:
            return RealtimeError.missing_api_key()
        ok = key.startswith("sk-") if self._api_keys is None else key in self._api_keys
        return None if ok else RealtimeError.invalid_api_key(mask_key(key))

    def check_realtime_key(
        self, key: str | None
    ) -> tuple[RealtimeError | None, ClientSecret | None]:
        """Check a key for the realtime endpoints: API keys and unexpired client secrets."""
        if key and key.startswith("ek_"):
            secret = self._secrets.get(key)
            if secret is None or secret.expires_at <= time.time():
                return RealtimeError.invalid_api_key(mask_key(key)), None
            return None, secret
        return self.check_api_key(key), None

    def mint(self, session: dict[str, Any], ttl_seconds: int) -> ClientSecret:
        """A new ``ek_…`` secret valid for ``ttl_seconds``."""
        secret = ClientSecret(
            value="ek_" + self._ids.hex(16),
            expires_at=int(time.time()) + ttl_seconds,
            session=session,
        )
        self.add(secret)
        return secret

    def add(self, secret: ClientSecret) -> None:
        """Accept a secret minted elsewhere (by another worker of the same emulator)."""
        self._secrets[secret.value] = secret

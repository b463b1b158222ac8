"""Identifiers in the shapes the real server uses (``event_…``, ``item_…``, ``resp_…``, …)."""

from __future__ import annotations

import random
import string

__all__ = ["IdFactory"]

_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    """Makes prefixed random identifiers; a ``seed`` makes a whole run reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def token(self, length: int) -> str:
        """``length`` random letters and digits."""
        return "".join(self._rng.choices(_ALPHABET, k=length))

    def hex(self, nbytes: int) -> str:
        """``nbytes`` random bytes as lowercase hex."""
        return f"{self._rng.getrandbits(8 * nbytes):0{2 * nbytes}x}"

    def make(self, prefix: str, length: int = 21) -> str:
        """``f"{prefix}_{token}"``, e.g. ``make("item")`` → ``"item_CAq7O2FzMm1l9TyGp8iV1"``."""
        return f"{prefix}_{self.token(length)}"

    def event(self) -> str:
        return self.make("event")

    def item(self) -> str:
        return self.make("item")

    def response(self) -> str:
        return self.make("resp")

    def call(self) -> str:
        return self.make("call", 16)

    def obfuscation(self, text: str) -> str:
        """Padding like the real server adds to deltas, so lengths do not leak content."""
        return self.token(max(1, 16 - len(text) % 16))

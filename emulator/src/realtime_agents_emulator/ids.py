"""Identifiers in the shapes the real server uses (``event_…``, ``item_…``, ``resp_…``, …)."""

from __future__ import annotations

import random
import string

__all__ = ["IdFactory"]

_ALPHABET = string.ascii_letters + string.digits
# Random bytes to letters and digits in one C call (an event id per event adds up): byte b
# becomes _ALPHABET[b % 62], so the first 8 characters come up 5/256 rather than 4/256 of the
# time each, which no client can tell from the real server's ids.
_TO_ALPHABET = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) for b in range(256))


class IdFactory:
    """Makes prefixed random identifiers; a ``seed`` makes a whole run reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def token(self, length: int) -> str:
        """``length`` random letters and digits."""
        # randbytes(length), without its Python frame: one call per event id adds up.
        raw = self._rng.getrandbits(8 * length).to_bytes(length, "little")
        return raw.translate(_TO_ALPHABET).decode("ascii")

    def hex(self, nbytes: int) -> str:
        """``nbytes`` random bytes as lowercase hex."""
        return f"{self._rng.getrandbits(8 * nbytes):0{2 * nbytes}x}"

    def make(self, prefix: str, length: int = 21) -> str:
        """``f"{prefix}_{token}"``, e.g. ``make("item")`` → ``"item_CAq7O2FzMm1l9TyGp8iV1"``."""
        return f"{prefix}_{self.token(length)}"

    def event(self) -> str:
        return "event_" + self.token(21)

    def item(self) -> str:
        return self.make("item")

    def response(self) -> str:
        return self.make("resp")

    def call(self) -> str:
        return self.make("call", 16)

    def obfuscation(self, text: str) -> str:
        """Padding like the real server adds to deltas, so lengths do not leak content."""
        return self.token(max(1, 16 - len(text) % 16))

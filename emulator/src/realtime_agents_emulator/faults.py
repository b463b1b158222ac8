"""Fault injection for reliability tests, per connection.

A :class:`Faults` value says what goes wrong on one connection. Choose it

* by query parameter on the WebSocket URL: ``?fault=drop_after:5`` — several faults are separated
  by commas (``?fault=delay:50,error_after:3``) or given as repeated ``fault`` parameters;
* by API before connecting: ``emu.faults.next_connection(Faults(drop_after_events=5))`` (queued,
  one per future connection) or ``emu.faults.every_connection(Faults(delay_ms=20))``;
* on a live connection: ``conn.inject(Faults(...))`` or the direct actions ``await conn.drop()``,
  ``conn.reset()``, ``await conn.send_malformed()``, ``conn.send_error()``.

Query syntax (``N`` counts server events sent on the connection, ``session.created`` included):

================================  ==========================================================
``drop_after:N``                  after N events, close TCP without a close frame (client: 1006)
``reset_after:N``                 after N events, reset TCP (RST; client: connection reset)
``close_after:N[:CODE]``          after N events, send a WebSocket close (default code 1011)
``drop_mid_response[:K]``         drop TCP right after the K-th delta of a response (default 1)
``malformed_after:N``             after N events, send one frame that is not valid JSON
``error_after:N[:CODE]``          after N events, send an ``error`` event (``server_error``)
``delay:MS``                      send each server event MS ms after it was produced
================================  ==========================================================
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

__all__ = ["FaultPlan", "Faults"]


@dataclass(frozen=True)
class Faults:
    """What goes wrong on one connection (all off by default). See the module docs."""

    drop_after_events: int | None = None
    reset_after_events: int | None = None
    close_after_events: int | None = None
    close_code: int = 1011
    drop_mid_response: int | None = None
    malformed_after_events: int | None = None
    error_after_events: int | None = None
    error_code: str = "server_error"
    delay_ms: float = 0.0

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"Faults.{spec.name} must not be negative")

    @property
    def active(self) -> bool:
        return self != Faults()

    def merged(self, other: Faults) -> Faults:
        """These faults with every field ``other`` sets (non-default) taken from ``other``."""
        changes = {
            spec.name: getattr(other, spec.name)
            for spec in fields(other)
            if getattr(other, spec.name) != spec.default
        }
        return replace(self, **changes)

    @classmethod
    def parse(cls, specs: str | Iterable[str]) -> Faults:
        """Parse the query syntax (``"drop_after:5,delay:20"``); ``ValueError`` if malformed."""
        parts = [specs] if isinstance(specs, str) else list(specs)
        faults = cls()
        for part in ",".join(parts).split(","):
            if part.strip():
                faults = faults.merged(_parse_one(part.strip()))
        return faults


def _parse_one(spec: str) -> Faults:
    name, *args = spec.split(":")
    try:
        numbers = [int(arg) for arg in args] if name != "error_after" else []
        if name == "drop_after" and len(args) == 1:
            return Faults(drop_after_events=numbers[0])
        if name == "reset_after" and len(args) == 1:
            return Faults(reset_after_events=numbers[0])
        if name == "close_after" and len(args) in (1, 2):
            return Faults(close_after_events=numbers[0], close_code=[*numbers, 1011][1])
        if name == "drop_mid_response" and len(args) <= 1:
            return Faults(drop_mid_response=(numbers or [1])[0])
        if name == "malformed_after" and len(args) == 1:
            return Faults(malformed_after_events=numbers[0])
        if name == "delay" and len(args) == 1:
            return Faults(delay_ms=float(args[0]))
        if name == "error_after" and len(args) in (1, 2):
            return Faults(
                error_after_events=int(args[0]),
                error_code=args[1] if len(args) == 2 else "server_error",
            )
    except ValueError as exc:
        raise ValueError(f"invalid fault {spec!r}: {exc}") from exc
    raise ValueError(f"unknown or malformed fault {spec!r}")


class FaultPlan:
    """The faults an emulator applies to connections as they arrive."""

    def __init__(self) -> None:
        self._queued: collections.deque[Faults] = collections.deque()
        self._every = Faults()

    def next_connection(self, faults: Faults) -> None:
        """Apply ``faults`` to the next connection that does not already have queued faults."""
        self._queued.append(faults)

    def every_connection(self, faults: Faults) -> None:
        """Apply ``faults`` to every future connection (``Faults()`` turns this off)."""
        self._every = faults

    def clear(self) -> None:
        """Forget queued and every-connection faults."""
        self._queued.clear()
        self._every = Faults()

    def take(self, query_specs: Iterable[str] = ()) -> Faults:
        """The faults of a new connection: every-connection, then queued, then the query."""
        faults = self._every
        if self._queued:
            faults = faults.merged(self._queued.popleft())
        specs = list(query_specs)
        return faults.merged(Faults.parse(specs)) if specs else faults

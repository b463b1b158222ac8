"""Harnesses: how the shared transport contract suite runs against one transport.

The suite in this folder checks the transport contract of ``realtime_agents.transport`` (and
DESIGN.md §4) once, for every transport. A transport joins by providing a
:class:`TransportHarness` subclass — something that can start a peer, build an unconnected
transport, and say how to connect it — and registering it:

* in this repository: add the class to :data:`BUILTIN_HARNESSES` (nothing else changes);
* from another package (a third-party transport): set
  ``REALTIME_AGENTS_CONTRACT_HARNESSES=my_package.contract:MyHarness`` (comma-separated) and run
  ``pytest tests/contract``.

Which tests run against which harness is decided by :attr:`TransportHarness.capabilities`:
a test that needs a capability the harness lacks is not generated for it (it is not a skip).

Why core's in-memory :class:`~realtime_agents.testing.ScriptedRealtimeTransport` has a harness
at all: the lifecycle half of the contract (statuses, double connect, close, calls while
disconnected, muting, handler errors, task ownership) does not need a peer, and running it
against the scripted double keeps that double honest — sessions are tested with it, so it
must behave like a real transport where it claims to. Everything involving a server (turns,
audio, raw events, drops) needs the ``peer`` capability, which only transports with a real
peer (the emulator over real sockets) have.
"""

from __future__ import annotations

import abc
import asyncio
import importlib
import os
from collections.abc import Callable
from typing import Any, ClassVar, Final

from realtime_agents.transport import ConnectOptions, RealtimeTransportLayer

__all__ = [
    "AUDIO_EVENTS",
    "CANCELLABLE_CONNECT",
    "CAPABILITIES",
    "PEER",
    "RAW_EVENTS",
    "TransportHarness",
    "harnesses",
]

#: A real remote peer (the emulator): turns, function calls, server-side observation, drops.
PEER: Final = "peer"
#: Assistant audio is published as ``audio`` events (not by WebRTC, where it is a media track).
AUDIO_EVENTS: Final = "audio_events"
#: Every server event is published on ``*`` and under its own type.
RAW_EVENTS: Final = "raw_events"
#: ``close()`` while ``connect()`` waits (e.g. for the API key) makes that connect fail.
CANCELLABLE_CONNECT: Final = "cancellable_connect"

CAPABILITIES: Final = frozenset({PEER, AUDIO_EVENTS, RAW_EVENTS, CANCELLABLE_CONNECT})

ENV: Final = "REALTIME_AGENTS_CONTRACT_HARNESSES"


class TransportHarness(abc.ABC):
    """Runs one transport for the contract suite. One instance per test.

    Lifecycle: the suite calls :meth:`start` (optionally with an emulator ``brain`` scripting
    the model), builds transports with :meth:`new_transport`, connects them with
    :meth:`connect_options`, and calls :meth:`stop` at the end (which must also close any
    transport the test left open).
    """

    #: Shown in test ids.
    name: ClassVar[str]
    #: Which parts of the contract apply (see the module constants).
    capabilities: ClassVar[frozenset[str]]

    def __init__(self) -> None:
        self.transports: list[RealtimeTransportLayer] = []

    @abc.abstractmethod
    async def start(self, brain: Any = None, **peer_options: Any) -> None:
        """Start the peer; ``brain`` is a ``realtime_agents_emulator.Brain`` (PEER only)."""

    async def stop(self) -> None:
        """Close every transport built here, then stop the peer."""
        for transport in self.transports:
            await transport.close()

    @abc.abstractmethod
    def _build(self) -> RealtimeTransportLayer:
        """A new, unconnected transport of the kind under test."""

    def new_transport(self) -> RealtimeTransportLayer:
        transport = self._build()
        self.transports.append(transport)
        return transport

    @abc.abstractmethod
    def connect_options(self, **overrides: Any) -> ConnectOptions:
        """Options that connect a new transport to the running peer."""

    # -- PEER capability --------------------------------------------------------------------

    async def received(
        self,
        type: str,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        index: int = -1,
    ) -> dict[str, Any]:
        """The first client event of ``type`` (matching ``where``) that the peer received on
        connection ``index``; waits for it if it has not arrived yet."""
        raise NotImplementedError(f"{self.name} has no peer")

    async def drop(self, *, index: int = -1) -> None:
        """Make the peer drop connection ``index`` abruptly (TCP gone, no close handshake)."""
        raise NotImplementedError(f"{self.name} has no peer")

    def is_peer_task(self, task: asyncio.Task[Any]) -> bool:
        """Whether a task belongs to the peer (it is then not counted as a leak)."""
        return False


def _load(spec: str) -> type[TransportHarness]:
    module, _, attr = spec.strip().partition(":")
    harness = getattr(importlib.import_module(module), attr)
    if not (isinstance(harness, type) and issubclass(harness, TransportHarness)):
        raise TypeError(f"{spec} is not a TransportHarness subclass")
    unknown = harness.capabilities - CAPABILITIES
    if unknown:
        raise ValueError(f"{spec} declares unknown capabilities {sorted(unknown)}")
    return harness


def harnesses() -> list[type[TransportHarness]]:
    """Built-in harnesses plus those named in ``REALTIME_AGENTS_CONTRACT_HARNESSES``."""
    from contract_harnesses import BUILTIN_HARNESSES

    extra = [_load(spec) for spec in os.environ.get(ENV, "").split(",") if spec.strip()]
    return [*BUILTIN_HARNESSES, *extra]

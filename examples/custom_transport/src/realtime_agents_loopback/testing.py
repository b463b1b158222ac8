"""The loopback transport's harness for core's contract suite (needs pytest).

A harness is how the shipped suite (:mod:`realtime_agents.testing.contract`) drives a
transport: it starts the backend, builds and connects transports, turns the test's
:class:`Script` into the backend's behaviour, and drops connections on demand. It declares
only the capabilities the transport really has; the suite skips the rest and says why.
"""

from __future__ import annotations

from typing import Any, ClassVar

from realtime_agents.testing.contract import (
    AUDIO_IN,
    AUDIO_OUT,
    CANCELLABLE_CONNECT,
    CONVERSATION,
    INPUT_TRANSCRIPTION,
    INTERRUPT,
    PEER_DROP,
    Reply,
    Script,
    TransportHarness,
)
from realtime_agents.transport import ConnectOptions, RealtimeTransportLayer

from . import backend
from .backend import LoopbackBackend
from .transport import LoopbackTransport

__all__ = ["LoopbackHarness"]


class LoopbackHarness(TransportHarness):
    """:class:`LoopbackTransport` against a :class:`LoopbackBackend` playing the script.

    Not ``OPENAI_WIRE``: the loopback speaks no OpenAI protocol, so those tests are skipped.
    """

    name = "loopback"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {
            CONVERSATION,
            AUDIO_IN,
            AUDIO_OUT,
            INPUT_TRANSCRIPTION,
            INTERRUPT,
            PEER_DROP,
            CANCELLABLE_CONNECT,
        }
    )

    async def start(self, script: Script) -> None:
        self.backend = LoopbackBackend(
            lambda words: _reply(script.reply_to(words)),
            hear=lambda pcm: script.heard,
            after_tool=lambda output: _reply(script.reply_after_tool(output)),
            audio_speed=0,  # speech as fast as the loop allows, still in chunks
        )

    def build_transport(self) -> RealtimeTransportLayer:
        return LoopbackTransport(self.backend)

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        return ConnectOptions(**overrides)

    async def drop(self, *, index: int = -1) -> None:
        await self.backend.connections[index].drop()


def _reply(reply: Reply) -> backend.Reply:
    """The script's reply in the backend's terms."""
    if reply.call is not None:
        return backend.CallTool(reply.call, reply.arguments)
    return backend.Say(reply.text, audio_ms=reply.audio_ms)

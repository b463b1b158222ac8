"""The harness a transport gives the contract suite, and the script its backend follows.

A harness starts whatever the transport talks to (a server, an emulator, an in-process
backend), builds unconnected transports, says how to connect them, and makes the backend
behave as the test's :class:`Script` says. Nothing here is OpenAI's: the script talks about
user words, replies and tool calls; a harness translates it for its backend.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

import attrs

from ...transport import ConnectOptions, RealtimeTransportLayer

__all__ = [
    "AUDIO_IN",
    "AUDIO_OUT",
    "CANCELLABLE_CONNECT",
    "CAPABILITIES",
    "CONVERSATION",
    "INPUT_TRANSCRIPTION",
    "INTERRUPT",
    "OPENAI_WIRE",
    "PEER_DROP",
    "Reply",
    "Script",
    "TransportHarness",
]

#: The backend answers user messages and tool outputs as the :class:`Script` says.
CONVERSATION: Final = "conversation"
#: ``send_audio(..., commit=True)`` reaches the backend as a user turn (heard as
#: :attr:`Script.heard`).
AUDIO_IN: Final = "audio_in"
#: Spoken replies are published as ``audio`` events (PCM16 24 kHz mono).
AUDIO_OUT: Final = "audio_out"
#: What the user said in audio is published as ``input_audio_transcription``.
INPUT_TRANSCRIPTION: Final = "input_transcription"
#: ``interrupt()`` stops a spoken reply that is still playing.
INTERRUPT: Final = "interrupt"
#: :meth:`TransportHarness.drop` can make the backend drop the connection abruptly.
PEER_DROP: Final = "peer_drop"
#: ``close()`` while ``connect()`` waits (for the API key) makes that connect fail.
CANCELLABLE_CONNECT: Final = "cancellable_connect"
#: The transport speaks the OpenAI Realtime wire protocol, and
#: :meth:`TransportHarness.received` shows what the backend received.
OPENAI_WIRE: Final = "openai_wire"

CAPABILITIES: Final = frozenset(
    {
        CONVERSATION,
        AUDIO_IN,
        AUDIO_OUT,
        INPUT_TRANSCRIPTION,
        INTERRUPT,
        PEER_DROP,
        CANCELLABLE_CONNECT,
        OPENAI_WIRE,
    }
)


@attrs.frozen
class Reply:
    """What the model does in answer to one turn.

    Say ``text`` (in text, or as speech lasting about ``audio_ms`` with ``text`` as its
    transcript), or, when ``call`` is set, call that tool with ``arguments`` instead.
    """

    text: str = ""
    call: str | None = None
    arguments: Mapping[str, Any] = attrs.field(factory=dict)
    audio_ms: int | None = None


@attrs.frozen
class Script:
    """How the backend's model behaves during one contract test.

    ``replies`` maps a user message (exact words) to its reply, anything else gets
    ``default``; any user audio turn is heard as ``heard``; after a tool's output the model
    says ``after_tool`` with ``{output}`` replaced by that output.
    """

    replies: Mapping[str, Reply] = attrs.field(factory=dict)
    default: Reply = Reply("OK.")
    heard: str = "hello from audio"
    after_tool: str = "The tool said {output}."

    def reply_to(self, words: str) -> Reply:
        """The model's reply to the user saying ``words``."""
        return self.replies.get(words, self.default)

    def reply_after_tool(self, output: str) -> Reply:
        """The model's reply once a tool answered with ``output``."""
        return Reply(self.after_tool.replace("{output}", output))


class TransportHarness(abc.ABC):
    """Runs one transport for the contract suite; a new instance for every test.

    The suite calls :meth:`start` with the test's :class:`Script`, builds transports with
    :meth:`new_transport`, connects them with :meth:`connect_options`, and always calls
    :meth:`stop` at the end (which closes what the test left open, then stops the backend).
    """

    #: Shown in skip reasons and failures.
    name: ClassVar[str]
    #: Which parts of the contract apply (the module's capability constants).
    capabilities: ClassVar[frozenset[str]]

    def __init__(self) -> None:
        self.transports: list[RealtimeTransportLayer] = []

    @abc.abstractmethod
    async def start(self, script: Script) -> None:
        """Start the backend, behaving as ``script`` says."""

    async def stop(self) -> None:
        """Close every transport built here, then stop the backend."""
        for transport in self.transports:
            await transport.close()

    @abc.abstractmethod
    def build_transport(self) -> RealtimeTransportLayer:
        """A new, unconnected transport of the kind under test."""

    def new_transport(self) -> RealtimeTransportLayer:
        """:meth:`build_transport`, remembered so that :meth:`stop` closes it."""
        transport = self.build_transport()
        self.transports.append(transport)
        return transport

    @abc.abstractmethod
    def connect_options(self, **overrides: Any) -> ConnectOptions:
        """Options that connect a new transport to the running backend."""

    async def drop(self, *, index: int = -1) -> None:
        """Make the backend drop connection ``index`` abruptly (:data:`PEER_DROP`)."""
        raise NotImplementedError(f"{self.name} cannot drop connections")

    async def received(
        self,
        type: str,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        index: int = -1,
    ) -> dict[str, Any]:
        """The first client event of ``type`` (matching ``where``) the backend received on
        connection ``index``, waiting for it if need be (:data:`OPENAI_WIRE`)."""
        raise NotImplementedError(f"{self.name} does not show what its backend received")

    def is_backend_task(self, task: asyncio.Task[Any]) -> bool:
        """Whether a task belongs to the backend (then it is not counted as a leak)."""
        return False

"""The scripted model ("brain"): what the emulator says, calls and hears.

A brain answers two questions, both deterministically:

* :meth:`Brain.transcribe` — what a user's audio turn *says* (the emulator cannot understand
  audio, so the brain decides; the text is reported when input transcription is on and is what
  :meth:`Brain.respond` sees as the user's words);
* :meth:`Brain.respond` — what one response contains: a sequence of :class:`Say`,
  :class:`CallFunction` and :class:`Fail` actions.

:class:`EchoBrain` is the default: a polite echo that calls a session tool when the user names it.
Rules files are handled by :class:`~realtime_agents_emulator.rules.RulesBrain`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Action",
    "AudioTurn",
    "Brain",
    "CallFunction",
    "EchoBrain",
    "Fail",
    "Say",
    "Turn",
]


@dataclass(frozen=True)
class Say:
    """Speak (audio sessions) or write (text sessions) ``text``.

    ``audio_ms`` fixes the audio length (the speech is looped or cut to fit), e.g. a 3000 ms reply
    long enough to barge into; by default the length follows the text.
    """

    text: str
    audio_ms: int | None = None


@dataclass(frozen=True)
class CallFunction:
    """Call the function tool ``name``; ``arguments`` is a mapping or a JSON string."""

    name: str
    arguments: Mapping[str, object] | str = field(default_factory=dict)
    call_id: str | None = None

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        # Strict: a client parses this string as JSON, and NaN is not JSON.
        return json.dumps(dict(self.arguments), separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Fail:
    """Fail the response: an ``error`` event, then ``response.done`` with status ``failed``."""

    message: str = "The server had an error while processing your request."
    code: str | None = "server_error"
    type: str = "server_error"


Action = Say | CallFunction | Fail


@dataclass(frozen=True)
class AudioTurn:
    """A user audio item to transcribe: the ``index``-th audio turn (1-based) of the session."""

    index: int
    duration_ms: int
    pcm16: bytes = field(repr=False)
    """The audio as PCM16 mono 24 kHz, whatever the session's input format."""


TurnKind = Literal["text", "audio", "tool_output", "none"]


@dataclass(frozen=True)
class Turn:
    """What a response answers: the latest user input or tool output in its context.

    ``kind`` is ``"text"`` (``text`` = the user's text), ``"audio"`` (``text`` = the transcript
    from :meth:`Brain.transcribe`; ``audio_index`` = its order), ``"tool_output"`` (``tool_name``,
    ``tool_output`` and ``call_id`` set) or ``"none"`` (nothing to answer).
    """

    kind: TurnKind
    text: str = ""
    audio_index: int | None = None
    tool_name: str | None = None
    tool_output: str | None = None
    call_id: str | None = None
    items: tuple[Mapping[str, object], ...] = ()
    tools: tuple[Mapping[str, object], ...] = ()
    tool_choice: object = "auto"
    instructions: str = ""
    voice: str = ""
    """The voice the reply is spoken in (a custom voice's ``id``)."""
    output_modalities: tuple[str, ...] = ("audio",)
    metadata: Mapping[str, str] | None = None


Reply = Sequence[Action]


class Brain:
    """Base class of scripted models. Subclass and override :meth:`respond` (and optionally
    :meth:`transcribe`); :meth:`respond` may be a coroutine function.

    One brain instance serves every connection of an emulator, so keep per-conversation state in
    the :class:`Turn` you are given (``items``, ``audio_index``), not on ``self``.
    """

    def transcribe(self, audio: AudioTurn) -> str:
        """The transcript of a user audio turn (default: ``"Hello."``)."""
        return "Hello."

    def respond(self, turn: Turn) -> Reply | Awaitable[Reply]:
        """The actions of one response."""
        raise NotImplementedError


class EchoBrain(Brain):
    """A polite echo.

    * text or audio turn: if the session has function tools (and ``tool_choice`` is not ``"none"``)
      and the user's words name one (``get_weather`` or "get weather"), call it with the first JSON
      object found in the words as arguments (else ``{}``); otherwise say ``"You said: <words>"``;
    * tool output: say ``"The <tool> tool returned: <output>"``;
    * nothing to answer: say ``"Hello! How can I help you?"``.
    """

    def __init__(self, transcript: str = "Hello.", prefix: str = "You said: ") -> None:
        self._transcript = transcript
        self._prefix = prefix

    def transcribe(self, audio: AudioTurn) -> str:
        return self._transcript

    def respond(self, turn: Turn) -> Reply:
        if turn.kind == "tool_output":
            return [Say(f"The {turn.tool_name} tool returned: {turn.tool_output}")]
        if turn.kind == "none":
            return [Say("Hello! How can I help you?")]
        tool = named_tool(turn)
        if tool is not None:
            return [CallFunction(tool, json_object_in(turn.text))]
        return [Say(f"{self._prefix}{turn.text}")]


def named_tool(turn: Turn) -> str | None:
    """The first function tool of ``turn.tools`` whose name the user's words contain."""
    if turn.tool_choice == "none":
        return None
    words = turn.text.lower()
    for tool in turn.tools:
        name = tool.get("name")
        if tool.get("type", "function") != "function" or not isinstance(name, str) or not name:
            continue
        spaced = re.sub(r"[_\-]+", " ", name.lower())
        if re.search(rf"\b{re.escape(name.lower())}\b", words) or spaced in words:
            return name
    return None


def json_object_in(text: str) -> dict[str, object]:
    """The first JSON object embedded in ``text`` (``{}`` when there is none)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}

"""``realtime-agents talk``: a live session with a plain agent, from a WAV file or the microphone.

Core's second built-in command (after ``transports``): talking to the API needs no plugin but
a transport, found by name through the plugin host as ``RealtimeSession(agent,
transport=name)`` finds it. This module only declares the command; what it does is in
:mod:`.cli_talk_run` (the session), :mod:`.cli_talk_watch` (the transcript and the end of a
reply) and :mod:`.cli_talk_audio` (files and devices), imported when it runs, so
``realtime-agents --help`` imports neither asyncio nor the session.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .plugins import PluginHost

__all__ = ["DEFAULT_INSTRUCTIONS", "TalkCommand"]

DEFAULT_INSTRUCTIONS: Final = "You are a helpful voice assistant. Keep your answers short."


class TalkCommand:
    """``realtime-agents talk``: see :data:`description`."""

    help = "talk to an agent: a WAV file or the microphone in, the transcript and reply out"
    description = """\
Talk to a plain voice agent over a real session: the OpenAI Realtime API (the key comes from
OPENAI_API_KEY) or any emulator with --url. The transcript of both sides is printed live, one
line per turn. With --input the file is one user turn, and the command exits once the reply
is complete; with --mic it listens and answers through the speaker until Ctrl-C.

examples:
  %(prog)s --input question.wav --output reply.wav
  %(prog)s --mic          # needs realtime-agents-webrtc[audio] and a microphone
  %(prog)s --url ws://127.0.0.1:8000/v1/realtime --input question.wav   # an emulator
"""

    def __init__(self, host: PluginHost) -> None:
        self.host = host

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--input",
            type=Path,
            metavar="FILE.wav",
            help="say this recording as one turn (24 kHz mono 16-bit WAV; other formats "
            "need PyAV), then exit once the reply is complete",
        )
        source.add_argument(
            "--mic",
            action="store_true",
            help="talk through the microphone and hear the reply on the speaker until Ctrl-C "
            "(webrtc transport with its [audio] extra)",
        )
        parser.add_argument(
            "--output", type=Path, metavar="FILE.wav", help="save the reply audio (PCM16 24 kHz)"
        )
        parser.add_argument(
            "--transport",
            metavar="NAME",
            help="an installed transport (realtime-agents transports lists them) "
            "(default: webrtc if installed, else websocket)",
        )
        parser.add_argument(
            "--url",
            help="connect here instead of OpenAI (or OPENAI_BASE_URL): a ws:// realtime URL or "
            "an http:// calls URL, each turned into the other as the transport needs",
        )
        parser.add_argument(
            "--instructions",
            default=DEFAULT_INSTRUCTIONS,
            metavar="TEXT",
            help="the agent's instructions (default: a helpful voice assistant, brief)",
        )
        parser.add_argument(
            "--model", default="gpt-realtime", help="the Realtime model (default: %(default)s)"
        )
        parser.add_argument("--voice", help="the agent's voice, e.g. marin (default: the API's)")
        parser.add_argument(
            "--timeout",
            type=_seconds,
            default=60.0,
            metavar="SECONDS",
            help="give up on a reply after this long (default: %(default)g)",
        )

    def run(self, args: argparse.Namespace) -> int:
        from .cli_talk_run import main

        return main(args, self.host)


def _seconds(text: str) -> float:
    """A positive number of seconds (argparse reports the error as a usage error)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value

"""What ``realtime-agents talk`` does (:mod:`.cli_talk` declares it): one session, then exit.

How ``--input`` speaks: the whole file is one user turn. Turn detection is switched off and
the turn ends explicitly (commit, then a response is requested), so a file with pauses is
still one turn, whatever the server's VAD would make of it; 300 ms of silence go after the
file so that audio still in flight when the commit is sent (WebRTC) loses only silence. The
audio is sent as fast as the transport takes it: with turn detection off nothing listens in
real time, so pacing would only add the file's length to the wait. (The WebRTC transport
plays it out in real time on its track anyway: that is what a track is.)

Every failure the user can fix is one line on stderr (the key redacted) and exit status 1;
Ctrl-C ends a ``--mic`` session with 0 and interrupts an ``--input`` turn with 130. Either way
the session is closed and its tasks cancelled before the command returns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from .agent import RealtimeAgent
from .cli_talk_audio import ReplyWriter, check_microphone, check_writable, read_pcm16
from .cli_talk_errors import ConnectionGone, TalkError
from .cli_talk_watch import Conversation
from .errors import RealtimeAgentsError, TransportNotFoundError, UserError
from .install import install_hint
from .protocol.connection import redact
from .session import RealtimeSession

if TYPE_CHECKING:
    from .plugins import PluginHost
    from .transport import RealtimeTransportLayer

__all__ = ["INTERRUPTED", "TRANSCRIPTION_MODEL", "endpoint_for", "main"]

PREFIX: Final = "realtime-agents talk"
#: Transcription of the user's speech (the API's cheapest transcription model).
TRANSCRIPTION_MODEL: Final = "gpt-4o-mini-transcribe"
_TRAILING_SILENCE: Final = bytes(24_000 * 2 * 3 // 10)  # 300 ms of PCM16 24 kHz
_CHUNK: Final = 24_000 * 2  # one second of audio per append
#: The WebRTC transport's device options, by ``--mic``: the microphone is required (checked
#: first), the speaker used when there is one (the reply may go to --output only); a file turn
#: uses neither, and its reply arrives as ``audio`` events, as over WebSocket.
_OPTIONS: Final[dict[bool, dict[str, bool | None]]] = {
    True: {"microphone": True, "speaker": None},
    False: {"microphone": False, "speaker": False},
}
#: Exit status after Ctrl-C in the middle of an --input turn (128 + SIGINT, as shells do).
INTERRUPTED: Final = 130


def main(args: argparse.Namespace, host: PluginHost) -> int:
    """Run ``talk`` with the options :class:`~.cli_talk.TalkCommand` declared; the exit status."""
    api_key = os.environ.get("OPENAI_API_KEY")
    try:
        if not api_key:
            raise TalkError(
                "OPENAI_API_KEY is not set: set it to your OpenAI API key "
                "(any sk-... key for the emulator)"
            )
        return asyncio.run(_until_signal(_talk(args, host, api_key), args.mic))
    except TalkError as exc:
        _fail(str(exc), api_key)
    except KeyboardInterrupt:  # before the event loop took over SIGINT
        return INTERRUPTED
    except Exception as exc:  # the transports' errors: RealtimeAgentsError, OSError, ...
        _fail(_describe(exc), api_key)
    return 1


def _fail(message: str, api_key: str | None) -> None:
    print(f"{PREFIX}: {redact(message, api_key)}", file=sys.stderr)


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, RealtimeAgentsError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _until_signal(work: Coroutine[Any, Any, int], mic: bool) -> int:
    """Run ``work`` until it ends, or until SIGINT/SIGTERM cancels it (its session closes).

    Stopping is how a ``--mic`` session ends (exit 0); it interrupts an ``--input`` turn (130).
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    restore = _on_signals(lambda: loop.call_soon_threadsafe(stop.set))
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        restore()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return 0 if mic else INTERRUPTED


def _on_signals(handler: Callable[[], object]) -> Callable[[], None]:
    """Call ``handler`` on SIGINT and SIGTERM; returns what restores the previous handlers.

    A Python-level handler (as ``asyncio.run``'s own for SIGINT), not
    ``loop.add_signal_handler``: that one learns of a signal from a byte written to the loop's
    self-pipe, and a byte is lost when the pipe is full, as when a microphone's thread posts
    chunks faster than the loop reads them. Ctrl-C must never be lost.
    """
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.getsignal(signum) for signum in signals}
    for signum in signals:
        signal.signal(signum, lambda _signum, _frame: handler())

    def restore() -> None:
        for signum, before in previous.items():
            signal.signal(signum, before)

    return restore


async def _talk(args: argparse.Namespace, host: PluginHost, api_key: str) -> int:
    pcm = None if args.mic else read_pcm16(args.input)
    if args.output is not None:
        check_writable(args.output)
    name = args.transport or _default_transport(host)
    if args.mic:
        _check_mic_transport(host, name)
        check_microphone()
    url = endpoint_for(name, args.url)
    session = _session(args, host, _transport(host, name, mic=args.mic), pcm is None)
    writer = ReplyWriter(args.output)
    try:
        return await _converse(session, args, writer, api_key, name, url, pcm)
    finally:
        writer.close()


async def _converse(
    session: RealtimeSession[Any],
    args: argparse.Namespace,
    writer: ReplyWriter,
    api_key: str,
    name: str,
    url: str | None,
    pcm: bytes | None,
) -> int:
    out = _Stdout()
    conversation = Conversation(
        session, out.write, writer, lambda line: _fail(f"error: {line}", api_key), api_key
    )
    async with session:
        try:
            await session.connect(api_key=api_key, url=url)
        except Exception:
            if conversation.errors:  # the server said why in an error event, already printed
                return 1
            raise
        where = (url or "").split("?")[0] or os.environ.get("OPENAI_BASE_URL") or "OpenAI"
        out.write(f"talking to {where} over {name}, model {args.model}\n")
        try:
            if pcm is None:
                out.write("listening: speak; Ctrl-C to stop\n")
                await conversation.wait_gone()
            await _say(session, pcm)
            await conversation.wait_reply(args.timeout)
        except ConnectionGone:
            if conversation.errors:  # the line that says why is printed
                return 1
            raise
        finally:
            conversation.close()
    if args.output is not None and writer.bytes:
        out.write(f"saved {writer.seconds:.1f} s of reply audio to {args.output}\n")
    return 0


async def _say(session: RealtimeSession[Any], pcm: bytes) -> None:
    """Send ``pcm`` as one user turn, end it, and ask for the reply (see the module docstring)."""
    audio = pcm + _TRAILING_SILENCE
    for start in range(0, len(audio), _CHUNK):
        last = start + _CHUNK >= len(audio)
        await session.send_audio(audio[start : start + _CHUNK], commit=last)
    await session.transport.request_response()


class _Stdout:
    """Standard output that goes quiet once its reader went away (``| head``)."""

    def __init__(self) -> None:
        self._gone = False

    def write(self, text: str) -> None:
        if self._gone:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            self._gone = True
            # So that the interpreter's last flush at exit does not fail on the pipe too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _default_transport(host: PluginHost) -> str:
    try:
        return host.default_transport_name()
    except TransportNotFoundError as exc:
        raise TalkError(_not_found(exc)) from None


def _check_mic_transport(host: PluginHost, name: str) -> None:
    """TalkError unless ``name`` is the WebRTC transport, the one that records and plays."""
    if name == "webrtc":
        return
    if "webrtc" not in host.transports:
        hint = install_hint("realtime-agents-webrtc", "audio")
        raise TalkError(f"--mic needs the webrtc transport, which is not installed; {hint}")
    raise TalkError(f"--mic needs the webrtc transport (it records and plays), not {name}")


def _transport(host: PluginHost, name: str, *, mic: bool) -> RealtimeTransportLayer:
    """A new transport ``name``; over WebRTC the system devices only with ``--mic``."""
    factory = host.transports.get(name)
    try:
        if factory is None:
            return host.create_transport(name)  # raises, listing what is installed
        return factory(**_OPTIONS[mic]) if name == "webrtc" else factory()
    except TransportNotFoundError as exc:
        raise TalkError(_not_found(exc)) from None
    except (TypeError, UserError) as exc:  # e.g. a transport that needs a phone call
        raise TalkError(f"the {name} transport cannot be used by talk: {exc}") from None


def _not_found(exc: Any) -> str:
    if exc.package:
        return f"the {exc.name} transport is not installed; {install_hint(exc.package)}"
    installed = ", ".join(exc.installed) or "none"
    return f"unknown transport {exc.name!r}; installed transports: {installed}"


def _session(
    args: argparse.Namespace, host: PluginHost, transport: RealtimeTransportLayer, vad: bool
) -> RealtimeSession[Any]:
    agent: RealtimeAgent[Any] = RealtimeAgent(
        name="Assistant", instructions=args.instructions, voice=args.voice
    )
    audio_input: dict[str, Any] = {"transcription": {"model": TRANSCRIPTION_MODEL}}
    if not vad:
        audio_input["turn_detection"] = None  # the file's end ends the turn (module docstring)
    return RealtimeSession(
        agent,
        transport=transport,
        model=args.model,
        config={"audio": {"input": audio_input}},
        plugin_host=host,
    )


def endpoint_for(transport: str, url: str | None) -> str | None:
    """``url`` in the form ``transport`` connects to: the WebSocket transport's
    ``ws(s)://…/realtime``, the WebRTC transport's ``http(s)://…/realtime/calls``.

    So either address of the emulator's banner works with either transport. Other transports'
    URLs are kept as they are. TalkError for a URL that is not one.
    """
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss", "http", "https") or not parts.netloc:
        raise TalkError(f"--url must be a ws://, wss://, http:// or https:// URL, not {url!r}")
    try:  # a name no resolver can look up fails here, without asking one
        (parts.hostname or "").encode("idna")
    except UnicodeError as exc:
        raise TalkError(f"cannot resolve the host of {url}: {exc}") from None
    secure = parts.scheme in ("wss", "https")
    path = parts.path.rstrip("/")
    if transport == "webrtc" and parts.scheme in ("ws", "wss"):
        calls = path if path.endswith("/calls") else f"{path}/calls"
        return urlunsplit(("https" if secure else "http", parts.netloc, calls, "", ""))
    if transport == "websocket" and parts.scheme in ("http", "https"):
        path = path.removesuffix("/calls")
        return urlunsplit(("wss" if secure else "ws", parts.netloc, path, parts.query, ""))
    return url

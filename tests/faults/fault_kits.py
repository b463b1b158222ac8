"""Transports under the fault matrix: one kit per transport (and backend), each with a real peer.

A kit builds its transport against a running emulator, with the knobs the matrix turns
(keepalive timings, the frame size limit) spelled the way that transport spells them. Adding a
transport to the matrix (WebRTC, SIP, Cloudflare, ...) is adding a kit to :data:`KITS`; every
case in ``test_fault_matrix.py`` then runs on it.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any, ClassVar

from by_path import import_by_path

from realtime_agents.transport import RealtimeTransportLayer
from realtime_agents_emulator import Emulator

#: The tests folder (helpers of other test folders are imported by path).
TESTS = Path(__file__).resolve().parents[1]

MODEL = "gpt-realtime"


class Kit(abc.ABC):
    """How the matrix builds one transport and reaches the peer at the other end."""

    name: ClassVar[str]
    #: Cases that cannot apply to this transport, by case id (the test's name, plus
    #: ``[param]`` for one parameter of it), with the reason. They are deselected (see
    #: ``conftest.py``), and a test checks each names a real case and says why.
    not_applicable: ClassVar[dict[str, str]] = {}

    #: Options of the emulator the matrix starts for this kit (e.g. a SIP edge).
    emulator_options: ClassVar[dict[str, Any]] = {}

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    @abc.abstractmethod
    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        """A new transport for the emulator: ``keepalive`` is (interval, timeout) in seconds."""

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments of ``transport.connect`` (the key is added by the matrix)."""
        return {}

    def peer(self) -> Any:
        """The emulator's side of the newest connection (a ``ServerConnection``)."""
        return self.emulator.connections[-1]

    async def wait_for_peer(self, timeout: float = 5.0) -> Any:
        """The emulator's side of the next connection, once it has arrived."""
        return await self.emulator.wait_for_connection(timeout=timeout)

    def close(self) -> None:
        """Release what the kit opened besides the emulator (after the emulator stopped)."""
        return  # most kits open nothing else


def websocket_options(
    keepalive: tuple[float, float] | None, max_frame: int | None, close_timeout: float | None
) -> dict[str, Any]:
    """A case's keepalive, frame limit and close timeout as the WebSocket transport's options
    (the SIP and Twilio transports are WebSocket transports too); only those the case sets."""
    options: dict[str, Any] = {}
    if keepalive is not None:
        options["ping_interval"], options["ping_timeout"] = keepalive
    if max_frame is not None:
        options["max_size"] = max_frame
    if close_timeout is not None:
        options["close_timeout"] = close_timeout
    return options


class WebSocketKit(Kit):
    """``OpenAIRealtimeWebSocket`` with one of its two channel backends."""

    backend: ClassVar[str]

    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        from realtime_agents_websocket import OpenAIRealtimeWebSocket

        options = websocket_options(keepalive, max_frame, close_timeout)
        options["backend"] = self.backend
        return OpenAIRealtimeWebSocket(url=f"{self.emulator.ws_url}?model={MODEL}", **options)


class SansIOWebSocketKit(WebSocketKit):
    name = "websocket"
    backend = "sansio"


class WebsocketsWebSocketKit(WebSocketKit):
    name = "websocket-websockets"
    backend = "websockets"


class WebRTCKit(Kit):
    """``OpenAIRealtimeWebRTC`` against the emulator's WebRTC endpoint (aiortc both sides).

    The knobs, WebRTC's way: ``keepalive`` is the media watchdog (a call's track carries a
    frame every 20 ms, silence between replies, so only the timeout matters: the transport's
    ``disconnect_grace``); ``max_frame`` is ``max_message_size`` on the data channel. The
    peer is the emulator's ``RtcCall``, which offers the same fault methods as a
    ``ServerConnection``.
    """

    name = "webrtc"
    #: A dropped call is noticed by its silent track; short, so drop cases end quickly.
    grace = 0.5
    not_applicable: ClassVar[dict[str, str]] = {
        "test_peer_drops_mid_response[close-1011]": (
            "a WebRTC call has no close codes: a server that ends the call with a goodbye has "
            "hung up (a normal end); the abrupt ends (tcp-close and tcp-reset: the call drops "
            "without a goodbye) run here"
        ),
    }

    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        from realtime_agents_webrtc import OpenAIRealtimeWebRTC

        options: dict[str, Any] = {"disconnect_grace": keepalive[1] if keepalive else self.grace}
        if max_frame is not None:
            options["max_message_size"] = max_frame
        if close_timeout is not None:
            options["close_timeout"] = close_timeout
        return OpenAIRealtimeWebRTC(
            base_url=f"{self.emulator.base_url}/realtime/calls",
            microphone=False,
            speaker=False,
            **options,
        )

    def peer(self) -> Any:
        return self.emulator.calls[-1]

    async def wait_for_peer(self, timeout: float = 5.0) -> Any:
        return await self.emulator.wait_for_call(timeout=timeout)


class CloudflareKit(Kit):
    """``CloudflareRealtimeTransportLayer`` in CPython: its ``fetch`` reproduces workerd's socket
    semantics over real sockets to the emulator (``tests/cloudflare/cf_fetch.py``, held to real
    workerd's behaviour by ``tests/cloudflare/test_cf_probe.py``). The knobs do not exist in a
    Worker: workerd keeps the connection alive and bounds message sizes itself, and closing is
    one synchronous call, so every knob is ignored and the cases that need one are listed.
    """

    name = "cloudflare"
    not_applicable: ClassVar[dict[str, str]] = {
        "test_a_frame_over_the_size_limit_closes_with_1009": (
            "a Worker's transport has no frame size limit of its own: workerd enforces its "
            "limit on incoming messages before any Python sees them"
        ),
        "test_a_dead_peer_is_noticed_by_keepalive": (
            "a Worker's WebSocket has no ping API: keeping the connection alive is workerd's "
            "job, not the transport's"
        ),
    }

    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        from realtime_agents_cloudflare import CloudflareRealtimeTransportLayer

        fetch = _workerd_fetch_module().WorkerdFetch()
        return CloudflareRealtimeTransportLayer(
            url=f"{self.emulator.ws_url}?model={MODEL}", fetch=fetch
        )


def _workerd_fetch_module() -> Any:
    """``tests/cloudflare/cf_fetch.py`` (test folders are not packages)."""
    return import_by_path("cf_fetch", TESTS / "cloudflare" / "cf_fetch.py")


class SIPKit(Kit):
    """``OpenAIRealtimeSIP`` attached to live calls on the emulator's SIP edge.

    Every connection attaches to a call of its own: connecting without a ``call_id`` (as the
    matrix's sessions do) first places one from an in-process SIP phone
    (``tests/sip_helpers.Caller``) and accepts it with the official client, with the key the
    connection uses. The peer is the call's sideband connection (a ``ServerConnection``, so
    every fault of the emulator applies); the knobs are the WebSocket transport's.
    """

    name = "sip"
    emulator_options: ClassVar[dict[str, Any]] = {"sip_port": 0}
    not_applicable: ClassVar[dict[str, str]] = {
        "test_a_burst_of_small_audio_deltas_is_delivered_whole": (
            "a SIP call's replies are spoken into the phone line, never sent as audio deltas: "
            "the transport attached to a call publishes no audio events at all"
        ),
        "test_an_unread_event_stream_stays_within_its_bound": (
            "the bound is measured in assistant audio, which a SIP call never carries on this "
            "connection (the reply is spoken into the phone line)"
        ),
    }

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        self.callers: list[Any] = []

    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        options = websocket_options(keepalive, max_frame, close_timeout)
        return _attached_sip_class()(self, url=self.emulator.ws_url, **options)

    async def new_call(self, api_key: str) -> str:
        """Place a call, accept it as an application does; its ``call_id``."""
        from openai import AsyncOpenAI
        from sip_helpers import Caller  # tests/: on sys.path through its conftest

        sip = self.emulator.sip
        assert sip is not None
        caller = await Caller.dial(sip.port)
        self.callers.append(caller)
        await caller.ringing()
        call_id = str(sip.calls[-1].call_id)
        async with AsyncOpenAI(
            api_key=api_key, base_url=self.emulator.base_url, max_retries=0
        ) as client:
            await client.realtime.calls.accept(call_id, type="realtime", model=MODEL)
        await caller.answered()
        return call_id

    def close(self) -> None:
        for caller in self.callers:
            caller.close()


def _attached_sip_class() -> type[Any]:
    """``OpenAIRealtimeSIP`` that, connected without a ``call_id``, attaches to a new call of
    its kit (built on first use: the SIP plugin is imported only when its kit runs)."""
    import attrs

    from realtime_agents.transport import ConnectOptions
    from realtime_agents_sip import OpenAIRealtimeSIP

    class AttachedSIP(OpenAIRealtimeSIP):
        def __init__(self, kit: SIPKit, **options: Any) -> None:
            super().__init__(**options)
            self._kit = kit

        async def connect(self, options: ConnectOptions | None = None, **kwargs: Any) -> None:
            options = options or ConnectOptions(**kwargs)
            if options.call_id is None:
                assert isinstance(options.api_key, str), "the matrix connects with a str key"
                call_id = await self._kit.new_call(options.api_key)
                options = attrs.evolve(options, call_id=call_id)
            await super().connect(options)

    return AttachedSIP


class TwilioKit(Kit):
    """``TwilioRealtimeTransportLayer``, each transport bridging a call of its own.

    A Twilio double (``TwilioMediaStreamPeer``) dials a websockets server per transport
    (``tests/twilio/twilio_lines.py``); the transport is the default one (closing it ends the
    call) and hangs its line up when it closes. The peer and the knobs are the WebSocket
    transport's: the Realtime side is that transport.
    """

    name = "twilio"
    not_applicable: ClassVar[dict[str, str]] = {
        "test_an_unread_event_stream_stays_within_its_bound": (
            "the case sizes its 64 KB bound for PCM16 24 kHz (144 KB in its 3 s reply); a "
            "Twilio call's reply is µ-law 8 kHz, 24 KB for those 3 s, so it never reaches it"
        ),
    }

    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        options = websocket_options(keepalive, max_frame, close_timeout)
        line = _twilio_lines().TwilioLine()
        return _lined_twilio_class()(line, url=f"{self.emulator.ws_url}?model={MODEL}", **options)


def _twilio_lines() -> Any:
    """``tests/twilio/twilio_lines.py`` (test folders are not packages)."""
    return import_by_path("twilio_lines", TESTS / "twilio" / "twilio_lines.py")


def _lined_twilio_class() -> type[Any]:
    """``TwilioRealtimeTransportLayer`` that hangs its test line up once closed (built on first
    use: the Twilio plugin is imported only when its kit runs)."""
    from realtime_agents_twilio import TwilioRealtimeTransportLayer

    class LinedTwilio(TwilioRealtimeTransportLayer):
        def __init__(self, line: Any, **options: Any) -> None:
            super().__init__(twilio_websocket=line.socket, **options)
            self._line = line

        async def close(self) -> None:
            await super().close()
            await self._line.close()

    return LinedTwilio


def not_applicable_reason(kit: type[Kit], test: str, callspec_id: str) -> str | None:
    """Why ``test`` (its function name) with ``callspec_id`` does not run on ``kit``, if so."""
    case = callspec_id.removeprefix(kit.name).lstrip("-")
    return kit.not_applicable.get(f"{test}[{case}]" if case else test)


#: Every transport of this repository with a real peer; the matrix runs each case on each.
KITS: list[type[Kit]] = [
    SansIOWebSocketKit,
    WebsocketsWebSocketKit,
    WebRTCKit,
    CloudflareKit,
    SIPKit,
    TwilioKit,
]

"""Transports under the fault matrix: one kit per transport (and backend), each with a real peer.

A kit builds its transport against a running emulator, with the knobs the matrix turns
(keepalive timings, the frame size limit) spelled the way that transport spells them. Adding a
transport to the matrix (WebRTC, SIP, Cloudflare, ...) is adding a kit to :data:`KITS`; every
case in ``test_fault_matrix.py`` then runs on it.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from realtime_agents.transport import RealtimeTransportLayer
from realtime_agents_emulator import Emulator

MODEL = "gpt-realtime"


class Kit(abc.ABC):
    """How the matrix builds one transport and reaches the peer at the other end."""

    name: ClassVar[str]
    #: Cases that cannot apply to this transport, by case id (the test's name, plus
    #: ``[param]`` for one parameter of it), with the reason. They are deselected (see
    #: ``conftest.py``), and a test checks each names a real case and says why.
    not_applicable: ClassVar[dict[str, str]] = {}

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

        options: dict[str, Any] = {"backend": self.backend}
        if keepalive is not None:
            options["ping_interval"], options["ping_timeout"] = keepalive
        if max_frame is not None:
            options["max_size"] = max_frame
        if close_timeout is not None:
            options["close_timeout"] = close_timeout
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
    """``tests/cloudflare/cf_fetch.py``, imported by path (test folders are not packages)."""
    import importlib.util
    import sys
    from pathlib import Path

    module = sys.modules.get("cf_fetch")
    if module is None:
        path = Path(__file__).resolve().parents[1] / "cloudflare" / "cf_fetch.py"
        spec = importlib.util.spec_from_file_location("cf_fetch", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["cf_fetch"] = module
        spec.loader.exec_module(module)
    return module


def not_applicable_reason(kit: type[Kit], test: str, callspec_id: str) -> str | None:
    """Why ``test`` (its function name) with ``callspec_id`` does not run on ``kit``, if so."""
    case = callspec_id.removeprefix(kit.name).lstrip("-")
    return kit.not_applicable.get(f"{test}[{case}]" if case else test)


#: Every transport of this repository with a real peer; the matrix runs each case on each.
KITS: list[type[Kit]] = [SansIOWebSocketKit, WebsocketsWebSocketKit, WebRTCKit, CloudflareKit]

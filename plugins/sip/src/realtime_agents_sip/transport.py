"""``OpenAIRealtimeSIP``: a session attached to a SIP call, over the WebSocket transport.

On a SIP call the audio travels in the call itself (RTP between the caller's provider and
OpenAI). The connection this transport opens, ``wss://…/v1/realtime?call_id=…``, carries only
events, so it differs from :class:`~realtime_agents_websocket.OpenAIRealtimeWebSocket` in three
ways, all decided by the shared driver's class attributes:

* the *track* media mode: the server owns playback, so :meth:`interrupt` is
  ``response.cancel`` (while a response is ongoing) and ``output_audio_buffer.clear``, never
  a truncate; ``audio_interrupted`` is still published;
* no audio formats in any ``session.update``: the codec was negotiated in SIP, and a format
  sent here would override G.711 (static on the line);
* :meth:`send_audio` is refused, and :meth:`connect` needs the ``call_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

from realtime_agents.agent import RealtimeAgent
from realtime_agents.config import RealtimeSessionConfig
from realtime_agents.driver.handshake import realtime_url_from_base
from realtime_agents.errors import UserError
from realtime_agents.protocol import MediaMode
from realtime_agents.transport import ApiKey, ConnectOptions
from realtime_agents_websocket import OpenAIRealtimeWebSocket

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["REFUSED_TURN_DETECTION_FIELDS", "OpenAIRealtimeSIP"]

#: Turn-detection fields ``calls.accept`` refuses (wire names; camelCase is converted first).
REFUSED_TURN_DETECTION_FIELDS: Final = ("threshold", "prefix_padding_ms", "silence_duration_ms")


class OpenAIRealtimeSIP(OpenAIRealtimeWebSocket):
    """The OpenAI Realtime API for one SIP call: attach with ``connect(call_id=...)``.

    Takes every argument of :class:`~realtime_agents_websocket.OpenAIRealtimeWebSocket`.
    Any worker can attach to any accepted call by its id, so calls scale across machines.
    """

    media: ClassVar[MediaMode] = "track"
    sends_audio_formats: ClassVar[bool] = False

    @classmethod
    def from_client(cls, client: AsyncOpenAI, **options: Any) -> OpenAIRealtimeSIP:
        """A transport reaching the same API as ``client`` (the one that accepted the call).

        Its URL is the client's ``websocket_base_url`` or ``base_url`` (so a proxy, the local
        emulator or ``OPENAI_BASE_URL`` as the client read it apply to the call's events too)
        with ``/realtime`` appended, and its default key the client's. ``options`` are the
        other arguments of :class:`OpenAIRealtimeSIP`.
        """
        base = str(client.websocket_base_url or client.base_url)
        options.setdefault("api_key", client.api_key)
        return cls(url=realtime_url_from_base(base), **options)

    async def connect(
        self,
        options: ConnectOptions | None = None,
        *,
        api_key: ApiKey | None = None,
        model: str | None = None,
        url: str | None = None,
        call_id: str | None = None,
        initial_session_config: RealtimeSessionConfig | None = None,
    ) -> None:
        """Attach to the call ``call_id`` (the id of the ``realtime.call.incoming`` webhook).

        Raises UserError without a ``call_id``; otherwise as the WebSocket transport.
        """
        chosen = options.call_id if options is not None else call_id
        if not chosen:
            raise UserError(
                "OpenAIRealtimeSIP.connect needs call_id=...: the id of the call, from the "
                "realtime.call.incoming webhook, that you accepted with calls.accept"
            )
        await super().connect(
            options,
            api_key=api_key,
            model=model,
            url=url,
            call_id=call_id,
            initial_session_config=initial_session_config,
        )

    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        """Refused: on a SIP call the caller's audio flows in the call, not over this socket."""
        raise UserError(
            "OpenAIRealtimeSIP cannot send audio: the caller's audio flows in the SIP call "
            "itself; this connection carries events only"
        )

    @classmethod
    async def build_initial_config(
        cls,
        agent: RealtimeAgent[Any],
        session_options: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ``session`` a ``RealtimeSession(agent, **session_options)`` would send on connect.

        Pass it as the body of ``calls.accept`` (``client.realtime.calls.accept(call_id,
        **payload)``), then attach a session built with the same agent and options: the call
        and the session start from one config. ``session_options`` are keyword arguments of
        :class:`~realtime_agents.RealtimeSession` (``model``, ``config``, ``context``, ...);
        ``overrides`` are merged over the computed config. Never contains audio formats.

        Raises UserError if the turn detection sets a field the Calls API refuses
        (:data:`REFUSED_TURN_DETECTION_FIELDS`, in camelCase or snake_case).
        """
        from realtime_agents.session import RealtimeSession

        options = dict(session_options or {})
        if "transport" in options:
            raise UserError("session_options must not name a transport: the call is SIP")
        session = RealtimeSession(agent, transport=cls(), **options)
        try:
            payload = await session.get_initial_session_payload(overrides)
        finally:
            await session.close()
        detection = payload.get("audio", {}).get("input", {}).get("turn_detection") or {}
        refused = [name for name in REFUSED_TURN_DETECTION_FIELDS if name in detection]
        if refused:
            raise UserError(
                f"calls.accept refuses turn_detection fields {', '.join(refused)}: leave them "
                "out of the config you accept a SIP call with (the server's defaults apply)"
            )
        return payload

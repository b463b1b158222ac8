"""Checks every test that runs the emulator applies: its events are real Realtime API events.

The truth is the official client's models (``openai.types.realtime``), not our own reading of
the protocol.
"""

from __future__ import annotations

from typing import Annotated, Any, Union, get_args

from openai.types.realtime import RealtimeServerEvent
from pydantic import Field, TypeAdapter

from realtime_agents_emulator import Emulator


def _tagged(alias: Any) -> TypeAdapter[Any]:
    # The SDK alias carries PropertyInfo(discriminator=...), which pydantic ignores; rebuild the
    # union with a real discriminator (reference §3.4).
    members = get_args(get_args(alias)[0])
    return TypeAdapter(Annotated[Union[members], Field(discriminator="type")])  # noqa: UP007


SERVER_EVENT = _tagged(RealtimeServerEvent)


def validate_server_events(events: list[dict[str, Any]]) -> None:
    """Every event must validate against ``openai.types.realtime``'s server-event union."""
    for index, event in enumerate(events):
        try:
            SERVER_EVENT.validate_python(event)
        except Exception as exc:
            kind = event.get("type")
            raise AssertionError(f"server event {index} ({kind}) invalid: {exc}") from exc


def check_emulator(emu: Emulator) -> None:
    """Validate every server event of every connection and every WebRTC call (what went out on
    its data channel; its sideband connections are among the connections); the emulator must
    not have crashed."""
    for conn in emu.connections:
        validate_server_events(conn.server_events)
    for call in emu.calls:
        validate_server_events(call.server_events)
        kinds = {event.get("type") for event in call.server_events}
        assert "response.output_audio.delta" not in kinds, "a call's audio goes on its track"
    assert emu.crashes == []

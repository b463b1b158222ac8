"""The error catalogue: every ``error`` the emulator sends, in the real server's shapes.

Codes and messages come from reference §7 where they were observed. Where the reference has no
observation the emulator picks a plausible code, listed as "emulator-chosen" in the README.
``RealtimeError`` is raised inside the server and turned into an ``error`` event at the edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RealtimeError"]


@dataclass(eq=False)
class RealtimeError(Exception):
    """An error the server reports to the client (``error.{type,code,message,param}``).

    Not frozen: Python assigns ``__traceback__`` on exceptions, which frozen dataclasses forbid.
    """

    message: str
    code: str | None = None
    param: str | None = None
    type: str = "invalid_request_error"

    def payload(self, client_event_id: str | None) -> dict[str, object]:
        """The inner ``error`` object; ``event_id`` echoes the offending client event's id."""
        return {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "event_id": client_event_id,
        }

    # -- schema validation ------------------------------------------------------------------

    @classmethod
    def unknown_parameter(cls, path: str) -> RealtimeError:
        return cls(f"Unknown parameter: '{path}'.", "unknown_parameter", path)

    @classmethod
    def missing_parameter(cls, path: str) -> RealtimeError:
        return cls(f"Missing required parameter: '{path}'.", "missing_required_parameter", path)

    @classmethod
    def invalid_type(cls, path: str, expected: str, value: object) -> RealtimeError:
        got = json_type_name(value)
        message = f"Invalid type for '{path}': expected {expected}, but got {got} instead."
        return cls(message, "invalid_type", path)

    @classmethod
    def invalid_value(cls, path: str, value: object, supported: Sequence[str]) -> RealtimeError:
        return cls(
            f"Invalid value: '{value}'. Supported values are: {_english_list(supported)}.",
            "invalid_value",
            path,
        )

    @classmethod
    def invalid(cls, path: str, message: str) -> RealtimeError:
        """A free-form ``invalid_value`` error for checks no schema keyword expresses."""
        return cls(message, "invalid_value", path)

    @classmethod
    def below_min(cls, path: str, minimum: float, value: float, integer: bool) -> RealtimeError:
        kind = "integer" if integer else "decimal"
        message = (
            f"Invalid '{path}': {kind} below minimum value. "
            f"Expected a value >= {minimum}, but got {value} instead."
        )
        return cls(message, f"{kind}_below_min_value", path)

    @classmethod
    def above_max(cls, path: str, maximum: float, value: float, integer: bool) -> RealtimeError:
        kind = "integer" if integer else "decimal"
        message = (
            f"Invalid '{path}': {kind} above maximum value. "
            f"Expected a value <= {maximum}, but got {value} instead."
        )
        return cls(message, f"{kind}_above_max_value", path)

    @classmethod
    def not_finite(cls, path: str, value: float) -> RealtimeError:
        """``NaN`` or ``Infinity``: Python's JSON reads them, the API's JSON has no such numbers."""
        spelled = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        message = f"Invalid '{path}': expected a finite number, but got {spelled} instead."
        return cls(message, "invalid_value", path)

    @classmethod
    def array_too_long(cls, path: str, maximum: int, length: int) -> RealtimeError:
        message = (
            f"Invalid '{path}': array too long. "
            f"Expected an array with maximum length {maximum}, but got an array with length "
            f"{length} instead."
        )
        return cls(message, "array_above_max_length", path)

    # -- frames -----------------------------------------------------------------------------

    @classmethod
    def invalid_json(cls, detail: str) -> RealtimeError:
        return cls(f"Invalid JSON in client event: {detail}", "invalid_json")

    @classmethod
    def binary_frame(cls) -> RealtimeError:
        return cls(
            "Expected a text WebSocket message; binary frames are not supported.", "invalid_event"
        )

    @classmethod
    def not_an_object(cls) -> RealtimeError:
        return cls("Expected the client event to be a JSON object.", "invalid_event")

    # -- conversation and responses ---------------------------------------------------------

    @classmethod
    def active_response(cls, response_id: str) -> RealtimeError:
        return cls(
            f"Conversation already has an active response in progress: {response_id}. "
            "Wait until the response is finished before creating a new one.",
            "conversation_already_has_active_response",
        )

    @classmethod
    def cancel_not_active(cls) -> RealtimeError:
        return cls("Cancellation failed: no active response found", "response_cancel_not_active")

    @classmethod
    def commit_too_small(cls, buffered_ms: float) -> RealtimeError:
        return cls(
            "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
            f"audio, but buffer only has {buffered_ms:.2f}ms of audio.",
            "input_audio_buffer_commit_empty",
        )

    @classmethod
    def truncate_too_long(cls, actual_ms: int, requested_ms: int) -> RealtimeError:
        # Observed with code null (reference §7, §12).
        return cls(
            f"Audio content of {actual_ms}ms is already shorter than {requested_ms}ms",
            None,
            "audio_end_ms",
        )

    @classmethod
    def item_not_found(cls, param: str, item_id: str) -> RealtimeError:
        return cls(f"Item with item_id not found: {item_id}", "item_not_found", param)

    @classmethod
    def server_error(cls, message: str | None = None, code: str | None = None) -> RealtimeError:
        text = message or (
            "The server had an error while processing your request. Sorry about that! "
            "You can retry your request, or contact us through our help center if the error "
            "persists."
        )
        return cls(text, code, None, "server_error")

    @classmethod
    def session_expired(cls) -> RealtimeError:
        return cls("Your session hit the maximum duration of 60 minutes.", "session_expired")

    # -- connection admission (followed by a close) -----------------------------------------

    @classmethod
    def invalid_api_key(cls, masked_key: str) -> RealtimeError:
        return cls(
            f"Incorrect API key provided: {masked_key}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_api_key",
        )

    @classmethod
    def missing_api_key(cls) -> RealtimeError:
        return cls("Missing bearer or basic authentication in header", None)

    @classmethod
    def missing_model(cls) -> RealtimeError:
        return cls(
            "You must provide a model parameter, for example "
            "wss://api.openai.com/v1/realtime?model=gpt-realtime",
            "missing_model",
            "model",
        )

    @classmethod
    def invalid_model(cls, model: str) -> RealtimeError:
        return cls(
            f"Invalid model: '{model}'. The model does not exist or is not supported by the "
            "Realtime API.",
            "invalid_model",
            "model",
        )

    @classmethod
    def beta_shape_disabled(cls) -> RealtimeError:
        return cls(
            "The Realtime API beta shape is disabled: remove the 'OpenAI-Beta: realtime=v1' "
            "header (or subprotocol) to use the GA interface.",
            "beta_api_shape_disabled",
        )

    @classmethod
    def call_not_found(cls, call_id: str) -> RealtimeError:
        return cls(f"Call not found: '{call_id}'.", "call_not_found", "call_id")


def json_type_name(value: object) -> str:
    """How the API names a JSON value's type in messages ("a string", "an integer", …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "an unknown type"


def _english_list(values: Sequence[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]

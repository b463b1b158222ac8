"""The exception hierarchy of realtime-agents.

Every backend failure (websockets, aiortc, JS) is mapped to one of these at the edge of the
plugin that saw it, so user code catches our types only. Messages never contain API keys.
"""

from __future__ import annotations

__all__ = [
    "ConnectionClosedError",
    "ConnectionFailedError",
    "HandlerError",
    "ModelBehaviorError",
    "NotSupportedError",
    "RealtimeAgentsError",
    "TransportNotFoundError",
    "UserError",
]


class RealtimeAgentsError(Exception):
    """Base class of every error raised by realtime-agents."""


class UserError(RealtimeAgentsError):
    """The library was used in a way it does not support (bad argument, wrong state)."""


class NotSupportedError(UserError):
    """The transport's backend cannot do what was asked (e.g. raw events on a non-OpenAI API)."""


class ModelBehaviorError(RealtimeAgentsError):
    """The model did something the session cannot honour (unknown tool, bad tool arguments)."""


class TransportNotFoundError(UserError, LookupError):
    """No installed transport has the requested name."""

    def __init__(self, name: str, installed: list[str], package: str | None = None) -> None:
        from .install import install_hint  # deferred: only a failed lookup needs the wording

        listed = ", ".join(sorted(installed)) or "none"
        hint = install_hint(package) if package else "install the package that provides it"
        super().__init__(
            f"Unknown transport {name!r}. Installed transports: {listed}. To use {name!r}, {hint}."
        )
        self.name = name
        self.installed = sorted(installed)
        self.package = package


class ConnectionFailedError(RealtimeAgentsError):
    """Connecting failed; ``code`` is the server's close or HTTP status code when known."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class ConnectionClosedError(RealtimeAgentsError):
    """An operation needed an open connection and there was none."""


class HandlerError(RealtimeAgentsError):
    """A user's event handler raised; the original exception is ``__cause__``."""

    def __init__(self, event_name: str, handler: object, exc: BaseException) -> None:
        name = getattr(handler, "__qualname__", repr(handler))
        super().__init__(f"handler {name} for {event_name!r} raised {type(exc).__name__}: {exc}")
        self.event_name = event_name
        self.__cause__ = exc

"""The error of arguments that do not fit a tool, on its own so that raising or catching it
does not import the schema machinery (:mod:`._schema`, pydantic's bridge) with it."""

from __future__ import annotations

from ..errors import RealtimeAgentsError

__all__ = ["ToolArgumentsError"]


class ToolArgumentsError(RealtimeAgentsError, ValueError):
    """The model's arguments do not fit the tool's parameters; the message says where."""

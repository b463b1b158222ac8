"""``BackgroundResult``: a tool result the model gets without being asked to respond.

Only a tool that calls :func:`~realtime_agents.tools.background_result` makes one, so the class
is built on first use rather than at ``from realtime_agents import RealtimeSession`` (an attrs
class compiles its methods when it is created: ≈0.3 ms). The public name is
:mod:`realtime_agents.tools`'s, which imports this module on first access.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["BackgroundResult"]


@attrs.frozen
class BackgroundResult:
    """A tool result sent to the model without asking it to respond (``start_response=False``)."""

    value: Any

"""``ConnectOptions``: what a transport's ``connect`` needs.

Made at each connect, so the class is built at the first one rather than at ``from
realtime_agents import RealtimeSession`` (an attrs class compiles its methods when it is
created: ≈0.3 ms). The public name is :mod:`realtime_agents.transport`'s, which imports this
module on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from .config import RealtimeSessionConfig
    from .transport import ApiKey

__all__ = ["ConnectOptions"]


def _hide(value: object) -> str:
    return "<hidden>" if value is not None else "None"


@attrs.frozen(kw_only=True)
class ConnectOptions:
    """What ``connect`` needs. ``api_key`` never appears in reprs."""

    api_key: ApiKey | None = attrs.field(default=None, repr=_hide)
    model: str | None = None
    url: str | None = None
    call_id: str | None = None
    initial_session_config: RealtimeSessionConfig | None = None

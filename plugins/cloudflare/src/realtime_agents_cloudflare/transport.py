"""``CloudflareRealtimeTransportLayer``: the Realtime API from a Cloudflare (Python) Worker.

Core's :class:`~realtime_agents.driver.OpenAIRealtimeTransport` does everything but move
frames; this class adds only the channel over a ``fetch()`` WebSocket upgrade
(:mod:`._channel`), which is how a Worker opens an outbound socket with an
``Authorization`` header.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from realtime_agents.driver import (
    Auth,
    Channel,
    ChannelRequest,
    OnClose,
    OnFrame,
    OpenAIRealtimeTransport,
)
from realtime_agents.errors import UserError
from realtime_agents.transport import ApiKey

from . import _ffi
from ._channel import Fetch, FetchChannel

__all__ = ["CloudflareRealtimeTransportLayer"]


class CloudflareRealtimeTransportLayer(OpenAIRealtimeTransport):
    """The OpenAI Realtime API over a WebSocket opened with a Worker's ``fetch()``.

    Takes the driver's arguments (``model``, ``api_key``, ``url``, ``headers``, ``auth``,
    ``use_insecure_api_key``, ``ready_timeout``, ``clock``: see
    :class:`~realtime_agents.driver.OpenAIRealtimeTransport`), and:

    Args:
        fetch: ``fetch(url, init)`` returning an awaitable Response whose ``webSocket`` is
            the socket (``js.fetch`` by default, which exists only inside a Worker). Pass
            your own to go through a service binding, or to test outside a Worker.
        open_timeout: bound on the upgrade request, in seconds (None: no bound).

    Keep the session inside one request (or a Durable Object): workerd refuses I/O on a
    socket from a request other than the one that opened it.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        fetch: Fetch | None = None,
        model: str | None = None,
        api_key: ApiKey | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth = "header",
        use_insecure_api_key: bool = False,
        ready_timeout: float | None = 10.0,
        open_timeout: float | None = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            model=model,
            api_key=api_key,
            url=url,
            headers=headers,
            auth=auth,
            use_insecure_api_key=use_insecure_api_key,
            ready_timeout=ready_timeout,
            clock=clock,
        )
        fetch = fetch if fetch is not None else _ffi.js_fetch()
        if fetch is None:
            raise UserError(
                "CloudflareRealtimeTransportLayer needs fetch=... outside a Cloudflare Worker "
                "(there is no global JavaScript fetch here)"
            )
        self._fetch: Fetch = fetch
        self._open_timeout = open_timeout

    def create_channel(
        self, request: ChannelRequest, on_frame: OnFrame, on_close: OnClose
    ) -> Channel:
        """A channel over the socket of a ``fetch()`` upgrade."""
        return FetchChannel(self._fetch, on_frame, on_close, self._open_timeout)

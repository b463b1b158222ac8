"""Accepting a SIP call with the config its session will have, through the official client.

The Realtime Calls API is reached with the official ``openai`` client:
``client.webhooks.unwrap(body, headers)`` verifies a ``realtime.call.incoming`` webhook
(Standard Webhooks: HMAC-SHA256 over ``id.timestamp.body``, several signatures, ±300 s,
constant-time compare) and ``client.realtime.calls.accept|reject|refer|hangup`` control the
call. This module adds only what those do not do: :func:`accept_call` builds the accept body
from the agent exactly as the session attached afterwards will (see
:meth:`OpenAIRealtimeSIP.build_initial_config`), and treats a call that is already gone as
the normal event it is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from realtime_agents.agent import RealtimeAgent

from .transport import OpenAIRealtimeSIP

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["accept_call"]

logger = logging.getLogger("realtime_agents_sip")


async def accept_call(
    client: AsyncOpenAI,
    call_id: str,
    agent: RealtimeAgent[Any],
    *,
    session_options: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Accept ``call_id`` with the session config of ``agent``; the payload sent, or None.

    None means the call no longer exists (the caller hung up while it rang: the API answers
    404), which a webhook handler should take as the end of that call, not as an error.
    Other API errors are raised (``openai.APIError``). Attach the session afterwards with
    the same ``agent`` and ``session_options`` and ``connect(call_id=call_id)``.
    """
    import openai

    payload = await OpenAIRealtimeSIP.build_initial_config(agent, session_options, overrides)
    body = {key: value for key, value in payload.items() if key != "type"}
    try:
        await client.realtime.calls.accept(call_id, type="realtime", extra_body=body)
    except openai.NotFoundError:
        logger.info("call %s is gone: the caller hung up before it was accepted", call_id)
        return None
    return payload

"""What the ``realtime-agents-emulator`` command shows: its banner and its log lines.

Shared by the single-process command (``cli.py``) and the workers of ``--workers N``
(``workers.py``), so that both print the same banner and log in the same shape.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import Emulator

__all__ = ["banner", "configure_logging"]


def configure_logging(level: str, worker: str = "") -> None:
    """Log on stderr at ``level``; ``worker`` (e.g. ``"worker 1"``) tags each line with it and
    the process id, so a line says which worker of ``--workers N`` wrote it."""
    tag = f" [{worker} pid %(process)d]" if worker else ""
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s %(name)s{tag}: %(message)s")
    if logging.getLogger().level > logging.DEBUG:
        # aioice logs every ICE candidate pair of every WebRTC call at INFO: noise beside the
        # emulator's own lines, so shown with --log-level debug only.
        logging.getLogger("aioice").setLevel(logging.WARNING)


def banner(emulator: Emulator, *, keys_given: int = 0, secret_given: bool = False) -> str:
    """What a started emulator prints: where it listens and what to pass to clients.

    The first line is stable (scripts read the port from it). Keys are never printed, nor a
    webhook secret that was given; a generated one is, once: the application needs it.
    """
    keys = (
        f"the {keys_given} given with --api-key"
        if keys_given
        else "any key starting with sk- (e.g. sk-test)"
    )
    return "\n".join(
        (
            f"Realtime API emulator listening on {emulator.url} "
            f"(base_url {emulator.base_url}, speech {emulator.speech_engine})",
            f"  openai client:    AsyncOpenAI(base_url={emulator.base_url!r}, api_key=...)",
            f"  realtime-agents:  await session.connect(url={emulator.ws_url!r}, api_key=...)",
            f"  other clients:    {emulator.ws_url}?model=gpt-realtime",
            f"  API keys:         {keys}",
            *_sip_lines(emulator, secret_given),
            "Press Ctrl-C to stop.",
        )
    )


def _sip_lines(emulator: Emulator, secret_given: bool) -> tuple[str, ...]:
    if emulator.sip is None:
        return ()
    target = emulator.sip.webhook_url or "nowhere (no --webhook-url)"
    secret = "the one given" if secret_given else emulator.webhook_secret
    return (
        f"  SIP (UDP):        {emulator.sip.uri}",
        f"  webhooks:         POST {target}, signed with {secret}",
    )

"""What the emulator logs about each WebSocket connection, with secrets kept out.

Logger ``realtime_agents_emulator.connection``:

* INFO ``connection 3 opened: /v1/realtime?model=gpt-realtime from 127.0.0.1``;
* DEBUG ``connection 3: client event session.update`` (the type only, never the payload);
* INFO ``connection 3: sent error invalid_value (param session.type): <message>``;
* INFO ``connection 3 closed by the client: code 1000 "bye"`` (or ``dropped by the server: TCP
  reset without a close frame`` after a fault).

Headers and subprotocols are never logged: they carry the API key (``Authorization``, or
``openai-insecure-api-key.<key>``). Query parameters whose name suggests a secret, and values
that look like OpenAI keys, are replaced by ``***``; the connection's own key is masked wherever
else it might appear (a close reason, an error message quoting the client's input).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import quote

from .auth import mask_key

__all__ = ["ConnectionLog", "redacted_target"]

log = logging.getLogger("realtime_agents_emulator.connection")

_SECRET_NAME = re.compile(r"key|secret|token|auth|password|signature", re.IGNORECASE)
_KEY_LIKE = re.compile(r"^(sk-|ek_)")
_REDACTED = "***"


def redacted_target(path: str, query: Mapping[str, str]) -> str:
    """``path?query`` as safe to log: secret-looking parameters become ``***``."""
    if not query:
        return path
    pairs = (
        f"{quote(name)}={_REDACTED}"
        if _SECRET_NAME.search(name) or _KEY_LIKE.match(value)
        else f"{quote(name)}={quote(value, safe='/:,')}"
        for name, value in query.items()
    )
    return f"{path}?{'&'.join(pairs)}"


class ConnectionLog:
    """The log lines of connection number ``number`` (1 for the first since the start).

    ``name`` starts each line: ``connection`` for WebSockets, ``call`` for WebRTC calls.
    """

    def __init__(self, number: int, api_key: str | None, name: str = "connection") -> None:
        self.number = number
        self._api_key = api_key
        self._name = name

    def opened(self, path: str, query: Mapping[str, str], peer: str | None) -> None:
        target = self._safe(redacted_target(path, query))
        log.info("%s %d opened: %s from %s", self._name, self.number, target, peer or "?")

    def client_event(self, event_type: object) -> None:
        if log.isEnabledFor(logging.DEBUG):  # one line per audio append: skip the formatting
            kind = self._safe(str(event_type))
            log.debug("%s %d: client event %s", self._name, self.number, kind)

    def error_sent(self, error: Mapping[str, object]) -> None:
        param = f" (param {error.get('param')})" if error.get("param") else ""
        log.info(
            "%s %d: sent error %s%s: %s",
            self._name,
            self.number,
            error.get("code") or error.get("type"),
            self._safe(param),
            self._safe(str(error.get("message"))),
        )

    def closed(self, code: int | None, reason: str, *, by_server: bool) -> None:
        """The end: ``code`` None means TCP ended without a close frame (``reason`` says how)."""
        side = "the server" if by_server else "the client"
        if code is None:
            how = reason or "TCP closed"
            log.info(
                "%s %d dropped by %s: %s without a close frame", self._name, self.number, side, how
            )
            return
        because = f' "{self._safe(reason)}"' if reason else ""
        log.info("%s %d closed by %s: code %d%s", self._name, self.number, side, code, because)

    def ended(self, how: str) -> None:
        """The end of a call (no close codes there): ``call 4 ended: hung up (client)``."""
        log.info("%s %d ended: %s", self._name, self.number, self._safe(how))

    def internal_error(self, exc: BaseException, doing: str) -> None:
        """An emulator bug: logged with its traceback (the client gets a ``server_error``)."""
        log.error("%s %d: internal error %s", self._name, self.number, doing, exc_info=exc)

    def _safe(self, text: str) -> str:
        key = self._api_key
        return text.replace(key, mask_key(key)) if key else text

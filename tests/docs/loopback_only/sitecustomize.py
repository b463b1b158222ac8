"""Loaded by every Python process a docs block starts (``PYTHONPATH``): loopback only.

A docs block runs as written, so nothing but this guard stops it from reaching
api.openai.com when the test's environment variables failed to point it at the emulator.
An audit hook refuses any network address but loopback, with a line on stderr that the test
looks for (a block could catch the error and carry on).
"""

from __future__ import annotations

import socket
import sys
from typing import Any

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_INET = (socket.AF_INET, socket.AF_INET6)
BLOCKED = "docs-test: blocked"


def _refuse(host: object) -> None:
    message = f"{BLOCKED} a connection to {host!r}: a docs block may only reach 127.0.0.1"
    print(message, file=sys.stderr, flush=True)
    raise PermissionError(message)


def _host_name(host: object) -> object:
    return host.decode() if isinstance(host, bytes) else host


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args[0], args[-1]
        if sock.family in _INET and _host_name(address[0]) not in _LOOPBACK:
            _refuse(address[0])
    elif event == "socket.getaddrinfo":
        host = _host_name(args[0])
        if host is not None and host not in _LOOPBACK:
            _refuse(host)
    elif event == "socket.gethostbyname" and _host_name(args[0]) not in _LOOPBACK:
        _refuse(args[0])


sys.addaudithook(_audit)

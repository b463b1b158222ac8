"""A stand-in for Cloudflare's ``workers`` module, which exists only in Cloudflare's runtime.

Layer 3 runs the example Worker (``examples/cloudflare_worker/src/entry.py``) with it: the
example's handler class, its session and its transport are the real ones; only the
entry-point base class and the Response wrapper are these few lines. Mounted as ``workers``.
"""

from __future__ import annotations

from typing import Any


class WorkerEntrypoint:
    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class Response:
    def __init__(self, body: str, status: int = 200, headers: Any = None) -> None:
        self.body = body
        self.status = status
        self.headers = headers

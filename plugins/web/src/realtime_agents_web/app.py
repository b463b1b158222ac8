"""The server side of the voice page: mint a key, serve the page, attach the sideband.

The browser talks to the Realtime API itself (WebRTC: its microphone in, the reply out), with
an ephemeral key this server mints from the agent's config. Once the API has answered the
page's offer, the page tells this server the call's id, and the server attaches a
:class:`~realtime_agents.RealtimeSession` to the call over a WebSocket (``?call_id=``): the
agent's tools, guardrails and handoffs then run here, next to the secrets and databases they
need, and the API key never reaches the browser.

The glue is aiohttp because the rest of the project already uses it; every handler is a plain
``async`` function of a request, so another framework can call :meth:`VoiceApp.mint` and
:meth:`VoiceApp.attach` from its own routes (see the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import importlib.resources
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.events import ConnectionChangeEvent, ConnectionStatus

__all__ = ["ASSETS", "DEFAULT_BASE_URL", "VoiceApp", "WebError", "asset"]

logger = logging.getLogger("realtime_agents_web")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_CALL_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_STATIC = ("index.html", "app.js", "style.css")
#: The page's assets besides ``index.html``, served next to it: name -> content type.
ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}


class WebError(Exception):
    """A request the server could not serve: its HTTP ``status`` and a message for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class VoiceApp:
    """One agent served to browsers: ``POST /session``, ``POST /call``, the page at ``/``.

    ``api_key`` (default ``OPENAI_API_KEY``) stays on the server: it mints the ephemeral keys
    and authenticates the sidebands. ``base_url`` (default ``OPENAI_BASE_URL``, else OpenAI's)
    is the REST base the browser posts its offer to (``{base_url}/realtime/calls``) and the
    sideband attaches at (the same address over ``ws(s)://``). ``ttl_seconds`` is how long a
    page's key lasts (the API allows 10 to 7200).
    """

    def __init__(
        self,
        agent: RealtimeAgent[Any],
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        ttl_seconds: int = 600,
        title: str | None = None,
    ) -> None:
        self.agent = agent
        self._api_key = api_key
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.ttl_seconds = ttl_seconds
        self.title = title or agent.name
        #: The sideband sessions attached so far, by call id (ended ones are removed).
        self.sessions: dict[str, RealtimeSession[Any]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def __repr__(self) -> str:  # never the key
        return f"VoiceApp(agent={self.agent.name!r}, base_url={self.base_url!r})"

    @property
    def calls_url(self) -> str:
        """Where the browser posts its SDP offer."""
        return f"{self.base_url}/realtime/calls"

    @property
    def sideband_url(self) -> str:
        """The WebSocket address a sideband attaches at (``?call_id=`` is added by connect)."""
        return re.sub(r"^http", "ws", self.base_url) + "/realtime"

    def _key(self) -> str:
        key = self._api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise WebError(500, "the server has no API key: set OPENAI_API_KEY")
        return key

    # -- what the routes do, framework-free -----------------------------------------------

    async def mint(self) -> dict[str, Any]:
        """A client secret for one page: ``{"value", "expires_at", "calls_url"}``.

        The key's session is the agent's config exactly as a session sends it, so the call
        starts with the agent's instructions, voice and tools before the sideband attaches.
        """
        payload = await RealtimeSession(
            self.agent, transport="websocket"
        ).get_initial_session_payload()
        body = {
            "session": payload,
            "expires_after": {"anchor": "created_at", "seconds": self.ttl_seconds},
        }
        key = self._key()
        headers = {"Authorization": f"Bearer {key}"}
        url = f"{self.base_url}/realtime/client_secrets"
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.post(url, json=body, headers=headers) as response,
            ):
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, ValueError) as exc:
            raise WebError(502, f"could not mint a key at {url}: {type(exc).__name__}") from None
        if response.status != 200:
            # The page sees this message: an API that quotes the key it refused must not leak it.
            message = (_api_message(answer) or f"HTTP {response.status}").replace(key, "sk-…")
            raise WebError(502, f"the API refused to mint a key: {message}")
        return {
            "value": answer["value"],
            "expires_at": answer["expires_at"],
            "calls_url": self.calls_url,
        }

    async def attach(self, call_id: str) -> None:
        """Attach the agent's sideband session to ``call_id``; it runs until the call ends."""
        if not _CALL_ID.match(call_id):
            raise WebError(400, "call_id must be the id from the call's Location header")
        if call_id in self.sessions:
            return
        session: RealtimeSession[Any] = RealtimeSession(self.agent, transport="websocket")
        # The call's end closes its sidebands: the session's streams would not end by
        # themselves (a session outlives its connection), so the transport's status says so.
        ended = asyncio.Event()

        def on_change(event: ConnectionChangeEvent) -> None:
            if event.status is ConnectionStatus.DISCONNECTED:
                ended.set()

        session.transport.on("connection_change", on_change)
        session.on("error", lambda event: logger.warning("call %s: %s", call_id, event.error))
        try:
            await session.connect(self._key(), url=self.sideband_url, call_id=call_id)
        except Exception as exc:
            await session.close()
            logger.warning("sideband for %s failed: %s", call_id, exc)
            raise WebError(502, f"could not attach to call {call_id}: {exc}") from None
        self.sessions[call_id] = session
        task = asyncio.get_running_loop().create_task(self._run(call_id, session, ended))
        self._tasks[call_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(call_id, None))

    async def wait_detached(self, call_id: str) -> None:
        """Return once the sideband of ``call_id`` has detached (at once if there is none)."""
        task = self._tasks.get(call_id)
        if task is not None:
            await asyncio.shield(task)

    async def _run(self, call_id: str, session: RealtimeSession[Any], ended: asyncio.Event) -> None:
        try:
            await ended.wait()
        finally:
            self.sessions.pop(call_id, None)
            await session.close()

    async def close(self) -> None:
        """Detach every sideband (the calls themselves end with their pages)."""
        for session in list(self.sessions.values()):
            await session.close()
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- aiohttp glue ----------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """``GET /`` and its assets, ``POST /session``, ``POST /call``; closes on cleanup."""
        app.router.add_get("/", self._page)
        for name in ASSETS:
            app.router.add_get(f"/{name}", self._asset)
        app.router.add_post("/session", self._session)
        app.router.add_post("/call", self._call)

        async def on_cleanup(_: web.Application) -> None:
            await self.close()

        app.on_cleanup.append(on_cleanup)

    def application(self) -> web.Application:
        """A whole aiohttp application serving this agent."""
        app = web.Application()
        self.add_routes(app)
        return app

    def page(self) -> str:
        """The page's HTML, titled with the agent's name (its assets: :func:`asset`)."""
        return asset("index.html").replace("{{title}}", html.escape(self.title))

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=self.page(), content_type="text/html")

    async def _asset(self, request: web.Request) -> web.Response:
        name = request.path.lstrip("/")
        return web.Response(text=asset(name), content_type=ASSETS[name])

    async def _session(self, request: web.Request) -> web.Response:
        try:
            return web.json_response(await self.mint())
        except WebError as exc:
            return _error(exc)

    async def _call(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(WebError(400, 'the body must be JSON: {"call_id": "rtc_…"}'))
        call_id = body.get("call_id") if isinstance(body, Mapping) else None
        try:
            await self.attach(call_id if isinstance(call_id, str) else "")
        except WebError as exc:
            return _error(exc)
        return web.json_response({"call_id": call_id, "attached": True})


def asset(name: str) -> str:
    """The text of one of the page's files (``index.html``, ``app.js``, ``style.css``)."""
    if name not in _STATIC:
        raise KeyError(name)
    return importlib.resources.files(__package__).joinpath("static", name).read_text("utf-8")


def _api_message(answer: Any) -> str | None:
    if isinstance(answer, Mapping) and isinstance(answer.get("error"), Mapping):
        message = answer["error"].get("message")
        return str(message) if message else None
    return None


def _error(exc: WebError) -> web.Response:
    return web.json_response({"error": {"message": str(exc)}}, status=exc.status)

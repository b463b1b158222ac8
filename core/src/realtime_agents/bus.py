"""The event bus: one blinker signal per event name, with ``on``/``off``/``once`` sugar.

All transports and sessions publish through one :class:`blinker.Namespace`; the sender is the
publishing object, so a subscriber of one transport never sees another's events. Receivers
connected to a signal directly (``signal(name).connect(fn, sender=...)``, or for every sender)
get each event too.

Why subscribers are the emitter's own: ``on``/``once`` keep their handlers in the emitter
(a list per event name) rather than connecting them to blinker, whose per-signal maps (a set
per sender and per receiver, for every connection) cost ≈1 KiB per (event name, subscriber):
≈17 KiB of every idle session, which subscribes to 16 transport events. Emitting delivers to
the signal's blinker receivers for this sender, then to the emitter's own subscribers; a muted
signal delivers to neither. Subscribing no longer announces anything namespace-wide, so it
invalidates only this emitter's cache.

Why the wrappers: blinker calls receivers synchronously, in an undefined order, holding them
weakly unless told otherwise. A :class:`_Subscriber` is held strongly and gives each user
handler two guarantees blinker alone does not:

* it sees events in the order they were published, even when it is a coroutine function:
  all coroutine handlers of one emitter are awaited one at a time, in publish order, from one
  FIFO drained by one task the emitter owns, so an async ``audio`` handler and an async
  ``audio_interrupted`` handler never see those events swapped (a slow coroutine handler
  delays the emitter's other coroutine handlers, never the publisher);
* its exceptions never stop delivery: they are published as ``error`` events instead.

Subscribers of one event run in registration order for plain functions; no order between
different subscribers is promised.

Why the cache: ``Signal.send`` resolves the receivers of a sender on every call (a set union,
a generator and a coroutine check per receiver: about 1.4 µs), which is most of an audio
delta's budget. An emitter keeps the resolved receivers per event name instead and resolves
them again after its own subscribers changed, or after something connected to or disconnected
from a blinker signal anywhere in the namespace (every signal announces that on its
``receiver_connected``/``receiver_disconnected``). Weakly held
receivers (which may die without announcing it) and muted signals always go through
``Signal.send``, so blinker's semantics are kept.

Why names are checked: a misspelt name, or one brought from another SDK (openai-agents-python's
``tool_start`` is our ``agent_tool_start``), would otherwise subscribe to an event nobody
publishes and fail silently. An emitter class lists what it publishes in
:attr:`EventEmitter.event_names`; ``on``/``once``/``off``/``wait_for`` reject any other name
with a "did you mean". The check runs when subscribing, never in :meth:`EventEmitter.emit`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final, TypeVar, overload

import blinker

from ._queue import DEFAULT_MAX_QUEUED_AUDIO_BYTES, EventQueue, EventsDroppedError, audio_cost
from .errors import HandlerError, UserError

__all__ = ["NAMESPACE", "EventEmitter", "EventNames", "Handler", "signal"]

logger = logging.getLogger("realtime_agents.bus")

#: An event handler: a function or a coroutine function of the payload (its result is ignored).
Handler = Callable[[Any], object]
H = TypeVar("H", bound=Handler)


class _Namespace(blinker.Namespace):
    """A namespace that counts (dis)connections on its signals, so emitters can cache receivers."""

    generation = 0
    #: Names of signals that have had a weakly held receiver (one may die unannounced, so
    #: their receivers are never cached). Known from the connect announcement, so resolving
    #: never scans every receiver of every sender: with hundreds of sessions that scan ran
    #: for each emitter after each (dis)connection anywhere.
    weakly_held: ClassVar[set[str]] = set()

    def signal(self, name: str, doc: str | None = None) -> blinker.NamedSignal:
        created = name not in self
        sig = super().signal(name, doc)
        if created:
            sig.receiver_connected.connect(self._changed, weak=False)
            sig.receiver_disconnected.connect(self._changed, weak=False)
            # Emitters cached "no signal" for this name: it may be muted or connected to now.
            _Namespace.generation += 1
        return sig

    def _changed(self, sig: blinker.NamedSignal, **kwargs: object) -> None:
        _Namespace.generation += 1
        if kwargs.get("weak"):
            _Namespace.weakly_held.add(sig.name)


#: The namespace every realtime-agents signal lives in.
NAMESPACE: Final = _Namespace()

#: A resolved receiver list: the generation it was resolved at, the signal, and its receivers
#: for one sender (None when they must be resolved by ``Signal.send`` at each emit).
_Dispatch = tuple[int, blinker.NamedSignal | None, tuple[Callable[..., Any], ...] | None]


def signal(name: str) -> blinker.NamedSignal:
    """The signal published for event ``name`` (``*`` is every raw server event)."""
    return NAMESPACE.signal(name)


class EventNames(Collection[str]):
    """The event names an emitter class publishes, and what to say about any other name.

    ``aliases`` maps names users bring from other SDKs to ours (``tool_start`` →
    ``agent_tool_start``); ``hints`` holds a sentence for a name that is published somewhere
    else (the session's ``turn_done`` is its transport's); ``docs`` says where the names are
    listed. ``|`` adds names and keeps the rest, which is how a subclass publishing more says so::

        class MyTransport(RealtimeTransportLayer):
            event_names = RealtimeTransportLayer.event_names | {"my_backend_event"}
    """

    __slots__ = ("_names", "aliases", "docs", "hints")

    def __init__(
        self,
        names: Iterable[str],
        *,
        aliases: Mapping[str, str] | None = None,
        hints: Mapping[str, str] | None = None,
        docs: str = "",
    ) -> None:
        self._names = frozenset(names)
        self.aliases: Mapping[str, str] = MappingProxyType(dict(aliases or {}))
        self.hints: Mapping[str, str] = MappingProxyType(dict(hints or {}))
        self.docs = docs
        stray = sorted(set(self.aliases.values()) - self._names)
        if stray:
            raise ValueError(f"aliases lead to names that are not published: {stray}")

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __or__(self, names: Iterable[str]) -> EventNames:
        merged = self._names | frozenset(names)
        return EventNames(merged, aliases=self.aliases, hints=self.hints, docs=self.docs)

    def __repr__(self) -> str:
        return f"EventNames({sorted(self._names)!r})"

    def check(self, owner: str, name: object) -> None:
        """Raise :class:`UserError` unless ``name`` is one of these; ``owner`` names the emitter."""
        if isinstance(name, str) and name in self._names:
            return
        raise UserError(self._unknown(owner, name))

    def suggestions(self, name: str) -> list[str]:
        """Known names ``name`` was probably meant to be: its alias, else look-alikes."""
        if name in self.aliases:
            return [self.aliases[name]]
        # camelCase (the JS SDK's spelling of fields) to snake_case before comparing
        snake = re.sub(_CAMEL_HUMP, "_", name).lower()
        if snake in self._names:
            return [snake]
        import difflib  # only when someone subscribed to a wrong name: not at import time

        return difflib.get_close_matches(snake, self._names, n=3, cutoff=0.6)

    def _unknown(self, owner: str, name: object) -> str:
        if not isinstance(name, str):
            return f"{owner} event names are strings, not {type(name).__name__} ({name!r})"
        message = f"{owner} has no event {name!r}"
        close = self.suggestions(name)
        message += f"; did you mean {_either(close)}?" if close else "."
        if name in self.hints:
            message += f" {self.hints[name]}"
        if self.docs:
            message += f" The events of {owner} are listed in {self.docs}."
        return message


#: A pattern, compiled by ``re`` the first time a wrong name is looked up (not at import).
_CAMEL_HUMP: Final = r"(?<=[a-z0-9])(?=[A-Z])"


def _either(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


class _Subscriber:
    """One registered handler; called by blinker as ``subscriber(sender, event=...)``."""

    __slots__ = ("emitter", "handler", "is_async", "name", "once")

    def __init__(self, emitter: EventEmitter, name: str, handler: Handler, once: bool) -> None:
        self.emitter = emitter
        self.name = name
        self.handler = handler
        self.once = once
        self.is_async = inspect.iscoroutinefunction(handler)

    def __call__(self, sender: object, event: Any = None) -> None:
        if self.once:
            self.emitter._disconnect(self)
        if self.is_async:
            self.emitter._queue_async(self, event)
            return
        try:
            self.handler(event)
        except Exception as exc:
            self.emitter._handler_failed(self, exc)


class EventEmitter:
    """Mixin giving an object ``on``/``off``/``once``/``emit``/``wait_for`` over the bus.

    Call :meth:`close_handlers` when the object closes: it cancels the tasks that feed
    coroutine handlers, so nothing outlives its owner.
    """

    #: What this class publishes: ``on``, ``once``, ``off`` and ``wait_for`` reject any other
    #: name. None (the bare mixin) accepts every name. A subclass that publishes more extends
    #: its base's set: ``event_names = Base.event_names | {"extra"}``.
    event_names: ClassVar[EventNames | None] = None
    #: Audio the calls waiting for coroutine handlers may hold before newer audio is dropped.
    max_queued_audio_bytes: ClassVar[int] = DEFAULT_MAX_QUEUED_AUDIO_BYTES

    def __init__(self) -> None:
        self._subscribers: dict[str, list[_Subscriber]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        # Made on the first coroutine handler call: most emitters never have one.
        self._async_calls: EventQueue[tuple[_Subscriber, Any]] | None = None
        self._dropping_audio = False
        self._async_worker: asyncio.Task[None] | None = None
        self._resolved: dict[str, _Dispatch] = {}

    @overload
    def on(self, name: str, handler: H) -> H: ...
    @overload
    def on(self, name: str, handler: None = None) -> Callable[[H], H]: ...

    def on(self, name: str, handler: H | None = None) -> H | Callable[[H], H]:
        """Call ``handler(event)`` for every ``name`` event and return ``handler``.

        Without ``handler`` it returns a decorator: ``@transport.on("audio")``. Raises
        :class:`UserError` if this object publishes no event ``name``.
        """
        self._check_name(name)
        if handler is None:
            return lambda fn: self.on(name, fn)
        self._connect(_Subscriber(self, name, handler, once=False))
        return handler

    @overload
    def once(self, name: str, handler: H) -> H: ...
    @overload
    def once(self, name: str, handler: None = None) -> Callable[[H], H]: ...

    def once(self, name: str, handler: H | None = None) -> H | Callable[[H], H]:
        """Like :meth:`on`, but only for the next ``name`` event."""
        self._check_name(name)
        if handler is None:
            return lambda fn: self.once(name, fn)
        self._connect(_Subscriber(self, name, handler, once=True))
        return handler

    def off(self, name: str, handler: Handler | None = None) -> None:
        """Remove ``handler`` from ``name`` (every handler of ``name`` when ``handler`` is None)."""
        self._check_name(name)
        for sub in list(self._subscribers.get(name, ())):
            if handler is None or sub.handler == handler:
                self._disconnect(sub)

    def emit(self, name: str, event: Any = None) -> None:
        """Publish ``event`` under ``name`` to this object's receivers, synchronously."""
        # _resolve, inlined: this runs several times per audio message.
        entry = self._resolved.get(name)
        if entry is None or entry[0] != _Namespace.generation or (entry[1] and entry[1].is_muted):
            entry = self._resolved[name] = self._receivers_of(name)
        receivers = entry[2]
        if receivers is not None:
            for receiver in receivers:
                receiver(self, event=event)
        elif entry[1] is not None:
            entry[1].send(self, event=event)

    def has_listeners(self, name: str) -> bool:
        """Whether anything receives ``name`` from this object: lets publishers skip work."""
        # _resolve, inlined: the protocol asks this several times per audio message.
        entry = self._resolved.get(name)
        if entry is None or entry[0] != _Namespace.generation or (entry[1] and entry[1].is_muted):
            entry = self._resolved[name] = self._receivers_of(name)
        receivers = entry[2]
        if receivers is not None:
            return bool(receivers)
        # Not cached (weakly held receivers, or muted): ask blinker about this sender only.
        sig = entry[1]
        return sig is not None and next(iter(sig.receivers_for(self)), None) is not None

    def _resolve(self, name: str) -> _Dispatch:
        entry = self._resolved.get(name)
        if entry is None or entry[0] != _Namespace.generation or (entry[1] and entry[1].is_muted):
            entry = self._resolved[name] = self._receivers_of(name)
        return entry

    def _receivers_of(self, name: str) -> _Dispatch:
        generation = _Namespace.generation
        own = tuple(self._subscribers.get(name, ()))
        sig = NAMESPACE.get(name)
        if sig is not None and sig.is_muted:
            # A muted signal delivers to nobody, our subscribers included (blinker's send does
            # nothing); generation -1 resolves again at the first emit after unmuting.
            return (-1, sig, None)
        if sig is None or not sig.receivers:
            return (generation, None, own)
        if name in _Namespace.weakly_held:
            # Weakly held receivers may die unannounced: blinker resolves them at each send.
            return (generation, sig, (sig.send, *own)) if own else (generation, sig, None)
        return (generation, sig, (*sig.receivers_for(self), *own))

    async def wait_for(
        self,
        name: str,
        predicate: Callable[[Any], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """Wait for the next ``name`` event for which ``predicate`` holds, and return it."""
        self._check_name(name)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def check(event: Any) -> None:
            if not future.done() and (predicate is None or predicate(event)):
                future.set_result(event)

        self.on(name, check)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.off(name, check)

    async def close_handlers(self) -> None:
        """Cancel the tasks feeding coroutine handlers and wait until they have stopped.

        Safe from inside one of this emitter's own coroutine handlers (e.g. a handler that
        closes its transport): that task cannot wait for itself, so the calls still queued
        behind it are dropped and it ends as soon as the handler returns.
        """
        current = asyncio.current_task()
        if current is not None and current in self._workers and self._async_calls is not None:
            self._async_calls.clear()
        workers = [task for task in self._workers if task is not current]
        for task in workers:
            task.cancel()
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)

    def _check_name(self, name: str) -> None:
        # At subscribe time only: emit() stays a dictionary lookup.
        known = self.event_names
        if known is not None:
            known.check(type(self).__name__, name)

    def _connect(self, sub: _Subscriber) -> None:
        # Kept here, not connected to blinker: see "Why subscribers are the emitter's own".
        self._subscribers.setdefault(sub.name, []).append(sub)
        self._resolved.pop(sub.name, None)

    def _disconnect(self, sub: _Subscriber) -> None:
        subs = self._subscribers.get(sub.name)
        if subs and sub in subs:
            subs.remove(sub)
            self._resolved.pop(sub.name, None)

    def _queue_async(self, sub: _Subscriber, event: Any) -> None:
        """Queue a coroutine handler's call behind every earlier one of this emitter."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            problem = RuntimeError("coroutine handlers need a running event loop")
            self._handler_failed(sub, problem)
            return
        calls = self._async_calls
        if calls is None:
            calls = self._async_calls = EventQueue(self.max_queued_audio_bytes)
        if not calls.put((sub, event), audio_cost(event)):
            if not calls.closed:
                self._audio_dropped(calls)
            return
        if self._async_worker is not None and not self._async_worker.done():
            return  # the running worker will get to it
        worker = self._async_worker = loop.create_task(
            self._drain_async(), name="realtime_agents handlers"
        )
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _drain_async(self) -> None:
        calls = self._async_calls
        assert calls is not None  # made before this task is started
        while (call := calls.pop_ready()) is not None:
            sub, event = call
            try:
                await sub.handler(event)  # type: ignore[misc]
            except Exception as exc:
                self._handler_failed(sub, exc)
        self._dropping_audio = False

    def _audio_dropped(self, calls: EventQueue[Any]) -> None:
        """Audio for slow coroutine handlers was dropped: say so once until they catch up."""
        if self._dropping_audio:
            return
        self._dropping_audio = True
        from .events import ErrorEvent

        logger.warning("coroutine handlers are not keeping up; dropping audio")
        error = EventsDroppedError(
            f"audio dropped: coroutine handlers of {type(self).__name__} are not keeping up "
            f"(over {calls.max_audio_bytes} bytes of audio waiting for them)"
        )
        self.emit("error", ErrorEvent(error=error))

    def _handler_failed(self, sub: _Subscriber, exc: Exception) -> None:
        if sub.name == "error":
            # Re-publishing an error handler's own failure could loop forever; log it instead.
            logger.error("error handler %r raised", sub.handler, exc_info=exc)
            return
        from .events import ErrorEvent

        self.emit("error", ErrorEvent(error=HandlerError(sub.name, sub.handler, exc)))
        if not self.has_listeners("error"):
            logger.error(
                "handler for %r raised and nobody listens to 'error'", sub.name, exc_info=exc
            )

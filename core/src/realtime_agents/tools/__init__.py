"""Function tools: a Python function the model can call, described by a JSON schema.

::

    @tool
    def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
        '''Get the weather in a city.

        Args:
            city: The city's name.
            unit: Temperature unit.
        '''
        return f"Sunny in {city}"

    @tool(needs_approval=True, timeout=5.0)
    async def refund(ctx: ToolContext[Shop], order_id: UUID, amount: Decimal) -> dict[str, str]: ...

**Schemas and arguments.** Pydantic builds the schema from the signature and validates the
model's JSON arguments into the annotated types before the call (dates, UUIDs, decimals,
enums, ``Literal``, unions, containers, dataclasses, TypedDicts, pydantic models, attrs
classes, ``Annotated[T, Field(ge=1, le=10)]``, ``Annotated[T, "description"]``); descriptions
also come from the docstring (Google, Sphinx or NumPy style). Pydantic is imported when the
first tool is defined, not by ``import realtime_agents``. A type pydantic cannot handle is a
:class:`~realtime_agents.errors.UserError` when the tool is defined. Arguments that do not
fit are a :class:`ToolArgumentsError` whose message (where, and why; never the input) the
model gets as the tool's output, so it can call again.

``strict=True`` (the default) gives a schema valid for OpenAI's strict function calling:
every object closed and all its properties required; a parameter with a default is nullable
instead, and ``null`` means "use the default". ``strict=False`` gives pydantic's plain schema
with ``default`` values; ``Any`` and free-form ``dict`` parameters need it.

A first parameter annotated :class:`~realtime_agents.run_context.RunContextWrapper` (or
:class:`~realtime_agents.run_context.ToolContext`) receives the call's context and is not
part of the schema.

**Threads, timeouts and shutdown.** Coroutine functions run on the event loop. Synchronous
functions run on a daemon thread of their own (inline under Pyodide, which has none), so a
slow tool never stalls the audio. When a call times out or its session closes, the call is
abandoned at once and ``ToolContext.cancelled`` (a :class:`threading.Event`) is set: an async
tool also gets :class:`asyncio.CancelledError`; a sync tool cannot be interrupted, so it keeps
running until it returns (its result is dropped) — a long one should wait on
``ctx.cancelled.wait(seconds)`` rather than ``time.sleep`` and return when it is set. A sync
tool that never returns does not keep the program from exiting: daemon threads are not joined.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import attrs

from ..errors import RealtimeAgentsError, UserError
from ..lazy import lazy_exports
from ..run_context import RunContextWrapper, ToolContext
from ._errors import ToolArgumentsError
from ._threads import run_in_daemon_thread

if TYPE_CHECKING:
    # The schema machinery (signatures, docstrings, JSON schema, the pydantic bridge) is
    # imported by the first @tool, not with the package: an agent may have no function tools.
    from ..config import FunctionToolDefinition
    from ._background import BackgroundResult
    from ._schema import FunctionSignature

__all__ = [
    "ApprovalFunction",
    "BackgroundResult",
    "EnabledFunction",
    "FunctionTool",
    "TimeoutBehavior",
    "ToolArgumentsError",
    "ToolTimeoutError",
    "background_result",
    "stringify_output",
    "tool",
    "validate_tool_name",
]

# PEP 562: BackgroundResult is built by the first background_result() (see ._background).
__getattr__, __dir__ = lazy_exports(__name__, {"BackgroundResult": "._background"})

TimeoutBehavior: TypeAlias = Literal["error_as_result", "raise_exception"]
#: ``needs_approval(ctx, arguments, call_id)``: whether this call needs a human's approval.
ApprovalFunction: TypeAlias = Callable[
    [RunContextWrapper[Any], dict[str, Any], str], "bool | Awaitable[bool]"
]
#: ``is_enabled(ctx, agent)``: whether the tool is offered to the model right now.
EnabledFunction: TypeAlias = Callable[[RunContextWrapper[Any], Any], "bool | Awaitable[bool]"]
Invoker: TypeAlias = Callable[[ToolContext[Any], dict[str, Any]], Awaitable[Any]]

#: A pattern, compiled (and cached) by ``re`` when the first tool is named, not at import.
_NAME = r"^[A-Za-z0-9_-]{1,64}$"
_HAS_THREADS = sys.platform not in ("emscripten", "wasi")


class ToolTimeoutError(RealtimeAgentsError, TimeoutError):
    """A tool ran longer than its ``timeout``."""

    def __init__(self, tool_name: str, timeout: float) -> None:
        super().__init__(f"Tool '{tool_name}' timed out after {round(timeout * 1000)}ms.")
        self.tool_name = tool_name
        self.timeout = timeout


def validate_tool_name(name: str) -> str:
    """Return ``name`` if the Realtime API accepts it as a function name, else raise UserError."""
    if not isinstance(name, str) or not re.match(_NAME, name):
        raise UserError(
            f"Invalid tool name {name!r}: use 1-64 letters, digits, '_' or '-' (no spaces)."
        )
    return name


def background_result(value: Any) -> BackgroundResult:
    """Wrap a tool's return value so the model gets it silently, without a new response."""
    from ._background import BackgroundResult  # built on first use: see its module

    return BackgroundResult(value)


def _positive_or_none(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not value > 0:
        raise UserError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


def _check_name(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    validate_tool_name(value)


@attrs.frozen(kw_only=True)
class FunctionTool:
    """A tool the model can call. Build one with :func:`tool`, or directly with a JSON schema.

    ``on_invoke(ctx, arguments)`` receives the parsed JSON arguments (a dict) and returns the
    result; :func:`stringify_output` turns it into the text the model gets. Calling the tool
    object itself calls the wrapped Python function (handy in tests).
    """

    name: str = attrs.field(validator=_check_name)
    description: str = ""
    params_json_schema: dict[str, Any] = attrs.field(repr=False)
    on_invoke: Invoker = attrs.field(repr=False)
    needs_approval: bool | ApprovalFunction = False
    timeout: float | None = attrs.field(default=None, validator=_positive_or_none)
    timeout_behavior: TimeoutBehavior = attrs.field(
        default="error_as_result",
        validator=attrs.validators.in_(("error_as_result", "raise_exception")),
    )
    is_enabled: bool | EnabledFunction = True
    strict: bool = True
    function: Callable[..., Any] | None = attrs.field(default=None, repr=False)

    def definition(self) -> FunctionToolDefinition:
        """The ``tools`` entry of the session config for this tool."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.params_json_schema,
        }

    async def requires_approval(
        self, ctx: RunContextWrapper[Any], arguments: dict[str, Any], call_id: str
    ) -> bool:
        """Evaluate ``needs_approval`` for one call."""
        if isinstance(self.needs_approval, bool):
            return self.needs_approval
        return bool(await _maybe_await(self.needs_approval(ctx, arguments, call_id)))

    async def enabled(self, ctx: RunContextWrapper[Any], agent: Any) -> bool:
        """Evaluate ``is_enabled`` for the given agent."""
        if isinstance(self.is_enabled, bool):
            return self.is_enabled
        return bool(await _maybe_await(self.is_enabled(ctx, agent)))

    async def invoke(self, ctx: ToolContext[Any], arguments: dict[str, Any]) -> Any:
        """Run the tool, honouring ``timeout`` (raises :class:`ToolTimeoutError`).

        A timeout or a cancellation (the session closing) sets ``ctx.cancelled``.
        """
        try:
            if self.timeout is None:
                return await self.on_invoke(ctx, arguments)
            try:
                return await asyncio.wait_for(self.on_invoke(ctx, arguments), self.timeout)
            except TimeoutError:
                raise ToolTimeoutError(self.name, self.timeout) from None
        except (asyncio.CancelledError, ToolTimeoutError):
            ctx.cancelled.set()
            raise

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.function is None:
            raise TypeError(f"tool {self.name!r} wraps no Python function")
        return self.function(*args, **kwargs)


@overload
def tool(func: Callable[..., Any], /) -> FunctionTool: ...
@overload
def tool(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    needs_approval: bool | ApprovalFunction = False,
    timeout: float | None = None,
    timeout_behavior: TimeoutBehavior = "error_as_result",
    is_enabled: bool | EnabledFunction = True,
    strict: bool = True,
    run_in_thread: bool | None = None,
) -> Callable[[Callable[..., Any]], FunctionTool]: ...


def tool(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    needs_approval: bool | ApprovalFunction = False,
    timeout: float | None = None,
    timeout_behavior: TimeoutBehavior = "error_as_result",
    is_enabled: bool | EnabledFunction = True,
    strict: bool = True,
    run_in_thread: bool | None = None,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Make a :class:`FunctionTool` from a function; use as ``@tool`` or ``@tool(...)``.

    ``name`` defaults to the function's name, ``description`` to its docstring's summary.
    ``needs_approval`` (a bool, or ``fn(ctx, arguments, call_id)``) parks each call until
    ``session.approve``/``session.reject``. ``timeout`` (seconds) bounds a call: with
    ``timeout_behavior="error_as_result"`` the model is told the tool timed out; with
    ``"raise_exception"`` the session publishes an ``error`` event and sends no output.
    ``run_in_thread`` (default: yes for sync functions where threads exist) keeps a blocking
    function off the event loop, on a daemon thread (see the module docstring). ``strict``
    picks the schema form. UserError when a parameter's type cannot be described.
    """

    def build(fn: Callable[..., Any], localns: Mapping[str, Any] | None = None) -> FunctionTool:
        # The defining scope, for string annotations naming classes local to it.
        from ._schema import describe_function

        scope = _caller_locals() if localns is None else localns
        signature = describe_function(fn, strict=strict, localns=scope)
        return FunctionTool(
            name=name or fn.__name__,
            description=description if description is not None else signature.description,
            params_json_schema=signature.json_schema,
            on_invoke=_invoker(fn, signature, run_in_thread),
            needs_approval=needs_approval,
            timeout=timeout,
            timeout_behavior=timeout_behavior,
            is_enabled=is_enabled,
            strict=strict,
            function=fn,
        )

    return build if func is None else build(func, _caller_locals())


def _caller_locals() -> Mapping[str, Any]:
    """The local names of the scope that called our caller (where the tool is defined)."""
    return sys._getframe(2).f_locals


def _invoker(
    fn: Callable[..., Any], signature: FunctionSignature, run_in_thread: bool | None
) -> Invoker:
    is_async = inspect.iscoroutinefunction(fn)
    threaded = (not is_async) and (_HAS_THREADS if run_in_thread is None else run_in_thread)

    async def invoke(ctx: ToolContext[Any], arguments: dict[str, Any]) -> Any:
        args, kwargs = signature.bind(arguments)
        if signature.takes_context:
            args.insert(0, ctx)
        if is_async:
            return await fn(*args, **kwargs)
        if threaded:
            return await run_in_daemon_thread(fn, *args, **kwargs)
        return await _maybe_await(fn(*args, **kwargs))

    return invoke


def stringify_output(value: Any) -> str:
    """The text the model gets for a tool's result.

    Strings as they are; None as ``""``; pydantic models, attrs classes, dataclasses, dicts,
    lists and numbers as JSON; anything else as ``str(value)``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    dump = getattr(value, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    # dataclasses and json are imported by the first tool result, not with the package
    import dataclasses
    import json

    if attrs.has(type(value)):
        value = attrs.asdict(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if not isinstance(value, dict | list | tuple | int | float):
        return str(value)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value

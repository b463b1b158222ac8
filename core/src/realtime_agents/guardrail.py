"""Output guardrails: checks on what an agent says, run while it is still saying it.

::

    @output_guardrail(policy_hint="never reveal the secret code")
    def no_secrets(ctx, agent, output_text: str) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(tripwire_triggered="1234" in output_text)

    session = RealtimeSession(agent, output_guardrails=[no_secrets],
                              output_guardrail_settings={"debounce_text_length": 500})

The session runs every guardrail on the text (or audio transcript) of each response item each
time it grows by ``debounce_text_length`` characters, and once more when the response is done
(``-1`` means only then). The first trip per response publishes ``guardrail_tripped``, stops
the response and tells the model why, in a message built by :func:`feedback_message`.
A guardrail function may be sync or async and may return a bool instead of a
:class:`GuardrailFunctionOutput`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, overload

import attrs

from .errors import RealtimeAgentsError, UserError
from .lazy import lazy_exports
from .run_context import RunContextWrapper

__all__ = [
    "GuardrailFunction",
    "GuardrailFunctionOutput",
    "OutputGuardrail",
    "OutputGuardrailResult",
    "OutputGuardrailSettings",
    "OutputGuardrailTripwireTriggered",
    "feedback_message",
    "output_guardrail",
]

# PEP 562: what a check decides and its verdict are built by the first check (see
# ._guardrail_results); a session whose agents have no guardrails never builds them.
__getattr__, __dir__ = lazy_exports(
    __name__,
    dict.fromkeys(
        ("GuardrailFunctionOutput", "OutputGuardrailResult"), "realtime_agents._guardrail_results"
    ),
)

if TYPE_CHECKING:
    from ._guardrail_results import GuardrailFunctionOutput, OutputGuardrailResult


#: ``fn(ctx, agent, output_text)`` returning a :class:`GuardrailFunctionOutput` or a bool.
GuardrailFunction: TypeAlias = Callable[
    [RunContextWrapper[Any], Any, str],
    "GuardrailFunctionOutput | bool | Awaitable[GuardrailFunctionOutput | bool]",
]


def _function_name(guardrail: OutputGuardrail) -> str:
    return str(getattr(guardrail.guardrail_function, "__name__", "output_guardrail"))


@attrs.frozen
class OutputGuardrail:
    """A named check on an agent's output; ``policy_hint`` is what the model is told."""

    guardrail_function: GuardrailFunction = attrs.field(repr=False)
    name: str = attrs.field(default=attrs.Factory(_function_name, takes_self=True))
    policy_hint: str | None = None

    @property
    def hint(self) -> str:
        """``policy_hint``, or the name when there is none."""
        return self.policy_hint or self.name

    async def run(
        self, ctx: RunContextWrapper[Any], agent: Any, output_text: str
    ) -> OutputGuardrailResult:
        """Run the check on ``output_text``; exceptions propagate to the caller."""
        from ._guardrail_results import GuardrailFunctionOutput, OutputGuardrailResult

        value = self.guardrail_function(ctx, agent, output_text)
        if inspect.isawaitable(value):
            value = await value
        if isinstance(value, bool):
            value = GuardrailFunctionOutput(tripwire_triggered=value)
        if not isinstance(value, GuardrailFunctionOutput):
            raise UserError(
                f"guardrail {self.name!r} returned {type(value).__name__}; "
                "return a GuardrailFunctionOutput or a bool"
            )
        return OutputGuardrailResult(self, output_text, agent, value)


class OutputGuardrailTripwireTriggered(RealtimeAgentsError):
    """One or more output guardrails stopped a response; ``results`` are the ones that tripped."""

    def __init__(self, results: Sequence[OutputGuardrailResult]) -> None:
        names = ", ".join(r.guardrail.name for r in results)
        super().__init__(f"Output guardrail(s) tripped: {names}")
        self.results = tuple(results)

    @property
    def guardrail_result(self) -> OutputGuardrailResult:
        """The first guardrail that tripped."""
        return self.results[0]


@overload
def output_guardrail(func: GuardrailFunction, /) -> OutputGuardrail: ...
@overload
def output_guardrail(
    func: None = None, /, *, name: str | None = None, policy_hint: str | None = None
) -> Callable[[GuardrailFunction], OutputGuardrail]: ...


def output_guardrail(
    func: GuardrailFunction | None = None,
    /,
    *,
    name: str | None = None,
    policy_hint: str | None = None,
) -> OutputGuardrail | Callable[[GuardrailFunction], OutputGuardrail]:
    """Make an :class:`OutputGuardrail` from a function: ``@output_guardrail`` or ``(...)``."""

    def build(fn: GuardrailFunction) -> OutputGuardrail:
        if name is None:
            return OutputGuardrail(fn, policy_hint=policy_hint)
        return OutputGuardrail(fn, name=name, policy_hint=policy_hint)

    return build if func is None else build(func)


def _check_debounce(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or (value < 1 and value != -1):
        raise UserError(f"debounce_text_length must be a positive int or -1, got {value!r}")


@attrs.frozen
class OutputGuardrailSettings:
    """When guardrails run: every ``debounce_text_length`` characters (-1: only at the end)."""

    debounce_text_length: int = attrs.field(default=100, validator=_check_debounce)

    @classmethod
    def coerce(
        cls, value: OutputGuardrailSettings | Mapping[str, Any] | None
    ) -> OutputGuardrailSettings:
        """Accept the settings object, a dict of its fields (as in the docs), or None."""
        if value is None:
            return cls()
        if isinstance(value, OutputGuardrailSettings):
            return value
        unknown = set(value) - {"debounce_text_length"}
        if unknown:
            raise UserError(f"unknown output_guardrail_settings: {', '.join(sorted(unknown))}")
        return cls(**value)


def feedback_message(results: Sequence[OutputGuardrailResult]) -> str:
    """The message telling the model its last answer was blocked, and by which policies."""
    import json  # only once a guardrail trips: not needed to import the session

    parts = []
    for result in results:
        info = result.output.output_info
        detail = "" if info is None else f" Details: {json.dumps(info, default=str)}"
        parts.append(f"- {result.guardrail.hint}.{detail}")
    return (
        "guardrail triggered: your last answer was blocked and the user did not hear all of "
        "it, because it violated these policies:\n"
        + "\n".join(parts)
        + "\nPlease respond again in a way that follows them."
    )

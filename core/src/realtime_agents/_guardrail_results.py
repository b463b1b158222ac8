"""What a guardrail decided (``GuardrailFunctionOutput``) and one guardrail's verdict on a piece
of output (``OutputGuardrailResult``).

Only a session whose agents have output guardrails makes these (when a check runs), so the
classes are built on first use rather than at ``from realtime_agents import RealtimeSession``
(an attrs class compiles its methods when it is created: ≈0.3 ms apiece). The public names are
:mod:`realtime_agents.guardrail`'s, which imports this module on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .guardrail import OutputGuardrail

__all__ = ["GuardrailFunctionOutput", "OutputGuardrailResult"]


@attrs.frozen
class GuardrailFunctionOutput:
    """What a guardrail decided: whether to stop the response, and any details for the model."""

    tripwire_triggered: bool
    output_info: Any = None


@attrs.frozen
class OutputGuardrailResult:
    """One guardrail's verdict on one piece of output."""

    guardrail: OutputGuardrail
    agent_output: str
    agent: Any = attrs.field(repr=False)
    output: GuardrailFunctionOutput

    @property
    def tripwire_triggered(self) -> bool:
        return self.output.tripwire_triggered

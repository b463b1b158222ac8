"""What the session sends as its config, and the agent snapshot each response runs with.

**Config.** ``{**last_config, **session config, **overrides}`` (shallow), then the fields that
belong to the agent are forced:

* ``instructions`` from the agent (a function is called with the run context);
* ``voice``: ``overrides.audio.output.voice`` > ``config.audio.output.voice`` >
  ``overrides.voice`` > ``config.voice`` > ``agent.voice``; once the assistant has spoken the
  voice is pinned (the server rejects a voice change after audio) and a different agent voice
  is ignored with a warning;
* ``tools``: the agent's enabled function tools, hosted tools and handoff tools — always sent,
  as ``[]`` when there are none, so handing off to an agent without tools removes the
  previous agent's tools (the JS SDK leaves them on the server);
* ``model``, ``prompt`` and ``tracing``.

Starting from the last config keeps what earlier computations settled (audio formats forced by
a transport, say) across ``update_agent`` and handoffs.

**Snapshots.** :func:`snapshot_agent` resolves an agent's tools once (plugin tools named by
string included) and checks names are unique. The session takes one when a response starts,
and runs that response's function calls against it even if the agent changed meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from ..agent import check_unique_tool_names
from ..errors import UserError
from ..guardrail import OutputGuardrail
from ..handoff import Handoff
from ..tools import FunctionTool

if TYPE_CHECKING:
    from ..agent import RealtimeAgent
    from ..config import RealtimeSessionConfig, ToolDefinition, TracingConfig
    from ..plugins import PluginHost
    from ..run_context import RunContextWrapper

__all__ = [
    "AgentSnapshot",
    "ConfigOptions",
    "compute_session_config",
    "reachable_agents",
    "resolve_guardrails",
    "snapshot_agent",
]

logger = logging.getLogger("realtime_agents.session")


@attrs.frozen
class AgentSnapshot:
    """An agent with its tools resolved: what a response's function calls run against."""

    agent: RealtimeAgent[Any]
    tools: Mapping[str, FunctionTool]
    handoffs: Mapping[str, Handoff]
    hosted_tools: tuple[Mapping[str, Any], ...]
    guardrails: tuple[OutputGuardrail, ...]


def _by_name(host: Callable[[], PluginHost], kind: str, name: str) -> Any:
    registry = host().tools if kind == "tool" else host().guardrails
    found = registry.get(name)
    if found is None:
        known = ", ".join(sorted(registry)) or "none"
        raise UserError(f"no plugin registers a {kind} named {name!r} (registered: {known})")
    return found


def snapshot_agent(agent: RealtimeAgent[Any], host: Callable[[], PluginHost]) -> AgentSnapshot:
    """Resolve ``agent``'s tools, handoffs and guardrails; UserError on bad or duplicate names."""
    tools: list[FunctionTool] = []
    hosted: list[Mapping[str, Any]] = []
    for entry in agent.tools:
        if isinstance(entry, str):
            entry = _by_name(host, "tool", entry)
            if not isinstance(entry, FunctionTool):
                raise UserError(f"plugin tool {entry!r} is not a FunctionTool")
        if isinstance(entry, FunctionTool):
            tools.append(entry)
        else:
            hosted.append(dict(entry))
    check_unique_tool_names(agent, tools)
    return AgentSnapshot(
        agent=agent,
        tools={t.name: t for t in tools},
        handoffs={h.tool_name: h for h in agent.get_handoffs()},
        hosted_tools=tuple(hosted),
        guardrails=resolve_guardrails(agent.output_guardrails, host),
    )


def resolve_guardrails(
    guardrails: Any, host: Callable[[], PluginHost]
) -> tuple[OutputGuardrail, ...]:
    """Guardrail objects for a list of guardrails and plugin guardrail names."""
    resolved = []
    for entry in guardrails:
        if isinstance(entry, str):
            entry = _by_name(host, "guardrail", entry)
        if not isinstance(entry, OutputGuardrail):
            raise UserError(f"{entry!r} is not an OutputGuardrail (use @output_guardrail)")
        resolved.append(entry)
    return tuple(resolved)


def reachable_agents(agent: RealtimeAgent[Any]) -> list[RealtimeAgent[Any]]:
    """``agent`` and every agent reachable through handoffs, each once."""
    seen: dict[int, RealtimeAgent[Any]] = {}
    pending = [agent]
    while pending:
        current = pending.pop()
        if id(current) not in seen:
            seen[id(current)] = current
            pending.extend(h.agent for h in current.get_handoffs())
    return list(seen.values())


@attrs.frozen(kw_only=True)
class ConfigOptions:
    """The session options that shape its config."""

    model: str | None = None
    config: Mapping[str, Any] | None = None
    tracing_disabled: bool = False
    workflow_name: str | None = None
    group_id: str | None = None
    trace_metadata: Mapping[str, Any] | None = None


async def compute_session_config(
    snapshot: AgentSnapshot,
    ctx: RunContextWrapper[Any],
    options: ConfigOptions,
    *,
    last: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    pinned_voice: str | None = None,
) -> RealtimeSessionConfig:
    """The session config for ``snapshot``'s agent (see the module docstring)."""
    agent = snapshot.agent
    user = dict(options.config or {})
    extra = dict(overrides or {})
    config: dict[str, Any] = {**(last or {}), **user, **extra}
    instructions = await agent.get_system_prompt(ctx)
    if instructions is None:
        instructions = extra.get("instructions", user.get("instructions", ""))
    config["instructions"] = instructions
    voice = _voice(extra, user, agent)
    if pinned_voice is not None and voice not in (None, pinned_voice):
        logger.warning(
            "agent %r wants voice %r, but the session already spoke with %r; keeping it",
            agent.name,
            voice,
            pinned_voice,
        )
        voice = pinned_voice
    if voice is not None:
        _set_voice(config, voice)
    if options.model is not None:
        config["model"] = options.model
    config["tools"] = await _tool_definitions(snapshot, ctx)
    prompt = await agent.get_prompt(ctx)
    if prompt is not None:
        config["prompt"] = prompt
    elif "prompt" not in user and "prompt" not in extra:
        config.pop("prompt", None)
    config["tracing"] = _tracing(options, user)
    return cast("RealtimeSessionConfig", config)


def _nested_voice(config: Mapping[str, Any]) -> Any:
    audio = config.get("audio")
    output = audio.get("output") if isinstance(audio, Mapping) else None
    return output.get("voice") if isinstance(output, Mapping) else None


def _voice(overrides: Mapping[str, Any], user: Mapping[str, Any], agent: Any) -> str | None:
    for value in (
        _nested_voice(overrides),
        _nested_voice(user),
        overrides.get("voice"),
        user.get("voice"),
        agent.voice,
    ):
        if value:
            return str(value)
    return None


def _set_voice(config: dict[str, Any], voice: str) -> None:
    config["voice"] = voice
    if _nested_voice(config) is not None:
        audio = dict(config["audio"])
        audio["output"] = {**audio["output"], "voice": voice}
        config["audio"] = audio


async def _tool_definitions(snapshot: AgentSnapshot, ctx: Any) -> list[ToolDefinition]:
    agent = snapshot.agent
    tools: list[Any] = [
        t.definition() for t in snapshot.tools.values() if await t.enabled(ctx, agent)
    ]
    tools.extend(dict(t) for t in snapshot.hosted_tools)
    tools.extend(
        [h.definition() for h in snapshot.handoffs.values() if await h.enabled(ctx, agent)]
    )
    return tools


def _tracing(options: ConfigOptions, user: Mapping[str, Any]) -> TracingConfig | str | None:
    if options.tracing_disabled:
        return None
    if options.workflow_name:
        tracing: TracingConfig = {"workflow_name": options.workflow_name}
        if options.group_id:
            tracing["group_id"] = options.group_id
        if options.trace_metadata:
            tracing["metadata"] = dict(options.trace_metadata)
        return tracing
    if options.group_id or options.trace_metadata:
        logger.warning("group_id and trace_metadata need a workflow_name; tracing stays 'auto'")
    return user.get("tracing", "auto")  # type: ignore[no-any-return]

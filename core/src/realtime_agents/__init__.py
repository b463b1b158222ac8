"""Realtime voice agents over OpenAI's Realtime API, with pluggable transports.

Names are imported lazily on first use so that ``import realtime_agents`` stays cheap (it is
imported by every transport plugin, every CLI start and every Worker cold start).
"""

from __future__ import annotations

from .lazy import lazy_exports

# typing.TYPE_CHECKING without importing typing (≈6 ms, most of a bare ``import
# realtime_agents``, which every plugin's entry point and every CLI start pays); type checkers
# treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

__version__ = "0.1.0"

# name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    # session layer
    "RealtimeAgent": ".agent",
    "RealtimeSession": ".session",
    "tool": ".tools",
    "FunctionTool": ".tools",
    "background_result": ".tools",
    "Handoff": ".handoff",
    "realtime_handoff": ".handoff",
    "OutputGuardrail": ".guardrail",
    "GuardrailFunctionOutput": ".guardrail",
    "OutputGuardrailSettings": ".guardrail",
    "OutputGuardrailTripwireTriggered": ".guardrail",
    "output_guardrail": ".guardrail",
    "RunContextWrapper": ".run_context",
    "ToolContext": ".run_context",
    "ToolApprovalItem": ".session",
    # transport contract
    "RealtimeTransportLayer": ".transport",
    "RealtimeTransportEventTypes": ".events",
    "ConnectOptions": ".transport",
    # the shared OpenAI driver and its channel seam
    "OpenAIRealtimeTransport": ".driver",
    "Channel": ".driver",
    "ChannelRequest": ".driver",
    "CloseInfo": ".driver",
    # events
    "ConnectionStatus": ".events",
    "ServerEvent": ".events",
    "ErrorEvent": ".events",
    "FunctionCallEvent": ".events",
    "AudioEvent": ".events",
    "AudioInterruptedEvent": ".events",
    "TranscriptDeltaEvent": ".events",
    "OutputTextDeltaEvent": ".events",
    "AudioDoneEvent": ".events",
    "Usage": ".events",
    "ItemDeletedEvent": ".events",
    "ConnectionChangeEvent": ".events",
    "TurnStartedEvent": ".events",
    "TurnDoneEvent": ".events",
    "TurnDoneResponse": ".events",
    "InputAudioTranscriptionEvent": ".events",
    "McpToolsListedEvent": ".events",
    # history items
    "RealtimeItem": ".items",
    "SystemMessageItem": ".items",
    "UserMessageItem": ".items",
    "AssistantMessageItem": ".items",
    "FunctionCallItem": ".items",
    "McpCallItem": ".items",
    "McpApprovalRequestItem": ".items",
    "InputText": ".items",
    "InputAudio": ".items",
    "InputImage": ".items",
    "OutputText": ".items",
    "OutputAudio": ".items",
    # config
    "RealtimeSessionConfig": ".config",
    # errors
    "RealtimeAgentsError": ".errors",
    "UserError": ".errors",
    "ModelBehaviorError": ".errors",
    "TransportNotFoundError": ".errors",
    "ConnectionFailedError": ".errors",
    "ConnectionClosedError": ".errors",
    "HandlerError": ".errors",
    "NotSupportedError": ".errors",
    # plugins
    "hookimpl": ".plugins",
}

__all__ = [
    "AssistantMessageItem",
    "AudioDoneEvent",
    "AudioEvent",
    "AudioInterruptedEvent",
    "Channel",
    "ChannelRequest",
    "CloseInfo",
    "ConnectOptions",
    "ConnectionChangeEvent",
    "ConnectionClosedError",
    "ConnectionFailedError",
    "ConnectionStatus",
    "ErrorEvent",
    "FunctionCallEvent",
    "FunctionCallItem",
    "FunctionTool",
    "GuardrailFunctionOutput",
    "HandlerError",
    "Handoff",
    "InputAudio",
    "InputAudioTranscriptionEvent",
    "InputImage",
    "InputText",
    "ItemDeletedEvent",
    "McpApprovalRequestItem",
    "McpCallItem",
    "McpToolsListedEvent",
    "ModelBehaviorError",
    "NotSupportedError",
    "OpenAIRealtimeTransport",
    "OutputAudio",
    "OutputGuardrail",
    "OutputGuardrailSettings",
    "OutputGuardrailTripwireTriggered",
    "OutputText",
    "OutputTextDeltaEvent",
    "RealtimeAgent",
    "RealtimeAgentsError",
    "RealtimeItem",
    "RealtimeSession",
    "RealtimeSessionConfig",
    "RealtimeTransportEventTypes",
    "RealtimeTransportLayer",
    "RunContextWrapper",
    "ServerEvent",
    "SystemMessageItem",
    "ToolApprovalItem",
    "ToolContext",
    "TranscriptDeltaEvent",
    "TransportNotFoundError",
    "TurnDoneEvent",
    "TurnDoneResponse",
    "TurnStartedEvent",
    "Usage",
    "UserError",
    "UserMessageItem",
    "__version__",
    "background_result",
    "hookimpl",
    "output_guardrail",
    "realtime_handoff",
    "tool",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .agent import RealtimeAgent
    from .config import RealtimeSessionConfig
    from .driver import Channel, ChannelRequest, CloseInfo, OpenAIRealtimeTransport
    from .errors import (
        ConnectionClosedError,
        ConnectionFailedError,
        HandlerError,
        ModelBehaviorError,
        NotSupportedError,
        RealtimeAgentsError,
        TransportNotFoundError,
        UserError,
    )
    from .events import (
        AudioDoneEvent,
        AudioEvent,
        AudioInterruptedEvent,
        ConnectionChangeEvent,
        ConnectionStatus,
        ErrorEvent,
        FunctionCallEvent,
        InputAudioTranscriptionEvent,
        ItemDeletedEvent,
        McpToolsListedEvent,
        OutputTextDeltaEvent,
        RealtimeTransportEventTypes,
        ServerEvent,
        TranscriptDeltaEvent,
        TurnDoneEvent,
        TurnDoneResponse,
        TurnStartedEvent,
        Usage,
    )
    from .guardrail import (
        GuardrailFunctionOutput,
        OutputGuardrail,
        OutputGuardrailSettings,
        OutputGuardrailTripwireTriggered,
        output_guardrail,
    )
    from .handoff import Handoff, realtime_handoff
    from .items import (
        AssistantMessageItem,
        FunctionCallItem,
        InputAudio,
        InputImage,
        InputText,
        McpApprovalRequestItem,
        McpCallItem,
        OutputAudio,
        OutputText,
        RealtimeItem,
        SystemMessageItem,
        UserMessageItem,
    )
    from .plugins import hookimpl
    from .run_context import RunContextWrapper, ToolContext
    from .session import RealtimeSession, ToolApprovalItem
    from .tools import FunctionTool, background_result, tool
    from .transport import ConnectOptions, RealtimeTransportLayer

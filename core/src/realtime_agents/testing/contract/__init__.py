"""The transport contract suite, for any transport: ours, or yours.

Write a harness for your transport (a subclass of :class:`TransportHarness`), declare which
capabilities it has, and subclass the suite in one of your test modules::

    from realtime_agents.testing.contract import TransportContract
    from my_transport.testing import MyHarness

    class TestMyTransport(TransportContract):
        harness = MyHarness

Every test runs on its own event loop (no asyncio plugin needed). Tests needing a capability
your harness does not declare are reported as skipped with the reason. The classes can also
be used one by one (:class:`LifecycleContract`, :class:`ConversationContract`,
:class:`OpenAIWireContract`). Needs pytest.
"""

from ._harness import (
    AUDIO_IN,
    AUDIO_OUT,
    CANCELLABLE_CONNECT,
    CAPABILITIES,
    CONVERSATION,
    INPUT_TRANSCRIPTION,
    INTERRUPT,
    OPENAI_WIRE,
    PEER_DROP,
    Reply,
    Script,
    TransportHarness,
)
from ._suite import (
    SCRIPT,
    ConversationContract,
    Events,
    LifecycleContract,
    OpenAIWireContract,
    TransportContract,
)

__all__ = [
    "AUDIO_IN",
    "AUDIO_OUT",
    "CANCELLABLE_CONNECT",
    "CAPABILITIES",
    "CONVERSATION",
    "INPUT_TRANSCRIPTION",
    "INTERRUPT",
    "OPENAI_WIRE",
    "PEER_DROP",
    "SCRIPT",
    "ConversationContract",
    "Events",
    "LifecycleContract",
    "OpenAIWireContract",
    "Reply",
    "Script",
    "TransportContract",
    "TransportHarness",
]

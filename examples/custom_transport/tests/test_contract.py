"""Core's contract suite on the loopback transport: ``pytest tests`` from this folder.

The OpenAI-wire tests are reported as skipped (the harness does not declare
``openai_wire``); everything else must pass.
"""

from realtime_agents.testing.contract import TransportContract
from realtime_agents_loopback.testing import LoopbackHarness


class TestLoopback(TransportContract):
    harness = LoopbackHarness

"""The emulator's SIP edge (the ``[sip]`` extra): phone calls into Realtime sessions.

``Emulator(sip_port=..., webhook_url=..., webhook_secret=...)`` starts it; ``emu.sip`` is the
:class:`~.service.SipService` and ``emu.sip.calls`` its calls. Modules: ``service`` (the user
agent server and the Calls API's operations), ``calls_api`` (their HTTP routes), ``call`` (one
call: dialog, media, session), ``uas`` (UDP and retransmission), ``messages`` (SIP message
rules over ``sipmessage``), ``sdp``, ``rtp`` and ``webhook`` (Standard Webhooks signing).

Nothing is imported here, so that ``webhook`` (standard library and aiohttp only) can be used
without the extra's ``sipmessage``.
"""

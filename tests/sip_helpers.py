"""SIP test helpers shared by the emulator's SIP tests and the SIP transport's tests.

* :class:`Sipp`: one run of a real SIP phone (SIPp, Debian's ``sip-tester``) from a scenario;
* :func:`write_tone`: the raw G.711 file SIPp plays (SIPp would send a WAV header as audio);
* :class:`RtpRecorder` (the caller's ear), :func:`level` (voice or silence) and :class:`Caller`
  (an in-process SIP phone, for tests that need many short calls: starting SIPp per call costs
  far more than a call) are the emulator's own, from ``realtime_agents_emulator.sip.phone``.

Everything binds 127.0.0.1 on free ports, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from realtime_agents_emulator import AudioFormat, pcm16_silence, pcm16_tone
from realtime_agents_emulator.sip.phone import PCMU, SILENT_RMS, Caller, RtpRecorder, level

__all__ = [
    "PCMU",
    "SCENARIOS",
    "SILENT_RMS",
    "SIPP_TIMEOUT_S",
    "Caller",
    "RtpRecorder",
    "Sipp",
    "free_udp_port",
    "g711",
    "level",
    "write_tone",
]

#: The emulator tests' SIPp scenarios (other folders pass their own scenario paths).
SCENARIOS = Path(__file__).parent / "emulator" / "sip"
SIPP_TIMEOUT_S = 20


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def g711(*segments: tuple[str, int], codec: AudioFormat = PCMU) -> bytes:
    """Raw G.711 at 8 kHz from ("tone" | "silence", ms) segments."""
    pcm = b"".join(
        pcm16_tone(ms, amplitude=0.25) if kind == "tone" else pcm16_silence(ms)
        for kind, ms in segments
    )
    return codec.encode(pcm)


def write_tone(folder: Path, *segments: tuple[str, int], codec: AudioFormat = PCMU) -> None:
    """``tone.ulaw`` (or ``tone.alaw``) from ("tone" | "silence", ms) segments: raw G.711 at
    8 kHz, no header."""
    name = "tone.ulaw" if codec == PCMU else "tone.alaw"
    (folder / name).write_bytes(g711(*segments, codec=codec))


class Sipp:
    """One SIPp run (a single call) against a SIP port; ``scenario`` is a name in
    :data:`SCENARIOS` or a path."""

    def __init__(self, folder: Path, scenario: str | Path, sip_port: int, *args: str) -> None:
        self.folder = folder
        self.messages = folder / "messages.log"
        self.command = [
            "sipp",
            f"127.0.0.1:{sip_port}",
            "-sf",
            str(SCENARIOS / scenario),  # an absolute path replaces the folder
            "-s",
            "openai",
            "-i",
            "127.0.0.1",
            "-mi",
            "127.0.0.1",
            "-p",
            str(free_udp_port()),
            "-mp",
            str(free_udp_port()),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            f"{SIPP_TIMEOUT_S}s",
            "-trace_msg",
            "-message_file",
            str(self.messages),
            "-trace_err",
            "-error_file",
            str(folder / "errors.log"),
            *args,
        ]
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=self.folder,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )

    async def finish(self) -> str:
        """Wait for SIPp; its SIP message log. Fails with SIPp's errors if the call failed."""
        assert self._process is not None
        try:
            _, stderr = await asyncio.wait_for(self._process.communicate(), SIPP_TIMEOUT_S + 5)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
            raise
        errors = self.folder / "errors.log"
        details = errors.read_text(errors="replace") if errors.exists() else ""
        assert self._process.returncode == 0, f"sipp failed: {stderr.decode()[-2000:]}{details}"
        return self.messages.read_text(errors="replace")

    async def __aenter__(self) -> Sipp:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            process.kill()
            await process.wait()
        elif process.returncode != 0 and exc[0] is not None:  # say why the test waited in vain
            assert process.stderr is not None
            stderr = (await process.stderr.read()).decode(errors="replace")
            raise AssertionError(f"sipp exited with {process.returncode}: {stderr[-2000:]}")

"""``realtime-agents talk``, run as the installed script against an emulator on 127.0.0.1.

One emulator process serves the whole module (``realtime-agents emulator --port 0``, the port
read from its banner); it accepts one key, so the refused key is refused by a real server.
Its rules make the first audio turn of each session say a known sentence and answer it, so
the transcript lines are known exactly. Every error case checks the same promise: one line on
stderr, a non-zero exit, no traceback, the key nowhere.
"""

from __future__ import annotations

import array
import os
import re
import signal
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from realtime_agents.cli_talk_run import endpoint_for
from realtime_agents.install import install_hint
from realtime_agents_emulator.synth import synthetic_speech

SCRIPT = Path(sys.executable).with_name("realtime-agents")
KEY = "sk-talk-right-key-0123456789abcdef"
WRONG_KEY = "sk-talk-wrong-key-0123456789abcdef"
QUESTION = "What's the weather in Paris?"
ANSWER = "It is sunny in Paris."
RULES = f"""\
transcripts: ["{QUESTION}"]
rules:
  - when: {{text: "weather in (?P<city>\\\\w+)", instructions: "pirate", voice: "^cedar$"}}
    then: "Arr, it be sunny in {{city}}."
  - when: {{text: "weather in (?P<city>\\\\w+)"}}
    then: "It is sunny in {{city}}."
"""
#: Seconds of the emulator's synthetic voice for ANSWER (60 ms a character).
ANSWER_SECONDS = len(synthetic_speech(ANSWER)) / 48_000
UNRESOLVABLE = "a" * 64 + ".invalid"  # a label too long for DNS: refused before any lookup


@contextmanager
def serving(*options: str) -> Iterator[str]:
    """``realtime-agents emulator --port 0 OPTIONS`` until the block ends; its ws:// URL."""
    command = [str(SCRIPT), "emulator", "--port", "0", "--speech", "synthetic", *options]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env()
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the banner: it listens once it printed
        match = re.search(r"listening on http://(127\.0\.0\.1:\d+)", first)
        assert match, first
        yield f"ws://{match.group(1)}/v1/realtime"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The module's emulator: replies at once, to one key, as RULES say."""
    rules = tmp_path_factory.mktemp("emulator") / "rules.yaml"
    rules.write_text(RULES)
    with serving("--audio-speed", "0", "--api-key", KEY, "--brain", str(rules)) as url:
        yield url


def _env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess: ours without a key, base URL or disabled plugins."""
    dropped = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "REALTIME_AGENTS_DISABLE_PLUGINS")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, **extra}


def talk(*arguments: str, key: str | None = KEY, **env: str) -> subprocess.CompletedProcess[str]:
    """``realtime-agents talk ARGUMENTS`` with ``key`` as OPENAI_API_KEY."""
    if key is not None:
        env["OPENAI_API_KEY"] = key
    return subprocess.run(
        [str(SCRIPT), "talk", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_env(**env),
    )


def start_talk(*arguments: str, **env: str) -> subprocess.Popen[str]:
    """``realtime-agents talk ARGUMENTS`` running, its output piped, with the right key."""
    return subprocess.Popen(
        [str(SCRIPT), "talk", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(OPENAI_API_KEY=KEY, **env),
    )


def write_wav(path: Path, pcm: bytes, *, rate: int = 24_000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


@pytest.fixture
def question(tmp_path: Path) -> Path:
    """A spoken turn: the emulator's synthetic voice saying QUESTION, 24 kHz mono PCM16."""
    return write_wav(tmp_path / "question.wav", synthetic_speech(QUESTION))


@pytest.fixture
def long_question(tmp_path: Path) -> Path:
    """A turn of 4.6 s: long enough that the item with its audio no longer fits in one
    data-channel message (the library retrieves each transcribed item; over WebRTC the
    server answers ``event_too_large``, which talk must not report as a failure)."""
    words = f"{QUESTION} And what about tomorrow, and the day after that?"
    return write_wav(tmp_path / "long.wav", synthetic_speech(words))


def read_reply(path: Path) -> tuple[float, int]:
    """A saved reply's duration in seconds and its peak sample, checking its format."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24_000)
        samples = array.array("h", wav.readframes(wav.getnframes()))
        return wav.getnframes() / 24_000, max(abs(sample) for sample in samples)


def check_transcript(stdout: str, *, url: str, transport: str, output: Path) -> None:
    lines = stdout.splitlines()
    assert lines[0] == f"talking to {url} over {transport}, model gpt-realtime", stdout
    assert lines[1:3] == [f"user: {QUESTION}", f"Assistant: {ANSWER}"], stdout
    assert re.fullmatch(rf"saved \d+\.\d s of reply audio to {re.escape(str(output))}", lines[3])
    assert len(lines) == 4, stdout


# --- a turn from a WAV file ---------------------------------------------------------------


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
def test_an_input_turn_is_transcribed_and_the_reply_saved(
    emulator: str, long_question: Path, tmp_path: Path, transport: str
) -> None:
    reply = tmp_path / "reply.wav"
    result = talk(
        "--transport",
        transport,
        "--url",
        emulator,
        "--input",
        str(long_question),
        "--output",
        str(reply),
    )
    assert (result.returncode, result.stderr) == (0, "")
    url = emulator if transport == "websocket" else emulator.replace("ws://", "http://") + "/calls"
    check_transcript(result.stdout, url=url, transport=transport, output=reply)
    seconds, peak = read_reply(reply)
    if transport == "websocket":  # the emulator's audio, byte for byte
        assert seconds == ANSWER_SECONDS
    else:  # Opus over the track may shave or pad a frame or two at the edges
        assert seconds == pytest.approx(ANSWER_SECONDS, abs=0.2)
    assert peak > 2000  # speech-like, not silence
    assert f"saved {seconds:.1f} s" in result.stdout


def test_the_default_transport_is_webrtc_and_takes_the_websocket_url(
    emulator: str, tmp_path: Path
) -> None:
    """A WAV that is not 24 kHz mono (16 kHz stereo) is converted; the banner's ws:// URL
    becomes the calls URL WebRTC needs; without --output nothing is saved."""
    pcm = synthetic_speech(QUESTION)[: 24_000 * 2]  # 1 s
    stereo = array.array("h", pcm[::3][: len(pcm) // 3 // 2 * 2])  # ~16 kHz
    interleaved = array.array("h", (s for sample in stereo for s in (sample, sample)))
    source = write_wav(tmp_path / "stereo.wav", interleaved.tobytes(), rate=16_000, channels=2)
    result = talk("--url", emulator, "--input", str(source))
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        f"talking to {emulator.replace('ws://', 'http://')}/calls over webrtc, model gpt-realtime",
        f"user: {QUESTION}",
        f"Assistant: {ANSWER}",
    ]


def test_the_transcript_is_written_as_it_is_spoken(question: Path) -> None:
    """Against an emulator speaking in real time, the reply's line grows word by word: its
    text reaches the pipe in several writes over most of the reply's 1.3 s, not at its end."""
    with serving("--audio-speed", "1") as url:
        proc = start_talk("--transport", "websocket", "--url", url, "--input", str(question))
        assert proc.stdout is not None
        arrivals: list[tuple[float, bytes]] = []
        while chunk := os.read(proc.stdout.fileno(), 4096):
            arrivals.append((time.monotonic(), chunk))
        assert proc.wait(timeout=30) == 0
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()
    text = b"".join(chunk for _, chunk in arrivals).decode()
    assert text.splitlines()[1:] == ["user: Hello.", "Assistant: You said: Hello."]
    # From the reply's first words to its line's end (the last thing printed), a word every
    # 0.3 s: the line arrives in pieces, over most of a second.
    start = next(n for n, (_, chunk) in enumerate(arrivals) if b"Assistant" in chunk)
    reply = [at for at, _ in arrivals[start:]]
    assert len(reply) >= 3
    assert reply[-1] - reply[0] > 0.5


def test_a_reader_that_goes_away_early(emulator: str, question: Path, tmp_path: Path) -> None:
    """``talk ... | head -1``: the rest of the transcript is dropped, the turn still completes
    (the reply is saved) and nothing is reported."""
    reply = tmp_path / "reply.wav"
    proc = start_talk(
        "--transport", "websocket", "--url", emulator, "--input", str(question),
        "--output", str(reply),
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert proc.stdout.readline().startswith("talking to ws://127.0.0.1:")
    proc.stdout.close()
    assert proc.wait(timeout=30) == 0
    assert proc.stderr.read() == ""
    proc.stderr.close()
    assert read_reply(reply)[0] == ANSWER_SECONDS


@pytest.mark.parametrize(
    ("transport", "url", "expected"),
    [
        ("webrtc", "ws://h:1/v1/realtime?model=m", "http://h:1/v1/realtime/calls"),
        ("webrtc", "wss://h/v1/realtime/", "https://h/v1/realtime/calls"),
        ("webrtc", "https://h/v1/realtime/calls", "https://h/v1/realtime/calls"),
        ("websocket", "http://h:1/v1/realtime/calls", "ws://h:1/v1/realtime"),
        ("websocket", "https://h/v1/realtime?model=m", "wss://h/v1/realtime?model=m"),
        ("websocket", "ws://h:1/v1/realtime", "ws://h:1/v1/realtime"),
        ("loopback", "http://h:1/anything", "http://h:1/anything"),
    ],
)
def test_either_emulator_url_fits_either_transport(transport: str, url: str, expected: str) -> None:
    assert endpoint_for(transport, url) == expected


def test_the_calls_url_over_websocket(emulator: str, question: Path) -> None:
    calls = emulator.replace("ws://", "http://") + "/calls"
    result = talk("--transport", "websocket", "--url", calls, "--input", str(question))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"talking to {emulator} over websocket, model gpt-realtime",
        f"user: {QUESTION}",
        f"Assistant: {ANSWER}",
    ]


# --- errors: one line, a non-zero exit, no traceback, never the key -------------------------


def one_line(result: subprocess.CompletedProcess[str], *, code: int = 1) -> str:
    """The one error line (checked: exit status, nothing else printed, no key)."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert KEY not in result.stdout + result.stderr
    assert WRONG_KEY not in result.stdout + result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("realtime-agents talk: ")
    return result.stderr.removeprefix("realtime-agents talk: ").rstrip("\n")


def test_no_key(question: Path) -> None:
    result = talk("--input", str(question), key=None)
    assert one_line(result).startswith("OPENAI_API_KEY is not set")
    assert result.stdout == ""


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
def test_the_server_refuses_the_key(emulator: str, question: Path, transport: str) -> None:
    result = talk(
        "--transport", transport, "--url", emulator, "--input", str(question), key=WRONG_KEY
    )
    line = one_line(result)
    assert "Incorrect API key provided" in line
    assert "invalid_api_key" in line or "status 401" in line


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
def test_the_model_reaches_the_server(emulator: str, question: Path, transport: str) -> None:
    """--model is what the session asks for: a model the server does not serve is its error."""
    result = talk(
        "--transport", transport, "--url", emulator, "--input", str(question), "--model", "no-such"
    )
    line = one_line(result)
    assert "Invalid model: 'no-such'" in line
    assert KEY not in result.stdout + result.stderr


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
def test_the_instructions_and_the_voice_reach_the_server(
    emulator: str, question: Path, transport: str
) -> None:
    """The emulator's rule answers as a pirate only to those instructions in that voice."""
    asked = ("--transport", transport, "--url", emulator, "--input", str(question))
    pirate = talk(*asked, "--instructions", "Talk like a pirate.", "--voice", "cedar")
    assert (pirate.returncode, pirate.stderr) == (0, "")
    assert "Arr, it be sunny in Paris." in pirate.stdout
    other_voice = talk(*asked, "--instructions", "Talk like a pirate.", "--voice", "marin")
    assert (other_voice.returncode, other_voice.stderr) == (0, "")
    assert ANSWER in other_voice.stdout
    assert "Arr" not in other_voice.stdout


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
def test_an_unreachable_url(question: Path, transport: str) -> None:
    url = f"ws://127.0.0.1:{closed_port()}/v1/realtime"
    result = talk("--transport", transport, "--url", url, "--input", str(question))
    line = one_line(result)
    assert "127.0.0.1" in line
    assert "Connect call failed" in line
    assert result.stdout == ""


#: A ``sitecustomize`` for a machine whose resolver knows no name but loopback's (as offline):
#: a real lookup would ask a DNS server, and tests contact nothing but 127.0.0.1.
NO_DNS = """\
import socket

_lookup = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if host not in ("127.0.0.1", "localhost", "::1", None):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return _lookup(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo
"""


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
def test_a_host_the_resolver_does_not_know(question: Path, tmp_path: Path, transport: str) -> None:
    (tmp_path / "sitecustomize.py").write_text(NO_DNS)
    url = "wss://realtime.example.test/v1/realtime"
    result = talk(
        "--transport", transport, "--url", url, "--input", str(question),
        PYTHONPATH=str(tmp_path),
    )  # fmt: skip
    line = one_line(result)
    assert "realtime.example.test" in line
    assert "Name or service not known" in line


def test_without_url_it_is_openai(question: Path, tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(NO_DNS)
    result = talk("--transport", "websocket", "--input", str(question), PYTHONPATH=str(tmp_path))
    assert one_line(result) == (
        "could not connect to api.openai.com:443: [Errno -2] Name or service not known"
    )


def test_a_host_name_too_long_for_dns(question: Path) -> None:
    url = f"wss://{UNRESOLVABLE}/v1/realtime"
    result = talk("--transport", "websocket", "--url", url, "--input", str(question))
    assert one_line(result).startswith(f"cannot resolve the host of {url}: ")


def test_a_url_that_is_not_one(question: Path) -> None:
    result = talk("--url", "127.0.0.1:8000", "--input", str(question))
    assert one_line(result) == (
        "--url must be a ws://, wss://, http:// or https:// URL, not '127.0.0.1:8000'"
    )


def test_an_unknown_transport(question: Path) -> None:
    result = talk("--transport", "carrier-pigeon", "--input", str(question))
    line = one_line(result)
    assert line.startswith("unknown transport 'carrier-pigeon'; installed transports: ")
    assert "webrtc, websocket" in line


def test_a_transport_not_installed(question: Path) -> None:
    result = talk(
        "--transport",
        "webrtc",
        "--input",
        str(question),
        REALTIME_AGENTS_DISABLE_PLUGINS="webrtc",
    )
    assert one_line(result) == (
        f"the webrtc transport is not installed; {install_hint('realtime-agents-webrtc')}"
    )


def test_a_transport_talk_cannot_drive(question: Path) -> None:
    result = talk("--transport", "twilio", "--input", str(question))
    assert one_line(result).startswith("the twilio transport cannot be used by talk: ")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read {path}: no such file"),
        (
            b"not a wav at all",
            "cannot read {path}: it is not a PCM WAV file (file does not "
            "start with RIFF id), and PyAV cannot decode it (Invalid data found when processing "
            "input)",
        ),
        (
            b"RIFF",
            "cannot read {path}: it is not a PCM WAV file (truncated), and PyAV cannot "
            "decode it (Invalid data found when processing input)",
        ),
    ],
    ids=["missing", "not-a-wav", "truncated"],
)
def test_an_unreadable_wav(tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "input.wav"
    if content is not None:
        path.write_bytes(content)
    assert one_line(talk("--input", str(path))) == expected.format(path=path)


def test_another_format_without_pyav(tmp_path: Path) -> None:
    (tmp_path / "av.py").write_text("raise ImportError('No module named av')\n")
    path = write_wav(tmp_path / "cd.wav", bytes(44_100 * 4), rate=44_100, channels=2)
    assert one_line(talk("--input", str(path), PYTHONPATH=str(tmp_path))) == (
        f"cannot read {path}: it is 44100 Hz, 2 channel(s), 16-bit; talk reads 24 kHz mono "
        "16-bit WAV files as they are, and converts others with PyAV: install av: pip install av"
    )


def test_a_wav_too_short_for_a_turn(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "blip.wav", bytes(48 * 40))
    assert one_line(talk("--input", str(path))) == (
        f"{path} holds 40 ms of audio; a turn needs at least 100 ms"
    )


def test_an_output_that_cannot_be_written(question: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "reply.wav"
    line = one_line(talk("--input", str(question), "--output", str(target)))
    assert line == f"cannot write {target}: no such directory {target.parent}"


def test_input_and_mic_are_exclusive(question: Path) -> None:
    result = talk("--input", str(question), "--mic")
    assert result.returncode == 2
    assert "argument --mic: not allowed with argument --input" in result.stderr


# --- the microphone ---------------------------------------------------------------------


def test_mic_without_a_device(emulator: str, tmp_path: Path) -> None:
    """This machine has no sound card; with no ALSA configuration PortAudio sees no device."""
    result = talk("--mic", "--url", emulator, HOME=str(tmp_path))
    assert one_line(result) == (
        "--mic found no microphone (PortAudio sees no input device); "
        "use --input FILE.wav to send a recording instead"
    )


def test_mic_without_the_audio_extra(emulator: str, tmp_path: Path) -> None:
    (tmp_path / "sounddevice.py").write_text("raise ImportError('No module named sounddevice')\n")
    result = talk("--mic", "--url", emulator, PYTHONPATH=str(tmp_path))
    assert one_line(result) == (
        "--mic needs the webrtc transport's audio extra; "
        + install_hint("realtime-agents-webrtc", "audio")
        + ", on a machine with PortAudio (Debian: apt-get install libportaudio2)"
    )


def test_mic_over_another_transport(emulator: str) -> None:
    result = talk("--mic", "--transport", "websocket", "--url", emulator)
    assert (
        one_line(result) == "--mic needs the webrtc transport (it records and plays), not websocket"
    )


def test_mic_without_the_webrtc_transport(emulator: str) -> None:
    result = talk("--mic", "--url", emulator, REALTIME_AGENTS_DISABLE_PLUGINS="webrtc")
    assert one_line(result) == (
        "--mic needs the webrtc transport, which is not installed; "
        + install_hint("realtime-agents-webrtc", "audio")
    )


def test_mic_runs_until_ctrl_c(emulator: str, tmp_path: Path) -> None:
    """With ALSA's null device as the default (a microphone recording silence), the session
    listens until SIGINT, then closes cleanly: exit 0, nothing on stderr."""
    (tmp_path / ".asoundrc").write_text('pcm.!default { type plug slave.pcm "null" }\n')
    proc = start_talk("--mic", "--url", emulator, HOME=str(tmp_path))
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().startswith("talking to http://127.0.0.1:")
        assert proc.stdout.readline() == "listening: speak; Ctrl-C to stop\n"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, stdout, stderr) == (0, "", "")


def test_ctrl_c_during_an_input_turn_exits_130(emulator: str, tmp_path: Path) -> None:
    """WebRTC plays the input out in real time: 5 s of it are still going out at SIGINT."""
    path = write_wav(tmp_path / "long.wav", synthetic_speech(QUESTION * 2))
    proc = start_talk("--transport", "webrtc", "--url", emulator, "--input", str(path))
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().startswith("talking to http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, stdout, stderr) == (130, "", "")

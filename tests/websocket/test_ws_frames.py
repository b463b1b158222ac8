"""FastFrameReader against websockets' own framing, on arbitrarily split streams (hypothesis)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Close, Frame, Opcode

from realtime_agents_websocket._frames import FastFrameReader

SIZES = st.sampled_from([0, 1, 125, 126, 127, 65535, 65536]) | st.integers(0, 300)


def frame(opcode: Opcode, data: bytes, *, fin: bool = True, mask: bool = False) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=mask, extensions=[])


@st.composite
def handled_frames(draw: Any) -> tuple[bytes, list[tuple[str, Any]]]:
    """A frame the reader handles, and the callback it must produce."""
    kind = draw(st.sampled_from(["text", "binary", "ping", "pong"]))
    if kind == "text":
        size = draw(SIZES)
        text = draw(st.text(max_size=20))
        text += "x" * max(0, size - len(text.encode()))  # exact sizes around 126 and 65536
        return frame(Opcode.TEXT, text.encode()), [("text", text)]
    payload = draw(st.binary(max_size=125 if kind in ("ping", "pong") else 70000))
    opcode = {"binary": Opcode.BINARY, "ping": Opcode.PING, "pong": Opcode.PONG}[kind]
    return frame(opcode, payload), [(kind, payload)]


UNHANDLED = st.sampled_from(
    [
        frame(Opcode.CLOSE, Close(1000, "bye").serialize()),
        frame(Opcode.TEXT, b"frag", fin=False),
        frame(Opcode.CONT, b"ment"),
        frame(Opcode.TEXT, b"masked", mask=True),
        bytes([0xC1, 0x04]) + b"rsv1",  # RSV1 set without an extension
        bytes([0x83, 0x00]),  # reserved opcode
    ]
)


def run(stream: bytes, cuts: list[int], max_size: int | None = 1000) -> tuple[list, bytes | None]:
    calls: list[tuple[str, Any]] = []
    reader = FastFrameReader(
        max_size,
        on_text=lambda t: calls.append(("text", t)),
        on_binary=lambda b: calls.append(("binary", b)),
        on_ping=lambda p: calls.append(("ping", p)),
        on_pong=lambda p: calls.append(("pong", p)),
        on_invalid=lambda: calls.append(("invalid", None)),
    )
    bounds = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    for start, end in itertools.pairwise(bounds):
        rest = reader.feed(stream[start:end])
        if rest is not None:
            assert reader.done
            return calls, rest + stream[end:]
    return calls, None


@given(st.lists(handled_frames(), max_size=12), st.lists(st.integers(0, 10**6), max_size=8))
def test_handled_frames_arrive_whole_and_in_order(frames, cuts) -> None:
    stream = b"".join(f for f, _ in frames)
    calls, rest = run(stream, cuts, max_size=None)
    assert calls == [call for _, expected in frames for call in expected]
    assert rest is None


@given(
    st.lists(handled_frames(), max_size=6),
    UNHANDLED,
    st.lists(handled_frames(), max_size=3),
    st.lists(st.integers(0, 10**6), max_size=8),
)
def test_the_first_unhandled_frame_and_all_after_it_go_back(before, odd, after, cuts) -> None:
    prefix = b"".join(f for f, _ in before)
    tail = odd + b"".join(f for f, _ in after)
    calls, rest = run(prefix + tail, cuts, max_size=None)
    assert calls == [call for _, expected in before for call in expected]
    assert rest == tail


def test_oversized_frame_goes_back_at_its_header() -> None:
    big = frame(Opcode.TEXT, b"a" * 5000)
    calls, rest = run(big[:10], [], max_size=4096)  # payload not even arrived
    assert calls == []
    assert rest == big[:10]


def test_invalid_utf8_stops_after_that_frame() -> None:
    bad = frame(Opcode.TEXT, b"\xff\xfe")
    good = frame(Opcode.TEXT, b"ok")
    calls, rest = run(good + bad + good, [3, 7])
    assert calls == [("text", "ok"), ("invalid", None)]
    assert rest == good

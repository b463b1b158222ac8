"""AudioBuffer (the input buffer and stored items' audio) reads as a bytearray would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from realtime_agents_emulator.audio_buffer import AudioBuffer

_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.binary(max_size=40)),
        st.tuples(st.just("keep_first"), st.integers(-5, 200)),
        st.tuples(st.just("drop_first"), st.integers(-5, 200)),
        st.tuples(st.just("read"), st.none()),
        st.tuples(st.just("clear"), st.none()),
    ),
    max_size=40,
)


@given(st.binary(max_size=30), _OPERATIONS)
def test_it_holds_what_a_bytearray_holds(
    initial: bytes, operations: list[tuple[str, object]]
) -> None:
    buffer, model = AudioBuffer(initial), bytearray(initial)
    for name, argument in operations:
        if name == "append":
            assert isinstance(argument, bytes)
            buffer.append(argument)
            model += argument
        elif name == "keep_first":
            assert isinstance(argument, int)
            buffer.keep_first(argument)
            del model[max(0, argument) :]
        elif name == "drop_first":
            assert isinstance(argument, int)
            buffer.drop_first(argument)
            del model[: max(0, argument)]
        elif name == "clear":
            buffer.clear()
            model.clear()
        else:
            assert bytes(buffer) == model
        assert len(buffer) == len(model)
    again = bytes(buffer)  # reading twice reads the same (the join is kept), always as bytes
    assert again == model
    assert type(again) is bytes


def test_appending_keeps_the_chunks_and_reading_joins_them_once() -> None:
    buffer = AudioBuffer()
    chunk = bytes(960)
    for _ in range(50):
        buffer.append(chunk)
    assert "50 chunks" in repr(buffer)  # no copy of what came before, per append
    joined = bytes(buffer)
    assert joined == chunk * 50
    assert len(buffer) == 48_000
    assert bytes(buffer) is joined
    assert "1 chunks" in repr(buffer)
    buffer.append(b"")
    assert "1 chunks" in repr(buffer)

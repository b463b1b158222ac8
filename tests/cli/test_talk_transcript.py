"""The live transcript of ``realtime-agents talk``: one line per turn, in the conversation's
order, even when the API's events for two turns interleave (pure: no session)."""

from __future__ import annotations

from realtime_agents.cli_talk_transcript import NO_TEXT, TranscriptPrinter


class Screen:
    """What the printer wrote, and each write as it came."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)

    @property
    def text(self) -> str:
        return "".join(self.writes)


def test_deltas_are_written_as_they_arrive() -> None:
    screen = Screen()
    printer = TranscriptPrinter(screen.write)
    printer.expect("u1", "user")
    assert screen.text == "user: "  # the user's turn is on screen before any word
    printer.add("u1", "user", "Hello ")
    printer.add("u1", "user", "there")
    assert screen.text == "user: Hello there"
    printer.finish("u1", "user", "Hello there.")  # the whole text completes the deltas
    printer.add("r1", "Assistant", "Hi")
    printer.add("r1", "Assistant", "!")
    printer.finish("r1", "Assistant", "Hi!")
    assert screen.writes == ["user: ", "Hello ", "there", ".", "\n", "Assistant: ", "Hi", "!", "\n"]


def test_a_reply_that_outruns_the_users_transcript_waits_for_its_line() -> None:
    """The API transcribes the user while the agent already answers: the reply's deltas are
    held until the user's line is complete, then caught up at once."""
    screen = Screen()
    printer = TranscriptPrinter(screen.write)
    printer.expect("u1", "user")
    printer.add("r1", "Assistant", "Sure, ")
    printer.add("r1", "Assistant", "it is sunny")
    assert screen.text == "user: "
    printer.add("u1", "user", "Weather?")
    printer.finish("u1", "user", "Weather?")
    assert screen.text == "user: Weather?\nAssistant: Sure, it is sunny"
    printer.add("r1", "Assistant", ".")
    printer.finish("r1", "Assistant", "Sure, it is sunny.")
    assert screen.text == "user: Weather?\nAssistant: Sure, it is sunny.\n"


def test_a_turn_without_text_and_late_events_of_finished_turns() -> None:
    screen = Screen()
    printer = TranscriptPrinter(screen.write)
    printer.expect("u1", "user")
    printer.finish("u1", "user")  # the transcription failed
    printer.expect("u1", "user")  # a later update of the same item: no second line
    printer.add("u1", "user", "late")
    printer.finish("r1", "Assistant", "Hello.")
    printer.finish("r1", "Assistant", "Hello again.")
    assert screen.text == f"user: {NO_TEXT}\nAssistant: Hello.\n"


def test_whole_text_that_disagrees_with_the_deltas_keeps_what_was_printed() -> None:
    screen = Screen()
    printer = TranscriptPrinter(screen.write)
    printer.add("u1", "user", "helo")
    printer.finish("u1", "user", "Hello.")
    assert screen.text == "user: helo\n"


def test_close_ends_every_open_turn_in_order() -> None:
    screen = Screen()
    printer = TranscriptPrinter(screen.write)
    printer.expect("u1", "user")
    printer.add("r1", "Assistant", "Half a rep")
    printer.close()
    assert screen.text == f"user: {NO_TEXT}\nAssistant: Half a rep\n"


def test_a_transcript_that_never_comes_does_not_hold_back_every_later_line() -> None:
    screen = Screen()
    printer = TranscriptPrinter(screen.write)
    printer.expect("u0", "user")  # never transcribed
    for n in range(1, 17):
        printer.finish(f"r{n}", "Assistant", f"reply {n}")
    # Seventeen open turns are one too many: the oldest is ended, the rest catch up.
    assert screen.text.splitlines() == [f"user: {NO_TEXT}"] + [
        f"Assistant: reply {n}" for n in range(1, 17)
    ]


def test_on_idle_says_whether_every_line_is_complete() -> None:
    """What talk waits on after a reply: the user's transcript may come after it."""
    screen = Screen()
    idle: list[bool] = []
    printer = TranscriptPrinter(screen.write, on_idle=idle.append)
    printer.expect("u1", "user")
    printer.finish("r1", "Assistant", "Sunny.")
    printer.add("u1", "user", "Weather?")
    printer.finish("u1", "user", "Weather?")
    assert idle == [False, False, False, True]
    assert screen.text == "user: Weather?\nAssistant: Sunny.\n"

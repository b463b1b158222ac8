"""Rules files: a deterministic brain configured in JSON or YAML (or built in Python).

Format (YAML shown; JSON is the same structure)::

    transcripts:                 # optional: what the 1st, 2nd, … audio turns say
      - "What's the weather in Paris?"
    rules:                       # first match wins
      - when: {text: "weather in (?P<city>\\\\w+)"}     # regex, searched case-insensitively
        then:
          - call: get_weather
            arguments: {city: "{city}"}
      - when: {tool: get_weather, output: "(?P<temp>\\\\d+)"}
        then: "It is {temp} degrees in Paris."        # a string is one `say`
      - when: {audio: 2}                               # the 2nd audio turn …
        transcript: "Tell me a long story"             # … says this
        then:
          - say: "Once upon a time…"
            audio_ms: 3000                             # a reply exactly 3 s long
      - when: {text: "crash"}
        then:
          - error: {message: "boom", code: server_error}
      - when: {instructions: "pirate", voice: "cedar"}  # what the session asked of the model
        then: "Arr, {text}"
    fallback: echo               # echo (default) | silent | a list of actions

``when`` keys (all given ones must match; none = always): ``text`` (regex over the user's text or
the audio transcript), ``audio`` (the n-th audio turn, or ``"*"``), ``tool`` (the tool whose output
is being answered), ``output`` (regex over that output), ``instructions`` and ``voice`` (regexes
over the response's instructions and voice: what the session or ``response.create`` set). Replies
may use ``{name}`` / ``{1}`` for regex groups, and ``{text}``, ``{output}``, ``{tool}``,
``{instructions}``, ``{voice}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .brain import Action, AudioTurn, Brain, CallFunction, EchoBrain, Fail, Reply, Say, Turn

__all__ = ["Rule", "RulesBrain"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Rule:
    """One rule: conditions (``None`` = don't care) and the reply actions.

    ``audio`` is the 1-based order of the audio turn or ``"*"`` for any audio turn.
    """

    then: Sequence[Action]
    text: str | None = None
    audio: int | str | None = None
    tool: str | None = None
    output: str | None = None
    instructions: str | None = None
    voice: str | None = None
    transcript: str | None = None
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in ("text", "output", "instructions", "voice"):
            pattern = getattr(self, key)
            if pattern is not None:
                self._patterns[key] = re.compile(pattern, re.IGNORECASE)
        if self.audio is not None and self.audio != "*" and not isinstance(self.audio, int):
            raise ValueError(f"'audio' must be a turn number or '*', not {self.audio!r}")

    def matches_audio(self, index: int | None) -> bool:
        return index is not None and self.audio in ("*", index)

    def match(self, turn: Turn) -> dict[str, str] | None:
        """The template variables if the rule matches ``turn``, else ``None``."""
        values = {
            "text": turn.text,
            "output": turn.tool_output or "",
            "tool": turn.tool_name or "",
            "instructions": turn.instructions,
            "voice": turn.voice,
        }
        if self.audio is not None and not (
            turn.kind == "audio" and self.matches_audio(turn.audio_index)
        ):
            return None
        if self.tool is not None and not (
            turn.kind == "tool_output" and turn.tool_name == self.tool
        ):
            return None
        subjects = (
            ("text", turn.text),
            ("output", turn.tool_output),
            ("instructions", turn.instructions),
            ("voice", turn.voice),
        )
        for key, subject in subjects:
            pattern = self._patterns.get(key)
            if pattern is None:
                continue
            if key == "text" and turn.kind not in ("text", "audio"):
                return None
            found = pattern.search(subject or "")
            if found is None:
                return None
            values.update({k: v for k, v in found.groupdict().items() if v is not None})
            values.update({str(i): g for i, g in enumerate(found.groups(), 1) if g is not None})
        return values


class RulesBrain(Brain):
    """A brain driven by :class:`Rule` objects (the first match wins).

    Turns no rule matches go to ``fallback``: a brain (default :class:`EchoBrain`) or a fixed
    list of actions (``()`` = an empty response). Audio turns are heard as the ``transcript`` of a
    matching ``audio`` rule, else the n-th of ``transcripts``, else as the fallback brain hears
    them.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        transcripts: Sequence[str] = (),
        fallback: Brain | Sequence[Action] | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.transcripts = tuple(transcripts)
        self.fallback: Brain | Sequence[Action] | None = (
            EchoBrain() if fallback is None else fallback
        )

    @classmethod
    def from_file(cls, path: str | Path) -> RulesBrain:
        """Load a ``.json``, ``.yaml`` or ``.yml`` rules file."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return cls.from_dict(data or {})

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RulesBrain:
        """Build from the parsed rules-file structure; ``ValueError`` explains any mistake."""
        if not isinstance(data, Mapping):
            raise ValueError("a rules file must be a mapping with a 'rules' list")
        unknown = set(data) - {"rules", "transcripts", "fallback"}
        if unknown:
            raise ValueError(f"unknown top-level keys in rules file: {sorted(unknown)}")
        rules = [_parse_rule(entry, n) for n, entry in enumerate(_as_list(data.get("rules")), 1)]
        transcripts = [str(t) for t in _as_list(data.get("transcripts"))]
        return cls(rules, transcripts, _parse_fallback(data.get("fallback", "echo")))

    def transcribe(self, audio: AudioTurn) -> str:
        for rule in self.rules:
            if rule.transcript is not None and rule.matches_audio(audio.index):
                return rule.transcript
        if audio.index <= len(self.transcripts):
            return self.transcripts[audio.index - 1]
        if isinstance(self.fallback, Brain):
            return self.fallback.transcribe(audio)
        return super().transcribe(audio)

    def respond(self, turn: Turn) -> Reply | Awaitable[Reply]:
        for rule in self.rules:
            values = rule.match(turn)
            if values is not None:
                return [_render(action, values) for action in rule.then]
        if isinstance(self.fallback, Brain):
            return self.fallback.respond(turn)
        return list(self.fallback or ())


def _render(action: Action, values: Mapping[str, str]) -> Action:
    if isinstance(action, Say):
        return Say(_fill(action.text, values), action.audio_ms)
    if isinstance(action, CallFunction):
        arguments = action.arguments
        filled = (
            _fill(arguments, values)
            if isinstance(arguments, str)
            else {key: _fill_json(item, values) for key, item in arguments.items()}
        )
        return CallFunction(_fill(action.name, values), filled, action.call_id)
    return Fail(_fill(action.message, values), action.code, action.type)


def _fill(template: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _fill_json(value: object, values: Mapping[str, str]) -> object:
    if isinstance(value, str):
        return _fill(value, values)
    if isinstance(value, Mapping):
        return {key: _fill_json(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_json(item, values) for item in value]
    return value


# -- parsing ----------------------------------------------------------------------------------


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return value


_WHEN_KEYS = frozenset({"text", "audio", "tool", "output", "instructions", "voice"})


def _parse_rule(entry: object, number: int) -> Rule:
    where = f"rule {number}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: must be a mapping with 'when' and 'then'")
    unknown = set(entry) - {"when", "then", "transcript"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    when = entry.get("when") or {}
    if not isinstance(when, Mapping) or set(when) - _WHEN_KEYS:
        raise ValueError(
            f"{where}: 'when' may only have text, audio, tool, output, instructions and voice"
        )
    transcript = entry.get("transcript")
    try:
        return Rule(
            then=_parse_actions(entry.get("then", []), where),
            text=_optional_str(when.get("text")),
            audio=_audio_condition(when.get("audio")),
            tool=_optional_str(when.get("tool")),
            output=_optional_str(when.get("output")),
            instructions=_optional_str(when.get("instructions")),
            voice=_optional_str(when.get("voice")),
            transcript=None if transcript is None else str(transcript),
        )
    except re.error as exc:
        raise ValueError(f"{where}: invalid regular expression: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _audio_condition(value: object) -> int | str | None:
    if value is None or value == "*" or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"'audio' must be a turn number or '*', not {value!r}")


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _parse_fallback(value: object) -> Brain | Sequence[Action]:
    if value == "echo":
        return EchoBrain()
    if value == "silent":
        return ()
    return _parse_actions(value, "fallback")


def _parse_actions(value: object, where: str) -> list[Action]:
    if isinstance(value, str):
        return [Say(value)]
    if not isinstance(value, list):
        raise ValueError(f"{where}: 'then' must be a string or a list of actions")
    return [_parse_action(action, where) for action in value]


def _parse_action(action: object, where: str) -> Action:
    if isinstance(action, str):
        return Say(action)
    if not isinstance(action, Mapping):
        raise ValueError(f"{where}: each action must be a string or a mapping")
    if "say" in action:
        _only(action, {"say", "audio_ms"}, where)
        audio_ms = action.get("audio_ms")
        if audio_ms is not None and (not isinstance(audio_ms, int) or audio_ms <= 0):
            raise ValueError(f"{where}: 'audio_ms' must be a positive integer")
        return Say(str(action["say"]), audio_ms)
    if "call" in action:
        _only(action, {"call", "arguments", "call_id"}, where)
        arguments = action.get("arguments", {})
        if not isinstance(arguments, Mapping | str):
            raise ValueError(f"{where}: 'arguments' must be a mapping or a JSON string")
        call_id = action.get("call_id")
        return CallFunction(
            str(action["call"]), arguments, None if call_id is None else str(call_id)
        )
    if "error" in action:
        _only(action, {"error"}, where)
        error = action["error"]
        if isinstance(error, str):
            return Fail(error)
        if not isinstance(error, Mapping) or set(error) - {"message", "code", "type"}:
            raise ValueError(f"{where}: 'error' must be a message or {{message, code, type}}")
        code = error.get("code", "server_error")  # an explicit null means code: null
        return Fail(
            str(error.get("message", Fail.message)),
            None if code is None else str(code),
            str(error.get("type", "server_error")),
        )
    raise ValueError(f"{where}: an action needs one of 'say', 'call' or 'error'")


def _only(action: Mapping[str, object], allowed: set[str], where: str) -> None:
    extra = set(action) - allowed
    if extra:
        raise ValueError(f"{where}: unexpected keys {sorted(extra)} in action")

import platform

import pytest

from realtime_agents.errors import UserError
from realtime_agents.protocol import (
    OPENAI_REALTIME_URL,
    auth_headers,
    browser_subprotocols,
    realtime_url,
    redact,
    redact_key,
    sdk_headers,
    sdk_version,
)


def test_url_precedence() -> None:
    assert (
        realtime_url("m", url="wss://azure/x", call_id="c", default_url="wss://d")
        == "wss://azure/x"
    )
    assert (
        realtime_url("m", call_id="rtc_1", default_url="wss://d")
        == f"{OPENAI_REALTIME_URL}?call_id=rtc_1"
    )
    assert realtime_url("m", default_url="wss://d") == "wss://d"
    assert realtime_url("gpt-realtime") == "wss://api.openai.com/v1/realtime?model=gpt-realtime"


def test_url_parameters_are_quoted() -> None:
    assert realtime_url("m", call_id="a&b=c") == f"{OPENAI_REALTIME_URL}?call_id=a%26b%3Dc"
    assert realtime_url("a b/c") == f"{OPENAI_REALTIME_URL}?model=a%20b%2Fc"


def test_headers() -> None:
    version = sdk_version()
    assert sdk_headers() == {
        "User-Agent": f"realtime-agents/{version} Python/{platform.python_version()}",
        "X-OpenAI-Agents-SDK": f"realtime-agents.{version}",
    }
    assert auth_headers("sk-test") == {"Authorization": "Bearer sk-test", **sdk_headers()}
    assert "OpenAI-Beta" not in auth_headers("sk-test")


def test_browser_subprotocols_refuse_long_lived_keys() -> None:
    with pytest.raises(UserError, match="ephemeral ek_ key"):
        browser_subprotocols("sk-live-123")
    assert "openai-insecure-api-key.sk-live-123" in browser_subprotocols(
        "sk-live-123", use_insecure_api_key=True
    )


def test_browser_subprotocols() -> None:
    assert browser_subprotocols("ek_123") == [
        "realtime",
        "openai-insecure-api-key.ek_123",
        f"realtime-agents.{sdk_version()}",
    ]
    protocols = browser_subprotocols("ek_123", organization="org_1", project="proj_1")
    assert protocols[2:4] == ["openai-organization.org_1", "openai-project.proj_1"]


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (None, "<none>"),
        ("", "<none>"),
        ("sk-test", "sk-***"),
        ("sk-proj-abcdefghijklmnopqrstuvwxyz1234", "sk-proj-***1234"),
        ("ek_68af296e8e408191a1120ab6383263c2", "ek_***63c2"),
        ("short", "***"),
    ],
)
def test_redact_key(key: str | None, shown: str) -> None:
    assert redact_key(key) == shown


def test_redact_text() -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz1234"
    text = f"failed: Authorization: Bearer {key}; protocols realtime, openai-insecure-api-key.{key}"
    cleaned = redact(text, key)
    assert key not in cleaned
    assert "abcdefghijklmnop" not in cleaned
    assert "Bearer sk-proj-***" in cleaned
    assert redact("token ek_68af296e8e408191a1120ab6383263c2 leaked") == "token ek_***63c2 leaked"
    assert redact("custom-secret-value in url", "custom-secret-value") == "*** in url"


def _chain(error: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    pending = [error]
    while pending:
        link = pending.pop()
        if link is None or any(link is s for s in seen):
            continue
        seen.append(link)
        pending += [link.__cause__, link.__context__]
    return seen


def test_cut_secret_links_detaches_every_link_that_mentions_the_key() -> None:
    from realtime_agents.protocol.connection import cut_secret_links

    secret = "plain-secret-value-123"
    clean = ValueError("nothing to see")
    leaky_context = OSError(f"header Authorization: Bearer {secret}")
    leaky_context.__context__ = clean
    middle = RuntimeError("wrapped")
    middle.__context__ = leaky_context
    noted = KeyError("x")
    noted.add_note(f"url was wss://host/?key={secret}")
    middle.__cause__ = noted
    top = ConnectionError("the connection failed")
    top.__cause__ = middle
    assert cut_secret_links(top, secret) is top
    chain = _chain(top)
    assert chain == [top, middle]
    assert not any(secret in repr(e) or secret in str(e) for e in chain)
    untouched = ConnectionError("x")
    untouched.__context__ = clean
    assert _chain(cut_secret_links(untouched, None)) == [untouched, clean]

import realtime_agents.protocol as protocol


def test_public_names() -> None:
    assert sorted(protocol.__all__) == sorted(
        [
            "OPENAI_REALTIME_URL",
            "PCM_24K",
            "SERVER_EVENT_TYPES",
            "Events",
            "MalformedServerEventError",
            "MediaMode",
            "OddAudioDeltaError",
            "UnreadableFrameError",
            "OpenAIRealtimeProtocol",
            "PlaybackTracker",
            "ResponseControl",
            "ResponseCreateSequencer",
            "Truncation",
            "Wants",
            "WireAudioFormat",
            "auth_headers",
            "browser_subprotocols",
            "build_session_payload",
            "normalize_audio_format",
            "realtime_url",
            "redact",
            "redact_key",
            "sdk_headers",
            "sdk_version",
        ]
    )
    for name in protocol.__all__:
        assert getattr(protocol, name) is not None


def test_protocol_modules_do_no_io() -> None:
    """Sans-I/O: no module of the package imports an event loop, sockets or threads."""
    import ast
    import pathlib

    forbidden = {"asyncio", "socket", "threading", "selectors", "ssl", "pydantic"}
    for path in pathlib.Path(protocol.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported = {node.module.split(".")[0]}
            else:
                continue
            assert not imported & forbidden, (path.name, imported)

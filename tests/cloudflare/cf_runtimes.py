"""Starting the JavaScript runtimes of the Cloudflare tests: Node, and workerd on a free port.

Both come from ``tests/cloudflare/node_modules`` (``npm ci`` there, pinned by its lockfile);
nothing is downloaded at test time. Every process is bounded in time and stopped by the code
that started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
JS = HERE / "js"
NODE_MODULES = HERE / "node_modules"
WORKERD = NODE_MODULES / ".bin" / "workerd"

#: The npm packages of the two Pyodide generations Python Workers use.
PYODIDES = {"3.13": "pyodide", "3.14": "pyodide-314"}

CASE_OUTCOMES = "results"


def node() -> str:
    found = shutil.which("node")
    assert found is not None, "node is not installed (tests/cloudflare needs Node 20)"
    _installed()
    return found


def _installed() -> None:
    assert WORKERD.exists(), (
        f"{NODE_MODULES} is missing or incomplete: run `npm ci --prefix tests/cloudflare` "
        "(as .ci/run does)"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def run_node(script: Path, argument: str, timeout: float) -> str:
    """``node script argument``'s stdout; fails with its stderr if it fails or takes too long."""
    process = await asyncio.create_subprocess_exec(
        node(),
        str(script),
        argument,
        cwd=JS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")[-4000:]
    return out.decode()


def last_json(output: str) -> Any:
    """The last line of ``output`` that is a JSON object (runtimes log other lines too)."""
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"no JSON result in the output:\n{output[-4000:]}")


async def post_json(url: str, body: Any, timeout: float) -> Any:
    """POST ``body`` as JSON; the JSON answer (any other status fails with its text)."""
    import aiohttp

    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as client,
        client.post(url, json=body) as answer,
    ):
        text = await answer.text()
        assert answer.status == 200, text[-4000:]
        return json.loads(text)


@contextlib.asynccontextmanager
async def workerd(config: Path, port: int, timeout: float = 20.0) -> AsyncIterator[None]:
    """``workerd serve config`` until the block ends, once it listens on ``port``."""
    _installed()
    process = await asyncio.create_subprocess_exec(
        str(WORKERD),
        "serve",
        str(config),
        "--experimental",
        cwd=config.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            while True:
                if process.returncode is not None:
                    err = await process.stderr.read() if process.stderr else b""
                    raise AssertionError(f"workerd exited: {err.decode(errors='replace')}")
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    await writer.wait_closed()
                    break
                await asyncio.sleep(0.05)
        yield
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()

"""A workerd configuration running ``js/worker.mjs`` with one Pyodide and one compat date.

The worker's modules are linked into a fresh directory next to the generated
``config.capnp`` (``embed`` paths are relative to it). The built-in ``internet`` service is
replaced by one that may reach loopback, where the emulator listens; workerd refuses
private addresses otherwise.
"""

from __future__ import annotations

from pathlib import Path

from cf_runtimes import JS, NODE_MODULES

_CONFIG = """\
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:{port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "worker_shim.mjs", esModule = embed "worker_shim.mjs"),
    (name = "spy.mjs", esModule = embed "spy.mjs"),
    (name = "probe.mjs", esModule = embed "probe.mjs"),
    (name = "bench_raw.mjs", esModule = embed "bench_raw.mjs"),
    (name = "pyodide.mjs", esModule = embed "pyodide.mjs"),
    (name = "pyodide.asm.js", esModule = embed "pyodide.asm.js"),
    (name = "pyodide.asm.mjs", esModule = embed "pyodide.asm.mjs"),
    (name = "pyodide.asm.wasm", wasm = embed "pyodide.asm.wasm"),
    (name = "python_stdlib.zip", data = embed "python_stdlib.zip"),
    (name = "pyodide-lock.json", json = embed "pyodide-lock.json"),
    (name = "bundle.zip", data = embed "bundle.zip"),
  ],
  compatibilityDate = "{compat}",
  bindings = [(name = "UNSAFE_EVAL", unsafeEval = void)],
);
"""

#: Stand-ins for the loader the other Pyodide generation has (0.28: pyodide.asm.js sets a
#: global; 314: pyodide.asm.mjs exports it), so one worker.mjs imports both names.
_STUBS = {
    "pyodide.asm.js": "// Pyodide 314 has no pyodide.asm.js\n",
    "pyodide.asm.mjs": "// Pyodide 0.28 has no pyodide.asm.mjs\nexport default undefined;\n",
}


def write_config(directory: Path, *, pyodide: str, compat: str, port: int, bundle: Path) -> Path:
    """``directory/config.capnp`` and the modules it embeds; returns the config's path."""
    directory.mkdir(parents=True, exist_ok=True)
    package = NODE_MODULES / pyodide
    for name in ("worker.mjs", "worker_shim.mjs", "spy.mjs", "probe.mjs", "bench_raw.mjs"):
        (directory / name).symlink_to(JS / name)
    for name, stub in _STUBS.items():
        if (package / name).exists():
            (directory / name).symlink_to(package / name)
        else:
            (directory / name).write_text(stub)
    for name in ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"):
        (directory / name).symlink_to(package / name)
    (directory / "bundle.zip").symlink_to(bundle)
    config = directory / "config.capnp"
    config.write_text(_CONFIG.replace("{port}", str(port)).replace("{compat}", compat))
    return config

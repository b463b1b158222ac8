"""The Python a Pyodide runtime needs for the scenarios, as one zip, built offline.

Pyodide has no network here (and micropip would only log a failed CDN fetch), so everything
is mounted from a zip unpacked into ``/site``:

* our wheels (core and the plugin), built from the workspace with ``uv build --offline``
  (hatchling comes from uv's cache, filled by ``uv sync``), unpacked with their
  ``.dist-info`` so entry points are found;
* the pure-Python dependencies (attrs, blinker, pluggy, typing_extensions) copied from the
  workspace's own environment, file by file as their ``RECORD`` lists them;
* the scenarios, ``cf_cases.py``, and their runner at the top; the example Worker as
  ``cf_example_entry.py``, with a stand-in for Cloudflare's ``workers`` module.

pydantic is left out on purpose: its core is a C extension with no wasm wheel available
offline, and the scenarios do not need it (core imports it only to build tools from
annotations).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLE = ROOT / "examples" / "cloudflare_worker" / "src" / "entry.py"
OUR_PACKAGES = ("realtime-agents", "realtime-agents-cloudflare")
PURE_DEPENDENCIES = ("attrs", "blinker", "pluggy", "typing_extensions")


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    return found


def build_wheels(out: Path) -> list[Path]:
    """Our wheels, from the workspace, without network access."""
    for package in OUR_PACKAGES:
        subprocess.run(
            [_uv(), "build", "--offline", "--wheel", "--package", package, "--out-dir", str(out)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
    return sorted(out.glob("*.whl"))


def _add_distribution(archive: zipfile.ZipFile, name: str) -> None:
    dist = importlib.metadata.distribution(name)
    for file in dist.files or ():
        if file.parts[0] == ".." or "__pycache__" in file.parts:
            continue  # scripts outside site-packages, bytecode for another interpreter
        archive.write(Path(str(dist.locate_file(file))), str(file))


def build_bundle(work: Path) -> Path:
    """``work/bundle.zip``: wheels, pure dependencies and the scenarios (see the docstring)."""
    wheels = build_wheels(work / "wheels")
    bundle = work / "bundle.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as source:
                for item in source.infolist():
                    archive.writestr(item, source.read(item))
        for name in PURE_DEPENDENCIES:
            _add_distribution(archive, name)
        archive.write(HERE / "cf_cases.py", "cf_cases.py")
        archive.write(HERE / "cf_pyodide_main.py", "cf_pyodide_main.py")
        archive.write(HERE / "cf_workers_stub.py", "workers.py")
        archive.write(EXAMPLE, "cf_example_entry.py")
    return bundle

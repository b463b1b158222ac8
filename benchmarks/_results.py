"""The machine-readable side of every benchmark: ``--json PATH`` writes its headline rows.

Each benchmark keeps printing its own Markdown tables; with ``--json PATH`` it also writes one
JSON document, so that ``run_all.py`` collects numbers without parsing text::

    {"benchmark": "import_time", "quick": true, "machine": {...},
     "rows": [{"metric": "...", "value": 41.2, "unit": "ms",
               "floor": "import asyncio", "floor_value": 24.0, "ratio": 1.72}]}

``floor`` names what the row is compared with *in the same run* (a floor such as raw
websockets, or a peer such as openai-agents-python); ``ratio`` is ``value / floor_value``.
Rows without a comparison leave the three at ``null``. ``value`` is ``null`` when the
benchmark could not measure it (the reason is in ``note``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["Results", "add_json_argument", "machine"]


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    """The common ``--json PATH`` option."""
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        help="also write the headline numbers to PATH as JSON (read by run_all.py)",
    )


def machine() -> dict[str, Any]:
    """Where a number was obtained: CPU model, CPUs usable, OS, Python and key libraries."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("websockets", "attrs", "blinker", "aiortc"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": model,
        "cpus": _usable_cpus(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libraries": versions,
    }


def machine_line(*details: str) -> str:
    """The head line of a benchmark's printed table: architecture, OS, usable CPUs and Python,
    then ``details`` (what else the numbers depend on), separated by " · "."""
    head = [platform.machine(), platform.system(), f"{_usable_cpus() or os.cpu_count()} CPUs"]
    return " · ".join([*head, f"Python {platform.python_version()}", *details])


def _usable_cpus() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def _significant(number: float | None) -> float | None:
    """Four significant digits: more than any benchmark here can resolve."""
    return None if number is None else float(f"{number:.4g}")


class Results:
    """The rows one benchmark run reports, written once at the end."""

    def __init__(self, benchmark: str, *, quick: bool) -> None:
        self.benchmark = benchmark
        self.quick = quick
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        metric: str,
        value: float | None,
        unit: str,
        *,
        floor: str | None = None,
        floor_value: float | None = None,
        note: str | None = None,
    ) -> None:
        """One row; ``ratio`` is derived so that every benchmark computes it the same way."""
        ratio = None
        if value is not None and floor_value:
            ratio = value / floor_value
        row: dict[str, Any] = {
            "metric": metric,
            "value": _significant(value),
            "unit": unit,
            "floor": floor,
            "floor_value": _significant(floor_value),
            "ratio": _significant(ratio),
        }
        if note:
            row["note"] = note
        self.rows.append(row)

    def write(self, path: Path | None) -> None:
        """Write the document to ``path`` (nothing when the option was not given)."""
        if path is None:
            return
        document = {
            "benchmark": self.benchmark,
            "quick": self.quick,
            "machine": machine(),
            "rows": self.rows,
        }
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")

"""Importing a module from a file: test folders are not packages, and examples are not
installed, so a helper of another test folder (or an example) is imported by its path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["import_by_path"]


def import_by_path(name: str, path: Path) -> ModuleType:
    """The module ``name`` from ``path``, executed once and registered in ``sys.modules``
    (dataclasses and pickling look a module up by name)."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

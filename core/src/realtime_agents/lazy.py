"""Package names imported on first use (a PEP 562 module ``__getattr__``).

A transport plugin is discovered through its entry point, which imports its package: the
package's names must not pull its heavy modules (websockets, aiortc, openai, ...) in with it.
Each package of this repository, and the template transport, declares its public names and
their modules once::

    __getattr__, __dir__ = lazy_exports(__name__, {"OpenAIRealtimeWebSocket": ".transport"})

and imports them under ``if TYPE_CHECKING:`` for type checkers. This module imports nothing.
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False  # not typing's: importing typing is most of a bare package import
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package named ``package``.

    ``exports`` maps each public name to the module defining it, relative to ``package``; a
    name mapped to its own submodule (``"server_events": ".server_events"``) is that module.
    The first lookup imports the module and stores the value in the package, so later lookups
    never reach ``__getattr__`` again.
    """

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(module_name, package)
        value = module if module_name.rpartition(".")[2] == name else getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*exports, *getattr(sys.modules[package], "__all__", ())})

    return __getattr__, __dir__

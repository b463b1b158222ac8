"""The one place that imports ``audioop`` (G.711 codecs, resampling, RMS).

On Python 3.13+ the module comes from the maintained ``audioop-lts`` distribution (declared with an
environment marker in ``pyproject.toml``). On 3.11 and 3.12 it is the standard-library module, whose
import emits a ``DeprecationWarning``; we silence exactly that warning here because test suites run
with warnings as errors and the deprecation is about a future Python we already handle.
"""

from __future__ import annotations

import sys
import warnings

if sys.version_info >= (3, 13):  # pragma: no cover - exercised only on newer interpreters
    import audioop
else:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

__all__ = ["audioop"]

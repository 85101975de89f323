"""borderkit: map and measure a contested border, with every figure sourced.

The public API is imported lazily, so ``import borderkit`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # What the lazy names are, for type checkers and editors (py.typed); never imported at run time.
    # borderkit.observed is typed as the function: the module is callable (see borderkit/observed.py).
    from borderkit import errors
    from borderkit.case import current as current_case
    from borderkit.case import use_case
    from borderkit.measure import area, area_table, length, perimeter, shift_band
    from borderkit.observed import observed
    from borderkit.registry import layers, load, sources
    from borderkit.render import explore

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "area",
    "area_table",
    "length",
    "perimeter",
    "shift_band",
    "layers",
    "load",
    "sources",
    "explore",
    "observed",
    "use_case",
    "current_case",
    "errors",
]

_LAZY = {
    "area": "borderkit.measure",
    "area_table": "borderkit.measure",
    "length": "borderkit.measure",
    "perimeter": "borderkit.measure",
    "shift_band": "borderkit.measure",
    "layers": "borderkit.registry",
    "load": "borderkit.registry",
    "sources": "borderkit.registry",
    "explore": "borderkit.render",
    "use_case": "borderkit.case",
}


# Hidden from type checkers, so that a misspelt name is an error there and not an untyped Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        return _lazy(name)


def _lazy(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "current_case":
        return importlib.import_module("borderkit.case").current
    if name == "errors":
        return importlib.import_module("borderkit.errors")
    if name == "observed":  # the module is callable: borderkit.observed(...) is borderkit.observed.observed(...)
        return importlib.import_module("borderkit.observed")
    raise AttributeError(f"module 'borderkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

"""Names a package exports, imported on first use (PEP 562), so importing a room stays cheap.

A room whose modules pull heavy libraries (or that the cold query path needs only a part of)
lists its exports by module; ``from pgvsearch.store import connect`` then imports
``pgvsearch.store.connection`` alone, not the schema, status and index modules beside it.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping, Sequence


def lazy_exports(package: str, modules: Mapping[str, Sequence[str]]) -> tuple[list[str], Callable[[str], Any]]:
    """``(__all__, __getattr__)`` for ``package``, whose submodule ``modules[m]`` defines each name listed."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        globals_ = importlib.import_module(package).__dict__
        globals_[name] = value  # later look-ups skip __getattr__
        return value

    return sorted(where), __getattr__

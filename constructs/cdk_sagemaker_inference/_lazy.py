"""Module attributes imported on first use (CDK-free: the package root and ``runtime`` use it)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``.<modules[name]>`` the first time ``name``
    is asked for and keeps the value in ``namespace`` (the module's globals), so it is asked once."""

    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{modules[name]}", package), name)
        namespace[name] = value
        return value

    return __getattr__

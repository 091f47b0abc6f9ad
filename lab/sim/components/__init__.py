"""The component registry. It fills itself: every module in this package that defines a
`Component` subclass with a `kind` registers it, so a new kind is one new file."""
from __future__ import annotations

import importlib
import pkgutil

from .base import GROUPS, Component

REGISTRY: dict[str, type[Component]] = {}


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Component) and value.kind:
                if value.group not in GROUPS:
                    raise RuntimeError(f"{value.kind}: unknown group {value.group!r}")
                REGISTRY[value.kind] = value


_discover()

__all__ = ["REGISTRY", "Component"]

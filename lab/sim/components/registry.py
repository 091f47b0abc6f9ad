"""The component registry. It fills itself: every module of this package that defines a
`Component` subclass with a `kind` registers it, so a new kind is one new file.

It lives in its own module, not in the package's `__init__`, so that importing a part a kind is
built on (components/base.py, a shared part under lab/sim/parts/ that subclasses `Component`)
never imports every kind as a side effect: only reading the registry does."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from .base import GROUPS, Component

# Modules of the package that are not kinds: the registry itself and what kinds are built on.
NOT_KINDS = frozenset({"actor", "base", "registry"})

REGISTRY: dict[str, type[Component]] = {}


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name in NOT_KINDS:
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Component) and value.kind:
                if value.group not in GROUPS:
                    raise RuntimeError(f"{value.kind}: unknown group {value.group!r}")
                REGISTRY[value.kind] = value


_discover()

__all__ = ["REGISTRY"]

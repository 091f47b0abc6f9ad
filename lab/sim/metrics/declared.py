"""The figures a component kind keeps in each window, declared once on the kind.

A kind lists its figures in `metrics` (see components/base.py). Each one names the attribute the
kind updates while requests flow, how a window's value is taken from it and what happens to it
afterwards, how windows combine into the run's totals, and how it is shown in the window and
results documents (docs/results.md). `Component.harvest` reads them and `Component.present`
shows them; the kind writes neither a harvest nor a presentation for them.

    count   events counted up in the window, back to zero after each window; totals add up.
    peak    the window's highest value; after each window it starts again from a level (the
            current one, such as the requests in flight now) or from zero; totals keep the max.
    level   a value read as the window closes (items held, healthy targets); totals keep the
            last (or, with combine="max", the highest).
    per     shown only: one figure divided by another (a ratio, a mean per event), 0 when the
            divisor is 0.

A figure whose value comes from a part's own harvest (a queue's `queue_now`, a fleet's
instances) is declared with `provided=True`: the kind only says how it combines and shows.

Why declarations: before them each counter was written three times (the attribute, the harvest,
the presentation), and how windows combined was carried by name suffixes (`_max`, `_now`).
"""
from __future__ import annotations

from typing import Any, Iterable

SUM, MAX, LAST = "sum", "max", "last"
_SAME = "\0same"  # `shown` default: the figure's own name


class Metric:
    """One figure of a kind's window (make them with `count`, `peak`, `level` and `per`)."""

    __slots__ = ("name", "attr", "combine", "reset", "start", "zero", "empty", "shown", "scale",
                 "digits", "provided", "top", "bottom")

    def __init__(self, name: str, *, attr: str | None = None, combine: str = SUM, reset: bool = False,
                 start: str | None = None, zero: Any = 0, empty: Any = None, shown: str | None = _SAME,
                 scale: float = 1.0, digits: int | None = None, provided: bool = False,
                 top: str = "", bottom: tuple[str, ...] = ()) -> None:
        self.name = name  # its key in the node's raw window
        self.attr = attr or name  # the node's attribute it reads
        self.combine = combine
        self.reset = reset  # set back after each window (to `start`'s value, or to `zero`)
        self.start = start
        self.zero = zero  # its type is the figure's: 0 for counts, 0.0 for seconds
        self.empty = zero if empty is None else empty  # shown when no window was measured
        self.shown = name if shown == _SAME else shown  # None: kept, but not shown
        self.scale = scale
        self.digits = digits
        self.provided = provided
        self.top, self.bottom = top, bottom

    @property
    def is_read(self) -> bool:
        """Whether the harvest reads it from the node (not derived, not provided by a part)."""
        return not self.provided and not self.bottom

    def show(self, raw: dict[str, Any]) -> Any:
        if self.bottom:
            divisor = sum(raw.get(name, 0) for name in self.bottom)
            value = raw.get(self.top, 0) / divisor * self.scale if divisor else 0.0
        else:
            value = raw.get(self.name, self.empty)
            if self.scale != 1.0:
                value = value * self.scale
        return value if self.digits is None else round(value, self.digits)


def count(name: str, *, attr: str | None = None, zero: Any = 0, shown: str | None = _SAME,
          scale: float = 1.0, digits: int | None = None) -> Metric:
    """Events counted in the window; zero again after it; totals add up."""
    return Metric(name, attr=attr, combine=SUM, reset=True, zero=zero, shown=shown, scale=scale,
                  digits=digits)


def peak(name: str, *, attr: str | None = None, start: str | None = None, zero: Any = 0,
         shown: str | None = _SAME, scale: float = 1.0, digits: int | None = None) -> Metric:
    """The window's highest value; the next window starts from attribute `start` (or zero)."""
    return Metric(name, attr=attr, combine=MAX, reset=True, start=start, zero=zero, shown=shown,
                  scale=scale, digits=digits)


def level(name: str, *, attr: str | None = None, combine: str = LAST, zero: Any = 0, empty: Any = None,
          shown: str | None = _SAME, scale: float = 1.0, digits: int | None = None,
          provided: bool = False) -> Metric:
    """A value as the window closes; totals keep the last one (or the highest, combine=MAX)."""
    return Metric(name, attr=attr, combine=combine, zero=zero, empty=empty, shown=shown, scale=scale,
                  digits=digits, provided=provided)


def per(shown: str, top: str, bottom: str | tuple[str, ...], *, scale: float = 1.0, digits: int = 6) -> Metric:
    """Shown only: `top` divided by `bottom` (one figure, or the sum of several), times `scale`."""
    return Metric(shown, shown=shown, scale=scale, digits=digits, top=top,
                  bottom=(bottom,) if isinstance(bottom, str) else bottom)


# What `read` does for one figure, worked out once per kind (`reading`): its key, the attribute,
# whether it resets, and to what (another attribute's value, or a constant).
Reading = tuple[str, str, bool, "str | None", Any]


def reading(metrics: Iterable[Metric]) -> tuple[Reading, ...]:
    """The figures the harvest reads from the node, as `read` takes them: a kind's windows
    close thousands of times, so what does not change is not worked out at each."""
    return tuple((m.name, m.attr, m.reset, m.start, m.zero) for m in metrics if m.is_read)


def read(node: Any, figures: tuple[Reading, ...], into: dict[str, Any]) -> None:
    """Put the window's value of each figure into `into` and set back those that reset."""
    for name, attr, reset, start, zero in figures:
        into[name] = getattr(node, attr)
        if reset:
            setattr(node, attr, getattr(node, start) if start else zero)


def shown(metrics: Iterable[Metric]) -> tuple[Metric, ...]:
    """The figures a user sees, in the order they are declared."""
    return tuple(m for m in metrics if m.shown is not None)


def show(metrics: tuple[Metric, ...], raw: dict[str, Any]) -> dict[str, Any]:
    """The figures as a user reads them (`metrics` from `shown`)."""
    return {m.shown: m.show(raw) for m in metrics}  # type: ignore[misc]  # shown() kept only named ones


def combine_rules(metrics: Iterable[Metric]) -> dict[str, str]:
    """How each declared raw figure combines across windows (undeclared ones add up)."""
    return {m.name: m.combine for m in metrics if not m.bottom}

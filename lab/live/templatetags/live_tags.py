"""What the live pages' forms offer: the teacher's own saved designs on the class page
(templates/live/_class_sessions.html), and the measures a question may have (templates/live/_panel.html)."""
from __future__ import annotations

from typing import Any

from django import template

from lab.designs import selectors as designs
from lab.lessons.goals import METRICS

register = template.Library()

MAX_LISTED = 100


@register.simple_tag(takes_context=True)
def my_designs(context: dict[str, Any]) -> list[Any]:
    """The signed-in teacher's designs, most recently changed first (at most MAX_LISTED)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return list(designs.designs_of(user=user).order_by("-updated")[:MAX_LISTED])


@register.simple_tag
def overall_measures() -> list[dict[str, str]]:
    """The goal vocabulary's metrics that are measured over all requests, for a question the lab
    measures itself (the API takes any scope; the form offers the whole-system ones)."""
    return [{"name": m.name, "label": f"{m.label} ({m.unit})", "unit": m.unit}
            for m in METRICS.values() if "overall" in m.scopes and not m.name.startswith("errors_by_cause")]


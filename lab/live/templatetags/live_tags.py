"""What the class page's "Start a live session" form offers besides lesson steps: the teacher's
own saved designs (templates/live/_class_sessions.html)."""
from __future__ import annotations

from typing import Any

from django import template

from lab.designs import selectors as designs

register = template.Library()

MAX_LISTED = 100


@register.simple_tag(takes_context=True)
def my_designs(context: dict[str, Any]) -> list[Any]:
    """The signed-in teacher's designs, most recently changed first (at most MAX_LISTED)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return list(designs.designs_of(user=user).order_by("-updated")[:MAX_LISTED])

"""How a person is named to others on shared pages (a design's byline, its revisions)."""
from __future__ import annotations

from typing import Any

from django import template

from lab.accounts.selectors import public_name as _public_name

register = template.Library()


@register.filter
def public_name(user: Any) -> str:
    return _public_name(user)

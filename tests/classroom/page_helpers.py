"""What the classroom page tests share: a page's text, a graded submission, the problems shown
beside a field, the inline scripts a page carries, and the assignment edit form as it is filled."""
from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User

from lab.classroom import services
from lab.classroom.models import Assignment, Submission

from .helpers import LESSON_ID, design, work

SCRIPT = "<script>alert(1)</script>"
STEP = f"{LESSON_ID}/add-instances"


def body(response: Any) -> str:
    return response.content.decode()


def submitted(assignment: Assignment, student: User) -> Submission:
    sub = services.submission_create(assignment=assignment, student=student, topology=design(3), owner_key="k",
                                     requester=None)
    work()
    return sub


def field_problems(page: str, field: str) -> str:
    """The text of the problems shown beside one field ("" if none)."""
    match = re.search(rf'<ul class="errorlist" id="{field}-problems"[^>]*>(.*?)</ul>', page, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def the_form(**changes: str) -> dict[str, str]:
    """The edit form of the `assignment` fixture as the page fills it, with `changes`."""
    form = {"title": "Lunchtime", "step": STEP, "opens": "", "due": "", "max_attempts": "", "late_policy": "accept",
            "late_penalty_pct": "0", "show_hints": "on", "hidden_seeds": "7",
            "hidden_faults": '[{"id": "slow-db", "kind": "latency", "node": "db", "added_ms": 2, "start_s": 20, '
                             '"duration_s": 5}]',
            "points.p95": "3", "points.errors-while-down": "2"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def inline_scripts(page: str) -> list[str]:
    """Script elements with a body that is code (CSP refuses them); JSON data blocks are data."""
    return [m for m in re.findall(r"<script\b([^>]*)>", page)
            if "src=" not in m and 'type="application/json"' not in m]

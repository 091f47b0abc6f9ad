"""Cost against p99 across several saved designs, the Pareto front marked (docs/lab-evidence.md,
"Designs side by side"; GET /api/v1/studies/frontier).

Each design gives one point: its latest finished study that measured it as saved over seeds,
a run over seeds (replications) or an A/B comparison saved with it (its A side), so each figure
comes with its 95% interval. A sweep is left out: its points are variants of the design, not the
design, and the sweep's own chart shows their front. The front is lab.sim.evidence's, through
the means.

Who may see what is the design's rule: a design the caller may not view is answered exactly as
an id that names no design (listed under `not_found`), so asking reveals nothing about it.
"""
from __future__ import annotations

import uuid
from typing import Any

from lab.accounts.selectors import public_name
from lab.designs import selectors as designs
from lab.designs.models import Design
from lab.sim.evidence import pareto_front
from lab.sim.evidence.wording import amount
from lab.sim.problems import Refused, problem

from .models import Study
from .selectors import studies_of_design

MAX_DESIGNS = 20
X, Y = "cost_per_hour_usd", "latency_p99_ms"
PATH = "?designs"
NO_STUDY = "no finished run over seeds yet: run seeds on it first (Evidence, Seeds)"
NO_FIGURES = "its latest run over seeds has no cost or p99 (no request finished): run seeds on it again"


def parse_design_ids(raw: str | None) -> list[uuid.UUID]:
    """The ids of `?designs=<id>,<id>,...`, in order; Refused (400) with a sentence for an empty
    list, an id that is not one, a repeated id, or more than MAX_DESIGNS."""
    example = "?designs=<design id>,<design id>"
    if raw is None or not raw.strip():
        raise Refused([problem(PATH, f"name the designs to compare: {example} (up to {MAX_DESIGNS})")])
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) > MAX_DESIGNS:
        raise Refused([problem(PATH, f"at most {MAX_DESIGNS} designs at a time; {len(parts)} were named")])
    out: list[uuid.UUID] = []
    problems = []
    for i, part in enumerate(parts):
        try:
            if len(part) > 40:
                raise ValueError(part)
            key = uuid.UUID(part)
        except ValueError:
            shown = part[:40] + ("..." if len(part) > 40 else "")
            problems.append(problem(f"{PATH}[{i}]", f"{shown!r} is not a design id (a UUID such as "
                                                     f"6f1c2a9e-0d3b-4c55-9a7e-1f2b3c4d5e6f)" if part else
                                    "an empty id: the list has two commas in a row, or one at an end"))
            continue
        if key in out:
            problems.append(problem(f"{PATH}[{i}]", f"design {key} is named twice; name each design once"))
            continue
        out.append(key)
    if problems:
        raise Refused(problems[:20])
    return out


def _visible(design_id: uuid.UUID, user: Any, links: dict[str, Any] | None) -> Design | None:
    token = (links or {}).get(str(design_id))
    return designs.design_get(user=user, design_id=design_id, token=token if isinstance(token, str) else None)


def _latest_measure(design: Design, user: Any) -> dict[str, Any] | None:
    """The latest finished study measuring `design` as saved over seeds, with its two figures
    read out of the stored document by the database (the document itself can be megabytes)."""
    rows = (studies_of_design(design=design, user=user)
            .filter(status=Study.Status.DONE, kind__in=(Study.Kind.REPLICATIONS, Study.Kind.COMPARISON))
            .order_by("-finished", "-created"))
    row = rows.values("id", "kind", "finished", "seeds", "revision__number").first()
    if row is None:
        return None
    side = "__a" if row["kind"] == Study.Kind.COMPARISON else ""
    keys = {m: f"document__metrics__{m}{side}" for m in (X, Y)}
    figures = Study.objects.filter(id=row["id"]).values(*keys.values()).first() or {}
    return {**row, **{m: figures.get(key) for m, key in keys.items()}}


def _figure(value: Any) -> dict[str, Any] | None:
    """A stored interval ({n, median, mean, sd, low, high}) as it is, if it has a mean."""
    if isinstance(value, dict) and isinstance(value.get("mean"), (int, float)):
        return dict(value)
    return None


def _ref(design: Design) -> dict[str, Any]:
    return {"id": str(design.pk), "name": design.name, "owner": public_name(design.owner),
            "latest_revision": design.latest_revision}


def study_frontier(*, design_ids: list[uuid.UUID], user: Any, links: dict[str, Any] | None = None) -> dict[str, Any]:
    """The frontier document of the designs named (docs/api.md, "Designs side by side")."""
    points: list[dict[str, Any]] = []
    without: list[dict[str, Any]] = []
    not_found: list[str] = []
    for design_id in design_ids:
        design = _visible(design_id, user, links)
        if design is None:
            not_found.append(str(design_id))
            continue
        measure = _latest_measure(design, user)
        if measure is None:
            without.append({"design": _ref(design), "reason": NO_STUDY})
            continue
        x, y = _figure(measure[X]), _figure(measure[Y])
        if x is None or y is None:
            without.append({"design": _ref(design), "reason": NO_FIGURES})
            continue
        points.append({"design": _ref(design), "revision": measure["revision__number"],
                       "study": {"id": str(measure["id"]), "kind": measure["kind"],
                                 "url": f"/api/v1/studies/{measure['id']}",
                                 "finished": measure["finished"].isoformat() if measure["finished"] else None,
                                 "seeds": len(measure["seeds"] or [])},
                       X: x, Y: y, "on_front": False})
    front = pareto_front([(p[X]["mean"], p[Y]["mean"]) for p in points])
    for i in front:
        points[i]["on_front"] = True
    return {"x": X, "y": Y, "points": points, "front": [points[i]["design"]["id"] for i in front],
            "sentence": sentence(points, front), "without": without, "not_found": not_found}


def _said(point: dict[str, Any]) -> str:
    return (f"{point['design']['name']} ({amount(point[X]['mean'], '$')} an hour, "
            f"p99 {amount(point[Y]['mean'], 'ms')})")


def sentence(points: list[dict[str, Any]], front: list[int]) -> str:
    """The front in words, cheapest first: which designs no other one beats on both figures."""
    if not points:
        return "No design here has a finished run over seeds yet, so there is nothing to compare."
    if len(points) == 1:
        return f"Only {_said(points[0])} has figures so far: run seeds on another design to compare."
    on = [_said(points[i]) for i in front]
    off = [p["design"]["name"] for i, p in enumerate(points) if i not in front]
    named = on[0] if len(on) == 1 else ", ".join(on[:-1]) + " and " + on[-1]
    if not off:
        return f"Every design is on the Pareto front: {named}; each is cheaper or faster than the others."
    verb = "is" if len(on) == 1 else "are"
    rest = off[0] if len(off) == 1 else ", ".join(off[:-1]) + " and " + off[-1]
    return (f"On the Pareto front {verb} {named}. {rest} cost{'s' if len(off) == 1 else ''} more for no "
            f"gain in p99, or {'is' if len(off) == 1 else 'are'} slower for no saving.")

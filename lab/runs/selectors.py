"""Reads for runs."""
from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from lab.designs import selectors as designs
from lab.sim.problems import Refused

from .models import Run, RunAudience, RunWindow

CONTROL_REFUSED = "only whoever started this run can control it; start your own run to experiment"


def run_get(*, run_id: Any) -> Run | None:
    try:
        return Run.objects.get(id=uuid.UUID(str(run_id)))
    except (ValueError, Run.DoesNotExist):
        return None


def run_can_view(*, run: Run, user: Any, session_key: str | None) -> bool:
    """Who may watch a run and read its results: the user who started it, the browser session
    that started it, the owner of the design it ran, and its audience (the students of the live
    session it is shown to). Everyone else is told it does not exist (a run of a private design
    shows that design)."""
    if bool(session_key) and run.owner_key == session_key:
        return True
    if getattr(user, "is_authenticated", False):
        if run.user_id == user.pk:
            return True
        revision = run.revision
        if revision is not None and revision.design.owner_id == user.pk:
            return True
        return RunAudience.objects.filter(run=run, user=user).exists()
    return False


def run_can_control(*, run: Run, user: Any, session_key: str | None) -> bool:
    """Who may pause, change or stop a run: the signed-in user who started it, from any session
    or with any of their API tokens; for a visitor's run, the browser session that started it."""
    if run.user_id is not None:
        return bool(getattr(user, "is_authenticated", False)) and run.user_id == user.pk
    return bool(session_key) and bool(run.owner_key) and run.owner_key == session_key


def run_get_visible(*, run_id: Any, user: Any, session_key: str | None) -> Run | None:
    """The run if this viewer may see it (run_can_view). None reads as "no such run" wherever it
    is asked (the API's 404, the websocket's close code 4404): a run you may not see is not there."""
    run = run_get(run_id=run_id)
    if run is None or not run_can_view(run=run, user=user, session_key=session_key):
        return None
    return run


def run_check_control(*, run: Run, user: Any, session_key: str | None) -> None:
    """Refuse (403) a command from anyone who may see the run but not control it
    (run_can_control); the API and the websocket answer with the same words."""
    if not run_can_control(run=run, user=user, session_key=session_key):
        raise Refused(CONTROL_REFUSED, status=403)


def run_revision_of(*, user: Any, design_id: Any, number: Any, token: str | None, topology: Any) -> Any:
    """The design revision a run of `topology` ran, when the lab says it is running revision
    `number` of design `design_id` and this user (or the share link `token`) may see that design;
    else None. Only a run of exactly that revision is linked to it, so its results stay
    reproducible: the run may set its own duration and seed, nothing else."""
    design = designs.design_get(user=user, design_id=design_id, token=token) if design_id else None
    revision = designs.revision_get(design=design, number=number) if design else None
    if revision is None or not isinstance(topology, dict):
        return None

    def model(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k != "settings"}

    return revision if model(revision.topology) == model(topology) else None


def run_window_rows(*, run: Run, seq_from: int | None = None, seq_to: int | None = None) -> QuerySet[RunWindow]:
    """A run's windows as a query, for pages of them (a long run has thousands), or only those
    from `seq_from` to `seq_to` (both included): the unique index on (run, seq) finds just them."""
    rows = RunWindow.objects.filter(run=run)
    if seq_from is not None:
        rows = rows.filter(seq__gte=seq_from)
    if seq_to is not None:
        rows = rows.filter(seq__lte=seq_to)
    return rows.order_by("seq")


# What a client may ask of each window (GET /api/v1/runs/{id}/windows?fields=): the window's own
# parts (docs/results.md, "A window"), and two made for the scrubber. `moment` is what the canvas,
# the node table and the charts' cursor draw of one moment, about a fifth of a window: each node's
# load, utilization, queue, errors, latency, instances and healthy targets, each edge's rate, and
# the faults active and the targets out of rotation at the window's end. `traces` are the results'
# sampled requests that started in the window. The window's index and times always come.
WINDOW_PARTS = ("measured", "overall", "classes", "nodes", "edges", "origins", "events", "closed_at")
WINDOW_FIELDS = WINDOW_PARTS + ("moment", "traces")
ALWAYS = ("index", "t_start", "t_end")
MOMENT_FIGURES = ("kind", "arrival_rate_per_s", "utilization", "queue_length", "errors", "latency_ms", "instances",
                  "instances_booting", "healthy_targets", "targets")


def _timeline(run: Run, through: int) -> list[dict[str, Any]]:
    """Every timeline entry up to window `through`: the results' timeline once the run is over
    (already read with the run), else the stored windows' events (a paused run's; this reads each
    window's events, so it costs with the run's length)."""
    if isinstance(run.results, dict) and isinstance(run.results.get("timeline"), list):
        return run.results["timeline"]
    events = RunWindow.objects.filter(run=run, seq__lte=through).order_by("seq").values_list("data__events", flat=True)
    return [e for chunk in events if isinstance(chunk, list) for e in chunk]


def _traces(run: Run) -> list[dict[str, Any]]:
    traces = run.results.get("traces") if isinstance(run.results, dict) else None
    if not isinstance(traces, dict):
        return []
    failed = [t for group in (traces.get("failed") or {}).values() for t in group]
    return sorted([*(traces.get("sampled") or []), *failed], key=lambda t: t.get("start_s", 0))


def run_windows_shaped(*, run: Run, rows: list[tuple[int, dict[str, Any]]],
                       fields: frozenset[str] | None) -> list[dict[str, Any]]:
    """`rows` ((seq, window), in seq order) as the API answers them: {"seq", "window"}, each
    window cut to `fields` (every part when None)."""
    if fields is None or not rows:
        return [{"seq": seq, "window": data} for seq, data in rows]
    timeline = _timeline(run, rows[-1][0]) if "moment" in fields else []
    traces = _traces(run) if "traces" in fields else []
    faults: dict[Any, dict[str, Any]] = {}
    unhealthy: set[str] = set()
    done = 0  # timeline entries applied so far: the windows come in order, so each entry once
    out = []
    for seq, data in rows:
        window = {key: data[key] for key in ALWAYS if key in data}
        window.update({key: data[key] for key in WINDOW_PARTS if key in fields and key in data})
        if "moment" in fields:
            t_end = data.get("t_end", 0)
            while done < len(timeline) and timeline[done].get("t", 0) <= t_end:
                entry = timeline[done]
                done += 1
                if entry.get("type") == "fault_started":
                    faults[entry.get("fault")] = entry
                elif entry.get("type") == "fault_ended":
                    faults.pop(entry.get("fault"), None)
                elif entry.get("type") == "health_check":
                    target = str(entry.get("target"))
                    (unhealthy.discard if entry.get("healthy") else unhealthy.add)(target)
            window.setdefault("nodes", {node: {k: m[k] for k in MOMENT_FIGURES if k in m}
                                        for node, m in data.get("nodes", {}).items()})
            window.setdefault("edges", {edge: {k: e[k] for k in ("from", "to", "rate_per_s") if k in e}
                                        for edge, e in data.get("edges", {}).items()})
            window["faults"] = list(faults.values())
            window["unhealthy"] = sorted(unhealthy)
        if "traces" in fields:
            start, end = data.get("t_start", 0), data.get("t_end", 0)
            window["traces"] = [t for t in traces if start <= t.get("start_s", -1) < end]
        out.append({"seq": seq, "window": window})
    return out


def run_windows(*, run: Run, after_seq: int = -1, attempt: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    rows = RunWindow.objects.filter(run=run, seq__gt=after_seq).order_by("seq").values_list("seq", "data")
    return list(rows)

"""Writes for studies: make one (planned and checked whole before anything runs), queue its runs
a few at a time on the workers, record each run's summary once, aggregate when all are in (in
the worker that recorded the last), cancel. docs/decisions.md, 47 says why it is built so.

Who calls what: the API makes and cancels studies; the workers call `on_run_ended` when a study's
run has its final write and `on_housekeeping` every few seconds (lab.runs.signals, connected in
apps.py), which repairs whatever a worker killed between two writes left undone.
"""
from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from lab.designs.models import Design, Revision
from lab.runs.evidence import run_cancel_evidence, run_queue_evidence
from lab.runs.models import OVER as RUN_OVER
from lab.runs.models import QuotaKey, Run
from lab.runs.quotas import Requester
from lab.sim import InvalidTopology, load
from lab.sim.document.types import Topology
from lab.sim.evidence import Plan, plan_comparison, plan_replications, plan_sweep
from lab.sim.evidence.running import METRICS
from lab.sim.evidence.statistics import t_quantile
from lab.sim.problems import Problem, Refused, problem

from . import documents, limits
from .models import ACTIVE, OVER, Study, StudyRun

KINDS = tuple(Study.Kind.values)
# The fields each kind takes besides `kind` and what names the designs (the API's body).
OPTIONS = {"sweep": ("spec", "duration_s", "knee_metric", "threshold"),
           "replications": ("seeds", "duration_s", "precision"),
           "comparison": ("seeds", "duration_s")}
TOPOLOGY_PATHS = ("$.settings", "$.nodes", "$.edges", "$.workload", "$.faults", "$.layout")
CANCELLED = "the study was cancelled"


def _check_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options as stored, or Refused naming each bad one."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    if kind == "sweep":
        if "spec" not in options:
            problems.append(problem("$.spec", "a sweep needs `spec`: {\"axes\": [{\"node\": \"app\", \"param\": "
                                              "\"instances\", \"values\": [1, 2, 4]}], \"seeds\": 5}"))
        out["spec"] = options.get("spec")
        metric = options.get("knee_metric", "latency_p99_ms")
        if not isinstance(metric, str) or metric not in METRICS:
            problems.append(problem("$.knee_metric", f"knee_metric must be one of {', '.join(METRICS)}"))
        else:
            out["knee_metric"] = metric
        if "threshold" in options:
            value = options["threshold"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 < value <= 1e9:
                problems.append(problem("$.threshold", "threshold must be a number above 0 (in the figure's unit: "
                                                       "ms for a latency, a share for error_rate)"))
            else:
                out["threshold"] = float(value)
    else:
        out["seeds"] = options.get("seeds", 5)
    if kind == "replications" and "precision" in options:
        value = options["precision"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.001 <= value <= 0.5:
            problems.append(problem("$.precision", "precision must be a share from 0.001 to 0.5 (0.05 is ±5%)"))
        else:
            out["precision"] = float(value)
    if "duration_s" in options and options["duration_s"] is not None:
        value = options["duration_s"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0 < value <= settings.ARCHLAB_MAX_RUN_S:
            problems.append(problem("$.duration_s", f"duration_s must be more than 0 and at most "
                                                    f"{settings.ARCHLAB_MAX_RUN_S} simulated seconds"))
        else:
            out["duration_s"] = float(value)
    if problems:
        raise Refused(problems)
    return out


def _with_duration(doc: Any, duration_s: float | None) -> Any:
    if duration_s is not None and isinstance(doc, dict) and isinstance(doc.get("settings", {}), dict):
        return {**doc, "settings": {**doc.get("settings", {}), "duration_s": duration_s}}
    return doc


def _topology(revision: Revision, duration_s: float | None, path: str) -> Topology:
    try:
        return load(_with_duration(revision.topology, duration_s))
    except InvalidTopology as exc:
        raise Refused([problem(path, f"revision {revision.number} cannot run: {p['path']}: {p['message']}")
                       for p in exc.problems[:10]]) from None


def _proposed(doc: Any, duration_s: float | None) -> Topology:
    """B as a proposed change: a topology document sent with the request (the lab's canvas as it
    is), read by the one strict loader, its problems under `$.b.topology`."""
    try:
        return load(_with_duration(doc, duration_s))
    except InvalidTopology as exc:
        raise Refused([problem("$.b.topology" + p["path"][1:], p["message"]) for p in exc.problems[:20]]) from None


def _in_spec(exc: Refused) -> Refused:
    """A sweep spec's problems, with paths in the request body (`$.spec.axes[0]`), not the spec."""
    moved = [p if p["path"].startswith(TOPOLOGY_PATHS) else {**p, "path": "$.spec" + p["path"][1:]}
             for p in exc.problems]
    return Refused(moved, status=exc.status)


def _plan(kind: str, options: dict[str, Any], a: Topology, b: Topology | None) -> Plan:
    budget, evidence = limits.run_budget(), limits.evidence_budget()
    if kind == "sweep":
        try:
            return plan_sweep(a, options["spec"], budget=budget, limits=evidence)
        except Refused as exc:
            raise _in_spec(exc) from None
    if kind == "replications":
        return plan_replications(a, options["seeds"], budget=budget, limits=evidence)
    assert b is not None
    return plan_comparison(a, b, options["seeds"], budget=budget, limits=evidence)


def _check_allowance(requester: Requester) -> None:
    allowed = limits.studies_allowed(requester.role)
    going = Study.objects.filter(principal=requester.principal, status__in=ACTIVE).count()
    if going >= allowed:
        raise Refused([problem("$", f"you already have {_studies(allowed)} going (at most {allowed} at once); "
                                    "cancel it or let it finish, then try again")], status=429, retry_after=30)
    if Run.objects.filter(status=Run.Status.QUEUED).count() >= settings.ARCHLAB_MAX_QUEUED:
        raise Refused([problem("$", "the server's queue is full; try again in a minute")], status=429,
                      retry_after=60)


def _studies(n: int) -> str:
    return "1 study" if n == 1 else f"{n} studies"


def study_create(*, requester: Requester, kind: str, options: dict[str, Any], design: Design, revision: Revision,
                 design_b: Design | None = None, revision_b: Revision | None = None,
                 topology_b: Any = None) -> Study:
    """Plan a study of `revision` (and B, for a comparison: `revision_b` of `design_b`, or
    `topology_b`, a proposed change that is saved nowhere but in the study's plan) and queue its
    first runs. The caller has checked that the requester may view the designs. Raises Refused:
    400 for a bad request or a plan over the budgets (nothing is stored), 429 over the
    requester's allowance."""
    if kind not in KINDS:
        raise Refused([problem("$.kind", f"kind must be one of {', '.join(KINDS)}")])
    if requester.user is None:
        raise Refused("sign in to run a study", status=401)
    if kind == "comparison" and (revision_b is None) == (topology_b is None):
        raise Refused([problem("$.b", "a comparison needs one B: {\"b\": {\"revision\": 2}} (a revision of this "
                                      "design), {\"b\": {\"design\": id, \"revision\": n}}, or {\"b\": "
                                      "{\"topology\": {...}}} (a proposed change, unsaved)")])
    checked = _check_options(kind, options)
    _check_allowance(requester)  # before the costly planning; again under the lock below
    a = _topology(revision, checked.get("duration_s"), "$.a.revision" if kind == "comparison" else "$.revision")
    b = (_topology(revision_b, checked.get("duration_s"), "$.b.revision") if revision_b is not None
         else _proposed(topology_b, checked.get("duration_s")) if kind == "comparison" else None)
    plan = _plan(kind, checked, a, b)
    QuotaKey.objects.get_or_create(key=requester.principal)
    with transaction.atomic():
        # The requester's quota row, as a run's start locks it (lab.runs.services): two studies
        # started at once cannot both pass the count.
        list(QuotaKey.objects.select_for_update().filter(key=requester.principal))
        _check_allowance(requester)
        _make_room(design=design, user=requester.user)
        study = Study.objects.create(
            kind=kind, user=requester.user, principal=requester.principal, design=design, revision=revision,
            design_b=design_b if kind == "comparison" and revision_b is not None else None,
            revision_b=revision_b if kind == "comparison" else None,
            request=checked, seeds=list(plan.seeds), plan=plan.to_dict(), total=len(plan.runs),
            at_once=limits.at_once(requester.role), running_cap=limits.running_cap(requester.role))
        StudyRun.objects.bulk_create([StudyRun(study=study, index=i) for i in range(len(plan.runs))])
    study_feed(study_id=study.id)
    study.refresh_from_db()
    return study


def _make_room(*, design: Design, user: Any) -> None:
    """Keep each user's newest ARCHLAB_STUDIES_PER_DESIGN finished studies of a design, with the
    new one: older ones go, with their runs."""
    keep = settings.ARCHLAB_STUDIES_PER_DESIGN
    old = list(Study.objects.filter(design=design, user=user, status__in=OVER).order_by("-created")
               .values_list("id", flat=True)[keep - 1:])
    if old:
        Study.objects.filter(id__in=old).delete()  # their runs go too (on_study_deleted)


def study_feed(*, study_id: Any) -> int:
    """Queue the study's next runs, up to its `at_once` queued or running; returns how many.
    Safe to call from any process at any time: each planned run is queued once (its row moves
    from pending by a conditional UPDATE, in the transaction that makes its run)."""
    queued = 0
    with transaction.atomic():
        study = Study.objects.select_for_update().filter(id=study_id, status__in=ACTIVE).first()
        if study is None:
            return 0
        room = study.at_once - StudyRun.objects.filter(study=study, status=StudyRun.Status.QUEUED).count()
        waiting = list(StudyRun.objects.filter(study=study, status=StudyRun.Status.PENDING).order_by("index")
                       .values_list("id", "index")[:max(room, 0)])
        if not waiting:
            return 0
        plan = Plan.from_dict(study.plan)
        for row_id, index in waiting:
            spec = plan.runs[index]
            evidence = {"study": str(study.id), "index": index, "arm": spec.arm, "point": spec.point,
                        "seed": spec.seed, "values": {axis.name: value for axis, value in spec.values},
                        "series": spec.series}
            try:
                run = run_queue_evidence(topology=spec.run_topology(), evidence=evidence, principal=study.principal,
                                         running_cap=study.running_cap,
                                         revision=study.revision_b if spec.arm == "b" else study.revision)
            except (Refused, InvalidTopology) as exc:
                StudyRun.objects.filter(id=row_id, status=StudyRun.Status.PENDING).update(
                    status=StudyRun.Status.FAILED, error=str(exc)[:300])
                continue
            queued += StudyRun.objects.filter(id=row_id, status=StudyRun.Status.PENDING).update(
                status=StudyRun.Status.QUEUED, run=run)
        if study.status == Study.Status.QUEUED:
            Study.objects.filter(id=study.id, status=Study.Status.QUEUED).update(status=Study.Status.RUNNING,
                                                                                started=timezone.now())
    _recount(study_id)
    return queued


def _record(row_id: int, study_id: Any, status: str, results: Any, error: str) -> bool:
    """A study run's end, from its run's final state; True if this call recorded it (a second
    report of the same end changes nothing)."""
    if status in (Run.Status.DONE, Run.Status.LIMITED):
        fields: dict[str, Any] = {"status": StudyRun.Status.DONE, "summary": results}
    elif status == Run.Status.FAILED:
        fields = {"status": StudyRun.Status.FAILED, "error": (error.splitlines() or ["failed"])[0][:300]}
    elif status == Run.Status.STOPPED:
        fields = {"status": StudyRun.Status.CANCELLED}
    else:
        return False
    return bool(StudyRun.objects.filter(id=row_id, status=StudyRun.Status.QUEUED).update(**fields))


def _recount(study_id: Any) -> None:
    counts = dict(StudyRun.objects.filter(study_id=study_id).values_list("status").annotate(n=Count("id")))
    Study.objects.filter(id=study_id).update(done=counts.get(StudyRun.Status.DONE, 0),
                                             failed=counts.get(StudyRun.Status.FAILED, 0))


def study_run_ended(*, run_id: Any) -> None:
    """A study's run has its final write: record its summary, queue the next, and aggregate if it
    was the last."""
    row = StudyRun.objects.filter(run_id=run_id, status=StudyRun.Status.QUEUED).values_list("id", "study_id").first()
    if row is None:
        return
    run = Run.objects.filter(id=run_id).values("status", "results", "error").first()
    if run is None or not _record(row[0], row[1], run["status"], run["results"], run["error"]):
        return
    _recount(row[1])
    study_feed(study_id=row[1])
    study_complete(study_id=row[1])


def study_complete(*, study_id: Any) -> bool:
    """If every run of a going study has ended, aggregate its document and store it (done), or
    say why there is none (failed). Returns True if this call finished it."""
    if StudyRun.objects.filter(study_id=study_id, status__in=(StudyRun.Status.PENDING, StudyRun.Status.QUEUED)).exists():
        return False
    study = Study.objects.filter(id=study_id, status__in=ACTIVE).first()
    if study is None:
        return False
    fields = _document_fields(study)
    if fields.get("document") is None and not fields.get("error"):
        errors = StudyRun.objects.filter(study=study).exclude(error="").values_list("error", flat=True)[:1]
        fields["error"] = f"none of its runs finished ({errors[0]})" if errors else "none of its runs finished"
    status = Study.Status.DONE if fields.get("document") is not None else Study.Status.FAILED
    return bool(Study.objects.filter(id=study.id, status__in=ACTIVE).update(status=status, finished=timezone.now(),
                                                                          **fields))


def _document_fields(study: Study) -> dict[str, Any]:
    summaries = [s for s in StudyRun.objects.filter(study=study, status=StudyRun.Status.DONE).order_by("index")
                 .values_list("summary", flat=True)]
    if not summaries:
        return {"document": None}
    try:
        document, size = documents.bounded(documents.aggregate(study, summaries), limits.max_document_bytes())
    except Refused as exc:
        return {"document": None, "error": str(exc)[:500]}
    return {"document": document, "document_bytes": size}


def study_cancel(*, study: Study, user: Any) -> Study:
    """Stop the study's waiting and running runs and keep what had finished: the study is
    cancelled, with the document of the runs done so far (none if none were). Only whoever ran
    it may; anyone else who may see it is told so (403)."""
    if not (getattr(user, "is_authenticated", False) and study.user_id == user.pk):
        raise Refused("only whoever ran this study can cancel it", status=403)
    with transaction.atomic():
        if not Study.objects.filter(id=study.id, status__in=ACTIVE).update(status=Study.Status.CANCELLED,
                                                                           finished=timezone.now()):
            study.refresh_from_db()
            raise Refused(f"the study is {study.status}; only a queued or running study can be cancelled",
                          status=409)
        going = [r for r in StudyRun.objects.filter(study=study, status=StudyRun.Status.QUEUED)
                 .values_list("run_id", flat=True) if r is not None]
        StudyRun.objects.filter(study=study, status__in=(StudyRun.Status.PENDING, StudyRun.Status.QUEUED)).update(
            status=StudyRun.Status.CANCELLED)
        run_cancel_evidence(run_ids=going, reason=CANCELLED)
    study.refresh_from_db()
    fields = _document_fields(study)
    Study.objects.filter(id=study.id).update(**fields)
    study.refresh_from_db()
    return study


def study_reconcile() -> int:
    """Repair what a worker killed between two writes left: runs over but not recorded, runs
    not yet queued, studies whose runs are all in but not aggregated. Three queries when there is
    nothing to repair, whatever the number of studies going (it runs in the workers' step loop,
    beside live runs). Returns the studies repaired."""
    counts: dict[Any, dict[str, int]] = {}
    for study_id, status, n in (StudyRun.objects.filter(study__status__in=ACTIVE).values_list("study_id", "status")
                                .annotate(n=Count("id"))):
        counts.setdefault(study_id, {})[status] = n
    if not counts:
        return 0
    rows = list(StudyRun.objects.filter(study_id__in=list(counts), status=StudyRun.Status.QUEUED)
                .values_list("id", "study_id", "run_id"))
    ended = {r["id"]: r for r in Run.objects.filter(id__in=[r[2] for r in rows if r[2]], status__in=RUN_OVER)
             .values("id", "status", "results", "error")}
    repair = set()
    for row_id, study_id, run_id in rows:
        if run_id is None:
            repair.add(study_id) if _record(row_id, study_id, Run.Status.FAILED, None, "its run was deleted") else None
        elif run_id in ended:
            run = ended[run_id]
            if _record(row_id, study_id, run["status"], run["results"], run["error"]):
                repair.add(study_id)
    at_once = dict(Study.objects.filter(id__in=list(counts)).values_list("id", "at_once"))
    for study_id, by_status in counts.items():
        pending, queued = by_status.get(StudyRun.Status.PENDING, 0), by_status.get(StudyRun.Status.QUEUED, 0)
        if (pending and queued < at_once.get(study_id, 1)) or not (pending or queued):
            repair.add(study_id)
    for study_id in repair:
        _recount(study_id)
        study_feed(study_id=study_id)
        study_complete(study_id=study_id)
    return len(repair)


def on_study_deleted(sender: Any, instance: Study, **_: Any) -> None:
    """A study deleted (retention, or with its design) takes its runs with it: those over are
    deleted, those still going are stopped (and deleted with the next study of theirs to go)."""
    run_ids = list(StudyRun.objects.filter(study_id=instance.pk, run__isnull=False).values_list("run_id", flat=True))
    if run_ids:
        run_cancel_evidence(run_ids=run_ids, reason="its study was deleted")
        Run.objects.filter(id__in=run_ids, status__in=RUN_OVER).delete()


def on_run_ended(sender: Any, run: Run, **_: Any) -> None:
    study_run_ended(run_id=run.id)


_ready: list[bool] = []


def on_housekeeping(sender: Any, **_: Any) -> None:
    if not _ready:
        # The statistics import scipy on first use (0.3 s): a worker pays it at its first
        # housekeeping, before it claims a run, not while it steps a live run's windows.
        t_quantile(5)
        _ready.append(True)
    study_reconcile()

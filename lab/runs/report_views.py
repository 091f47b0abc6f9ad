"""A finished run's report page, /runs/<id>/report: its figures, charts over the windows, the
design's picture and revision, shareable with whoever may see the run and printable. Who may
see it is lab.runs.selectors.run_can_view, as for the run's API and websocket: anyone else, and
any id that is not a run, gets 404. (A study's run has no page of its own: its figures are in the
study's report.)"""
from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from lab.accounts.selectors import public_name
from lab.designs import access

from . import reports, selectors


@require_safe
def run_report(request: HttpRequest, run_id: Any) -> HttpResponse:
    run = selectors.run_get_visible(run_id=run_id, user=request.user, session_key=request.session.session_key)
    if run is None or run.evidence is not None:
        raise Http404("no such run")
    context = reports.run_report(run=run)
    # The design is named and linked only for a viewer who may open it (by its own rule).
    design = access.find(request, run.revision.design_id) if run.revision is not None else None
    context.update({
        "design": design, "revision": run.revision if design is not None else None,
        "by": public_name(run.user) if run.user is not None else "a visitor",
        "downloads": {fmt: reverse("v1:run-download", args=[run.id, fmt]) for fmt in ("json", "csv")},
        "lab_url": (reverse("designs:edit", args=[design.pk]) if design is not None else reverse("lab"))
        + f"?run={run.id}",
        "page_url": request.build_absolute_uri(),
    })
    context["report_data"] = {"charts": context["charts"], "poll": None}
    return render(request, "runs/report.html", context)

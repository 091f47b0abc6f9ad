"""A study's report page, server-rendered so it reads, prints and shares without a script:
/studies/<id>/report, and /s/<token>/studies/<id>/report through a design's share link. Who may
see it is the study's rule (lab.studies.selectors: as its design, a share link's holders too);
every denial, and any id that is not a study, is 404. What the page shows is lab.studies.reports'.
"""
from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from lab.designs import access
from lab.designs import selectors as designs
from lab.designs.models import Design

from . import reports, selectors
from .models import Study


def _page(request: HttpRequest, study: Study, token: str | None) -> HttpResponse:
    context = reports.study_report(study=study)
    design = study.design
    if token is not None:
        lab_url = reverse("designs:shared", args=[token])
        share_path = reverse("studies:shared-report", args=[token, study.id])
    else:
        lab_url = reverse("designs:edit", args=[design.pk])
        share_path = reverse("studies:report", args=[study.id])
    # The address to give others: a public design's study opens for anyone; an unlisted one's
    # through its share link (its owner may hand that out, and its holders already have it).
    if design.visibility == Design.Visibility.UNLISTED and design.share_token and token is None \
            and designs.can_edit(request.user, design):
        share_path = reverse("studies:shared-report", args=[design.share_token, study.id])
    context.update({
        "lab_url": f"{lab_url}?study={study.id}",
        "share_url": request.build_absolute_uri(share_path),
        "private": design.visibility == Design.Visibility.PRIVATE,
        "downloads": {fmt: reverse("v1:study-download", args=[study.id, fmt]) for fmt in ("json", "csv")},
    })
    # What report-page.js needs: the charts' series, and the study's API address while it goes.
    context["report_data"] = {"charts": context["charts"],
                              "poll": reverse("v1:study", args=[study.id]) if not study.is_over else None}
    return render(request, "studies/report.html", context)


@require_safe
def study_report(request: HttpRequest, study_id: Any) -> HttpResponse:
    links = request.session.get(access.LINKS)
    study = selectors.study_get_visible(study_id=study_id, user=request.user,
                                        links=links if isinstance(links, dict) else None)
    if study is None:
        raise Http404("no such study")
    return _page(request, study, access.remembered_token(request.session, study.design_id))


@require_safe
def shared_study_report(request: HttpRequest, token: str, study_id: Any) -> HttpResponse:
    """Through a share link: the link opens its design's studies only, and is remembered in this
    browser as opening /s/<token>/ does (so the lab and the downloads work for it too)."""
    design = designs.design_by_token(token=token)
    study = selectors.study_get_visible(study_id=study_id, user=request.user, token=token) if design else None
    if design is None or study is None or study.design_id != design.pk:
        raise Http404("no such study (or this link does not open it)")
    access.remember_link(request, design)
    return _page(request, study, token)

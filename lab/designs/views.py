"""Design pages: detail, revisions and their comparison, sharing, forks, import and export, the
gallery, thumbnails, and the shared and embeddable views (who may open what is in access.py).
The lab page saves, and forks from, through the REST API (lab/api/design_views.py).

Every read goes through `selectors.design_get`, and every denial (not found, private, revoked
link, not the owner) answers 404, so nobody can learn that a design exists by guessing.

A share link's token is remembered in the visitor's session when they open /s/<token>/, so the
design's other pages (revisions, export, fork, open in the lab) work for them too; revoking the
link ends all of it at once, because the selectors compare the token with the design's.
"""
from __future__ import annotations

import json
import re
from typing import Any

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lab.http import read_json
from lab.sim import LIMITS
from lab.sim.document.schema import catalogue
from lab.sim.problems import Problem, Refused, problem
from lab.sim.strict_json import check_size
from lab.views import render_lab

from . import access, selectors, services
from .diff import topology_diff
from .models import Design, Revision
from .thumbnails import thumbnail_svg

GALLERY_PAGE = 12


@require_POST
def design_fork(request: HttpRequest, design_id: Any) -> HttpResponse:
    """Fork a design the user may see, from the design page's form (no script needed); answers
    with the fork's page. The lab forks with its changes through POST /api/v1/designs/<id>/fork,
    so JSON sent here, as the lab once did, answers 404 rather than a fork without them."""
    if request.content_type == "application/json":
        raise Http404("the lab forks through /api/v1/designs/<id>/fork")
    design = access.viewable_or_404(request, design_id)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("designs:detail", args=[design.pk]))
    fork = services.design_fork(design=design, owner=request.user)
    messages.success(request, "Forked: this copy is yours to change; the original stays as it was.")
    return redirect("designs:detail", fork.pk)


# ---- the lab with a design loaded -----------------------------------------------------------

@require_safe
@ensure_csrf_cookie
def design_edit(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.viewable_or_404(request, design_id)
    return render_lab(request, design=design, revision=selectors.revision_latest(design=design),
                      editable=selectors.can_edit(request.user, design))


@require_safe
@ensure_csrf_cookie
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """A share link: the design in the lab, read-only for anyone but its owner. Runs never change it."""
    design = selectors.design_by_token(token=token)
    if design is None:
        raise Http404("this link does not work (it was revoked, or the design is private)")
    access.remember_link(request, design)
    return render_lab(request, design=design, revision=selectors.revision_latest(design=design),
                      editable=selectors.can_edit(request.user, design))


# ---- pages ------------------------------------------------------------------------------------

def _detail(request: HttpRequest, design: Design, status: int = 200, **extra: Any) -> HttpResponse:
    is_owner = selectors.can_edit(request.user, design)
    context = {
        "design": design, "is_owner": is_owner,
        "revisions": selectors.revisions_of(design=design).select_related("author"),
        # The original's name only for those who may see it: a fork must not reveal a private design.
        "origin": access.find(request, design.forked_from_id) if design.forked_from_id else None,
        "visibilities": Design.Visibility.choices, "tags_text": " ".join(design.tags),
        "share_url": request.build_absolute_uri(reverse("designs:shared", args=[design.share_token]))
        if is_owner and design.share_token else "",
        "embed_code": _embed_code(request, design) if is_owner else "",
        **extra,
    }
    return render(request, "designs/detail.html", context, status=status)


def _embed_code(request: HttpRequest, design: Design) -> str:
    """The HTML an owner pastes into a course page. It is HTML source, so the name is escaped
    for it here, and the template escapes the whole snippet again to show it as text."""
    if design.visibility == Design.Visibility.PUBLIC:
        url = request.build_absolute_uri(reverse("designs:embed", args=[design.pk]))
    elif design.share_token and design.visibility == Design.Visibility.UNLISTED:
        url = request.build_absolute_uri(reverse("designs:shared-embed", args=[design.share_token]))
    else:
        return ""
    return f'<iframe src="{escape(url)}" width="900" height="560" title="{escape(design.name)}"></iframe>'


@require_safe
def design_detail(request: HttpRequest, design_id: Any) -> HttpResponse:
    return _detail(request, access.viewable_or_404(request, design_id))


def _tags(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", text) if t]


@require_POST
def design_update(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.owned_or_404(request, design_id)
    form = {"name": request.POST.get("name", ""), "description": request.POST.get("description", ""),
            "tags": request.POST.get("tags", "")}
    try:
        services.design_update(design=design, name=form["name"], description=form["description"],
                               tags=_tags(form["tags"]))
    except Refused as exc:
        return _detail(request, design, status=400, problems=exc.problems, form=form)
    messages.success(request, "Saved the name, description and tags.")
    return redirect("designs:detail", design.pk)


@require_POST
def design_share(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.owned_or_404(request, design_id)
    try:
        services.design_share(design=design, visibility=request.POST.get("visibility"))
    except Refused as exc:
        return _detail(request, design, status=400, problems=exc.problems)
    messages.success(request, f"Visibility: {design.get_visibility_display()}.")
    return redirect(reverse("designs:detail", args=[design.pk]) + "#share")


@require_POST
def design_revoke_link(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.owned_or_404(request, design_id)
    services.design_revoke_link(design=design)
    messages.success(request, "The link was revoked: it no longer opens this design.")
    return redirect(reverse("designs:detail", args=[design.pk]) + "#share")


@require_http_methods(["GET", "POST"])
def design_delete(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.owned_or_404(request, design_id)
    if request.method == "GET":
        return render(request, "designs/delete.html", {"design": design})
    name = design.name
    services.design_delete(design=design)
    messages.success(request, f"Deleted {name}.")
    return redirect("profile")


@require_safe
def revision_detail(request: HttpRequest, design_id: Any, number: int) -> HttpResponse:
    design = access.viewable_or_404(request, design_id)
    revision = access.revision_or_404(design, number)
    doc = revision.topology
    return render(request, "designs/revision.html", {
        "design": design, "revision": revision, "is_owner": selectors.can_edit(request.user, design),
        "nodes": [{**n, "placed": n.get("zone") or n.get("region") or ""} for n in doc.get("nodes") or []
                  if isinstance(n, dict)],
        "edges": [e for e in doc.get("edges") or [] if isinstance(e, dict)],
        "document": json.dumps(doc, indent=2, ensure_ascii=False),
    })


@require_POST
def revision_restore(request: HttpRequest, design_id: Any, number: int) -> HttpResponse:
    design = access.owned_or_404(request, design_id)
    try:
        revision = services.design_restore(design=design, author=request.user, number=number)
    except Refused:
        raise Http404("no such revision") from None
    messages.success(request, f"Revision {number} is the latest again, as revision {revision.number}.")
    return redirect("designs:detail", design.pk)


def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def _node_changes(old: dict[str, Any], new: dict[str, Any], changed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changed nodes with each field's value before and after, for reading rather than ids."""
    before = {str(n.get("id")): n for n in old.get("nodes") or [] if isinstance(n, dict)}
    after = {str(n.get("id")): n for n in new.get("nodes") or [] if isinstance(n, dict)}

    def get(node: dict[str, Any], field: str) -> Any:
        return (node.get("params") or {}).get(field[7:]) if field.startswith("params.") else node.get(field)

    return [{"id": c["id"], "fields": [{"name": f, "before": _value(get(before[c["id"]], f)),
                                         "after": _value(get(after[c["id"]], f))} for f in c["fields"]]}
            for c in changed]


@require_safe
def revision_compare(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.viewable_or_404(request, design_id)
    to = access.revision_or_404(design, request.GET.get("to") or design.latest_revision)
    default_from = max(to.number - 1, 1)
    start = access.revision_or_404(design, request.GET.get("from") or default_from)
    diff = topology_diff(start.topology, to.topology)
    return render(request, "designs/compare.html", {
        "design": design, "start": start, "to": to, "diff": diff,
        "node_changes": _node_changes(start.topology, to.topology, diff["nodes"]["changed"]),
        "numbers": list(selectors.revisions_of(design=design).values_list("number", flat=True)),
    })


@require_http_methods(["GET", "POST"])
def design_import(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "GET":
        return render(request, "designs/import.html", {})
    upload = request.FILES.get("file")
    name = request.POST.get("name", "").strip()
    problems: list[Problem] = []
    doc: Any = None
    if upload is None:
        return render(request, "designs/import.html",
                      {"problems": [problem("$", "choose a topology JSON file to import")], "name": name}, status=400)
    filename = upload.name or "the file"  # (a multipart part always names its file)
    try:
        check_size(upload.size or 0, max_bytes=LIMITS["document_bytes"], what=filename)
        doc = read_json(upload.read(), max_bytes=LIMITS["document_bytes"], what=filename)
    except Refused as exc:
        problems = exc.problems
    if not problems:
        default = doc.get("name") if isinstance(doc, dict) and isinstance(doc.get("name"), str) else ""
        try:
            described = doc.get("description") if isinstance(doc, dict) else None
            design = services.design_create(owner=request.user, name=name or default or filename.rsplit(".", 1)[0],
                                            description=described if isinstance(described, str) else "",
                                            topology=doc, message=f"imported from {filename}"[:200])
        except Refused as exc:
            # Paths relative to the file the user chose: "$.nodes[2]", not "$.topology.nodes[2]".
            problems = [problem("$" + p["path"][len("$.topology"):], p["message"], p["severity"])
                        if p["path"].startswith("$.topology") else p for p in exc.problems]
        else:
            messages.success(request, f"Imported {design.name}.")
            return redirect("designs:detail", design.pk)
    return render(request, "designs/import.html", {"problems": problems, "name": name}, status=400)


def _filename(design: Design, revision: Revision, ext: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", design.name).strip("-")[:60] or "design"
    return f"{stem}-r{revision.number}.{ext}"


@require_safe
def design_export(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.viewable_or_404(request, design_id)
    revision = access.revision_or_404(design, request.GET.get("revision") or design.latest_revision)
    response = HttpResponse(json.dumps(revision.topology, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(design, revision, "json")}"'
    return response


@require_safe
def design_thumbnail(request: HttpRequest, design_id: Any) -> HttpResponse:
    design = access.viewable_or_404(request, design_id)
    revision = access.revision_or_404(design, request.GET.get("revision") or design.latest_revision)
    response = HttpResponse(thumbnail_svg(revision.topology), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{_filename(design, revision, "svg")}"'
    return response


@require_safe
def gallery(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    tag = request.GET.get("tag", "").strip()[:30]
    sort = "forks" if request.GET.get("sort") == "forks" else "recent"
    page = Paginator(selectors.gallery(search=search, tag=tag, sort=sort), GALLERY_PAGE).get_page(request.GET.get("page"))
    return render(request, "designs/gallery.html", {"page": page, "q": search, "tag": tag, "sort": sort})


# ---- embeddable views: framed by course pages on other sites ----------------------------------

def _embed(request: HttpRequest, design: Design, full_url: str) -> HttpResponse:
    return render(request, "designs/embed.html", {
        "design": design, "topology": selectors.revision_latest(design=design).topology, "catalogue": catalogue(),
        "full_url": full_url,
    })


@require_safe
@ensure_csrf_cookie  # its Run posts to /api/v1/runs (a framing site's page may not pass it on)
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]  # django-csp 4.0 types a view as f(request) only
def shared_embed(request: HttpRequest, token: str) -> HttpResponse:
    design = selectors.design_by_token(token=token)
    if design is None:
        raise Http404("this link does not work")
    return _embed(request, design, reverse("designs:shared", args=[token]))


@require_safe
@ensure_csrf_cookie
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]  # django-csp 4.0 types a view as f(request) only
def design_embed(request: HttpRequest, design_id: Any) -> HttpResponse:
    # Public designs only, whoever asks: an embed is for everyone who reads the course page.
    design = selectors.design_get(user=AnonymousUser(), design_id=design_id)
    if design is None:
        raise Http404("no such public design")
    return _embed(request, design, reverse("designs:edit", args=[design.pk]))

"""Studies through the API: a sweep, replications over seeds or an A/B comparison of a design
you may view, run on the simulation workers; its status, progress and document; cancel; the
document as study.json or study.csv; a design's studies. Who may see a study is the design's
rule (lab.studies.selectors); the rules about what may be run are lab.studies.services'."""
from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.designs import selectors as designs
from lab.designs.access import LINKS
from lab.designs.models import Design, Revision
from lab.runs import quotas
from lab.sim.problems import Refused, problem
from lab.studies import documents, frontier, selectors, services
from lab.studies.models import Study

from . import study_serializers as s
from .permissions import design_for_read, not_found, positive_id, require_user, share_token
from .views import ApiListView, ApiView, body, errors

TAGS = ["studies"]
COMMON = ("kind", "token")
DOWNLOAD_FORMATS = ("json", "csv")


def _study_for_read(request: Request, study_id: UUID) -> Study:
    links = request.session.get(LINKS, {}) if hasattr(request, "session") else {}
    study = selectors.study_get_visible(study_id=study_id, user=request.user, token=share_token(request),
                                        links=links if isinstance(links, dict) else None)
    if study is None:
        raise not_found("study")
    return study


def _revision(design: Design, number: Any, path: str) -> Revision:
    if number is None:
        return designs.revision_latest(design=design)
    number = positive_id(number, path)
    revision = designs.revision_get(design=design, number=number)
    if revision is None:
        raise Refused([problem(path, f"this design has no revision {number}")])
    return revision


def _side(request: Request, design: Design, raw: Any, path: str) -> tuple[Design, Revision]:
    """A comparison's A or B: {"revision": n} of this design, or {"design": id, "revision": n, "token": ...}."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Refused([problem(path, "must be an object: {\"revision\": 2} or {\"design\": id, \"revision\": 2}")])
    unknown = [k for k in raw if k not in ("design", "revision", "token")]
    if unknown:
        raise Refused([problem(f"{path}.{str(k)[:100]}", "unknown field; this takes: design, revision, token "
                                                              "(or, for B, topology alone)")
                       for k in unknown[:20]])
    if raw.get("design") is not None and str(raw["design"]) != str(design.pk):
        if not isinstance(raw["design"], str) or not isinstance(raw.get("token", ""), str):
            raise Refused([problem(f"{path}.design", "design must be a design's id and token a share link's token")])
        try:
            design = design_for_read(request, raw["design"], raw.get("token"))
        except Refused:
            raise Refused([problem(f"{path}.design", "no such design (or you may not see it)")], status=404) from None
    return design, _revision(design, raw.get("revision"), f"{path}.revision")


def _side_b(request: Request, design: Design, raw: Any) -> tuple[Design | None, Revision | None, Any]:
    """B of a comparison: a saved revision (as `_side`), or {"topology": {...}}, a proposed change
    that is not saved (the lab's canvas as it is), checked by the study's planning."""
    if isinstance(raw, dict) and "topology" in raw:
        others = [k for k in raw if k != "topology"]
        if others:
            raise Refused([problem(f"$.b.{str(k)[:100]}", "B is either a proposed change ({\"topology\": ...}) or a "
                                                          "saved revision ({\"design\", \"revision\"}), not both")
                           for k in others[:20]])
        if not isinstance(raw["topology"], dict):
            raise Refused([problem("$.b.topology", "must be a topology document (a JSON object, docs/topology.md)")])
        return None, None, raw["topology"]
    design_b, revision_b = _side(request, design, raw, "$.b")
    return design_b, revision_b, None


class StudyListView(ApiListView):
    serializer_class = s.StudySerializer

    @extend_schema(tags=TAGS, summary="A design's studies, newest first",
                   description="Everyone who may view the design may list its studies (a comparison whose B they "
                               "may not view is left out). Without documents: GET each study for its document.",
                   responses={200: s.StudySerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, design_id: UUID) -> Response:
        design = design_for_read(request, design_id)
        return self.paginated(selectors.studies_of_design(design=design, user=request.user))

    @extend_schema(
        tags=TAGS, summary="Run a sweep, replications over seeds, or an A/B comparison of this design",
        description="Planned and checked whole before anything runs (every value, every point's design, the "
                    "per-run and total budgets): a bad request runs nothing. Its runs go to the simulation workers "
                    "a few at a time, behind other runs, and count as the caller's. Sign-in or a token needed (401); "
                    "a design the caller may not view is 404; over the allowance of studies at once: 429 with "
                    "Retry-After. Follow it at GET /api/v1/studies/{id} or on its websocket.",
        request=s.StudyCreateRequest,
        examples=[
            OpenApiExample("a load sweep", request_only=True, value={
                "kind": "sweep", "spec": {"axes": [{"workload": "rate_per_s", "range": {"start": 100, "stop": 1000,
                                                                                          "steps": 10}}], "seeds": 3}}),
            OpenApiExample("replications", request_only=True, value={"kind": "replications", "seeds": 10}),
            OpenApiExample("a comparison of two revisions", request_only=True, value={
                "kind": "comparison", "seeds": 5, "a": {"revision": 1}, "b": {"revision": 2}}),
            OpenApiExample("a comparison with a proposed change (unsaved)", request_only=True, value={
                "kind": "comparison", "seeds": 5, "b": {"topology": {"settings": {"duration_s": 30},
                                                                     "nodes": ["..."], "edges": ["..."]}}})],
        responses={201: s.StudyDetailSerializer, **errors(400, 401, 403, 404, 413, 415, 429)})
    def post(self, request: Request, design_id: UUID) -> Response:
        data = request.data
        token = data.get("token") if isinstance(data, dict) else None
        design = design_for_read(request, design_id, token if isinstance(token, str) else None)
        require_user(request)
        if not isinstance(data, dict):
            raise Refused([problem("$", "the body must be a JSON object: {\"kind\": \"sweep\", \"spec\": {...}}")])
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in services.KINDS:
            raise Refused([problem("$.kind", f"kind must be one of {', '.join(services.KINDS)}")])
        sides = ("a", "b") if kind == "comparison" else ("revision",)
        data = body(request, COMMON + sides + services.OPTIONS[kind])
        if kind == "comparison":
            design_a, revision = _side(request, design, data.get("a"), "$.a")
            if design_a.pk != design.pk:
                raise Refused([problem("$.a.design", "A is a revision of the design the study is saved with; "
                                                     "name another design as B")])
            if "b" not in data:
                raise Refused([problem("$.b", "a comparison needs B: {\"b\": {\"revision\": 2}}, or "
                                              "{\"b\": {\"topology\": {...}}} for a proposed change")])
            design_b, revision_b, topology_b = _side_b(request, design, data["b"])
        else:
            revision = _revision(design, data.get("revision"), "$.revision")
            design_b, revision_b, topology_b = None, None, None
        options = {k: data[k] for k in services.OPTIONS[kind] if k in data}
        study = services.study_create(requester=quotas.requester_of(request), kind=kind, options=options,
                                      design=design, revision=revision, design_b=design_b, revision_b=revision_b,
                                      topology_b=topology_b)
        return Response(s.StudyDetailSerializer(study).data, status=201,
                        headers={"Location": f"/api/v1/studies/{study.id}"})


class StudyView(ApiView):
    @extend_schema(tags=TAGS, summary="A study: its status, progress and (once over) its document",
                   description="With `?partial=true`, a study still going has the document of the runs finished "
                               "so far (a sweep's points appear as their runs finish; its `status` says it is not "
                               "over), for a page that draws it as it goes: ask when the websocket's `done` "
                               "grows, not in a loop.",
                   parameters=[OpenApiParameter("partial", bool, OpenApiParameter.QUERY, required=False)],
                   responses={200: s.StudyDetailSerializer, **errors(400, 401, 404)})
    def get(self, request: Request, study_id: UUID) -> Response:
        raw = request.query_params.get("partial", "false")
        if raw not in ("true", "false", "1", "0"):
            raise Refused([problem("?partial", "partial is true or false")])
        study = _study_for_read(request, study_id)
        data = s.StudyDetailSerializer(study).data
        if raw in ("true", "1") and not study.is_over:
            data["document"] = selectors.study_document_so_far(study=study)
        return Response(data)


class StudyFrontierView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Cost per hour against p99 across several saved designs, the Pareto front marked",
        description=f"`?designs=<id>,<id>,...` (1 to {frontier.MAX_DESIGNS}, each once). Each design you may see "
                    "gives one point from its latest finished study over seeds (a run over seeds, or the A side of "
                    "an A/B comparison saved with it): cost per hour and p99 with their 95% intervals, and whether "
                    "it is on the front. A design with no such study is under `without` with the reason. An id of "
                    "a design you may not see is answered as one of no design at all (under `not_found`), so "
                    "nothing about it is revealed. Anyone may ask, signed in or not: what is shown is what the "
                    "caller may view.",
        parameters=[OpenApiParameter("designs", str, OpenApiParameter.QUERY, required=True,
                                     description="comma-separated design ids")],
        responses={200: s.FrontierSerializer, **errors(400)})
    def get(self, request: Request) -> Response:
        ids = frontier.parse_design_ids(request.query_params.get("designs"))
        links = request.session.get(LINKS, {}) if hasattr(request, "session") else {}
        return Response(frontier.study_frontier(design_ids=ids, user=request.user,
                                                links=links if isinstance(links, dict) else None))


class StudyCancelView(ApiView):
    @extend_schema(tags=TAGS, summary="Cancel a study: its waiting and running runs stop; what finished is kept",
                   description="Only whoever ran it (403 for others who may see it). The study is `cancelled` at "
                               "once, with the document of the runs finished so far (null if none). 409 if it is "
                               "already over.",
                   request=None, responses={200: s.StudyDetailSerializer, **errors(401, 403, 404, 409)})
    def post(self, request: Request, study_id: UUID) -> Response:
        study = _study_for_read(request, study_id)
        require_user(request)
        return Response(s.StudyDetailSerializer(services.study_cancel(study=study, user=request.user)).data)


class StudyDownloadView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Download a study: study.json or study.csv",
        description="`json`: the study and its document. `csv`: a sweep's one row per point and figure (overall, "
                    "then each node's) with n, median, mean and the 95% interval; replications' one row per figure "
                    "with the seeds needed; a comparison's one row per figure with A's and B's means, B - A with "
                    "its interval, the relative difference, whether it is significant, which is better, and the "
                    "verdict. As an attachment named archlab-study-<id>.<fmt>.",
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(DOWNLOAD_FORMATS))],
        responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="study.json"),
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="study.csv"),
                   **errors(401, 404)})
    def get(self, request: Request, study_id: UUID, fmt: str) -> HttpResponse:
        if fmt not in DOWNLOAD_FORMATS:
            raise Refused("a study comes as study.json or study.csv", status=404)
        study = _study_for_read(request, study_id)
        if fmt == "json":
            # The study as its detail says it (a proposed B's topology with it), its document beside.
            described = {k: v for k, v in s.StudyDetailSerializer(study).data.items() if k != "document"}
            text = json.dumps({"study": described, "document": study.document}, allow_nan=False,
                              indent=1, default=str)
            response = HttpResponse(text, content_type="application/json")
        else:
            response = HttpResponse(documents.csv_text(study), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="archlab-study-{study.id}.{fmt}"'
        return response

"""Designs through the API: list, create, read, update, delete, revisions, diff, restore, fork,
share and thumbnails. Each view parses, checks access (permissions.py), calls one service or
selector and answers."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from lab.designs import selectors, services
from lab.designs.diff import topology_diff
from lab.designs.models import Design, Revision
from lab.designs.thumbnails import thumbnail_svg

from . import serializers as s
from lab.sim.problems import Refused, problem
from .permissions import design_for_read, design_for_write, positive_id, require_user
from .schema import TOPOLOGY_EXAMPLE
from .views import ApiListView, ApiView, body, errors, text

TOKEN = OpenApiParameter("token", str, description="the share link token of an unlisted design (or send it in "
                                                   "the X-Share-Token header)")
TAGS = ["designs"]


def _detail(request: Request, design: Design, status: int = 200) -> Response:
    latest = selectors.revision_latest(design=design)
    data = s.DesignDetailSerializer(design, context={"request": request, "latest": latest}).data
    headers = {"Location": data["url"]} if status == 201 else None
    return Response(data, status=status, headers=headers)


def _summary(request: Request, design: Design) -> Response:
    return Response(s.DesignSerializer(design, context={"request": request}).data)


def _query(request: Request, name: str, *, choices: tuple[str, ...] = (), max_length: int = 200) -> str:
    value = request.query_params.get(name, choices[0] if choices else "")
    if choices and value not in choices:
        raise Refused([problem(f"?{name}", f"{name} must be one of: {', '.join(choices)}")])
    if len(value) > max_length:
        raise Refused([problem(f"?{name}", f"{name} must be at most {max_length} characters")])
    return value


class DesignListView(ApiListView):
    serializer_class = s.DesignSerializer

    @extend_schema(
        tags=TAGS, summary="Your designs, or the public gallery",
        parameters=[
            OpenApiParameter("scope", str, enum=["mine", "public"],
                             description="`mine` (default; sign-in needed): your designs, most recently changed "
                                         "first. `public`: the gallery, open to anyone."),
            OpenApiParameter("search", str, description="gallery: text the name or description contains"),
            OpenApiParameter("tag", str, description="gallery: only designs with this tag"),
            OpenApiParameter("sort", str, enum=["recent", "forks"], description="gallery order (default recent)"),
        ],
        responses={200: s.DesignSerializer(many=True), **errors(400, 401, 404)})
    def get(self, request: Request) -> Response:
        scope = _query(request, "scope", choices=("mine", "public"))
        if scope == "public":
            designs = selectors.gallery(search=_query(request, "search"), tag=_query(request, "tag", max_length=30),
                                        sort=_query(request, "sort", choices=("recent", "forks")))
        else:
            require_user(request)
            designs = selectors.designs_of(user=request.user).select_related("owner")
        return self.paginated(designs)

    @extend_schema(tags=TAGS, summary="Create a design (its first revision)", request=s.DesignCreateRequest,
                   examples=[OpenApiExample("a two-node design", request_only=True, value={
                       "name": "First try", "tags": ["intro"], "topology": TOPOLOGY_EXAMPLE})],
                   responses={201: s.DesignDetailSerializer, **errors(400, 401, 413, 415)})
    def post(self, request: Request) -> Response:
        require_user(request)
        data = body(request, ("name", "description", "tags", "topology", "message"))
        if "topology" not in data:
            raise Refused([problem("$.topology", "send the design's topology document")])
        if data.get("tags") is not None:  # design_create takes a falsy value (0, "", {}) as no tags
            services.clean_meta(tags=data["tags"], partial=True)
        design = services.design_create(owner=request.user, name=data.get("name"), description=data.get("description"),
                                        tags=data.get("tags"), topology=data["topology"],
                                        message=text(data, "message", max_length=200, default="created") or "created")
        return _detail(request, design, status=201)


class DesignView(ApiView):
    @extend_schema(tags=TAGS, summary="A design with its latest revision's topology", parameters=[TOKEN],
                   responses={200: s.DesignDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, design_id: UUID) -> Response:
        return _detail(request, design_for_read(request, design_id))

    @extend_schema(tags=TAGS, summary="Rename, describe or tag a design (owner only)", request=s.DesignUpdateRequest,
                   responses={200: s.DesignDetailSerializer, **errors(400, 401, 403, 404, 413, 415)})
    def patch(self, request: Request, design_id: UUID) -> Response:
        design = design_for_write(request, design_id)
        data = body(request, ("name", "description", "tags"))
        design = services.design_update(design=design, name=data.get("name"), description=data.get("description"),
                                        tags=data.get("tags"))
        return _detail(request, design)

    @extend_schema(tags=TAGS, summary="Delete a design and its history (owner only)",
                   responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, design_id: UUID) -> Response:
        services.design_delete(design=design_for_write(request, design_id))
        return Response(status=204)


class RevisionListView(ApiListView):
    serializer_class = s.RevisionSerializer

    @extend_schema(tags=TAGS, summary="A design's revisions, newest first", parameters=[TOKEN],
                   responses={200: s.RevisionSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, design_id: UUID) -> Response:
        design = design_for_read(request, design_id)
        return self.paginated(selectors.revisions_of(design=design).select_related("author"))

    @extend_schema(tags=TAGS, summary="Save a new revision (owner only); earlier ones stay",
                   request=s.RevisionCreateRequest,
                   examples=[OpenApiExample("a new revision", request_only=True, value={
                       "topology": TOPOLOGY_EXAMPLE, "message": "one more node"})],
                   responses={201: s.RevisionDetailSerializer, **errors(400, 401, 403, 404, 413, 415)})
    def post(self, request: Request, design_id: UUID) -> Response:
        design = design_for_write(request, design_id)
        data = body(request, ("topology", "message"))
        if "topology" not in data:
            raise Refused([problem("$.topology", "send the topology document to save")])
        revision = services.design_save(design=design, author=request.user, topology=data["topology"],
                                        message=text(data, "message", max_length=200))
        return Response(s.RevisionDetailSerializer(revision).data, status=201,
                        headers={"Location": f"/api/v1/designs/{design.id}/revisions/{revision.number}"})


class RevisionView(ApiView):
    @extend_schema(tags=TAGS, summary="One revision with its topology", parameters=[TOKEN],
                   responses={200: s.RevisionDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, design_id: UUID, number: int) -> Response:
        design = design_for_read(request, design_id)
        revision = selectors.revision_get(design=design, number=number) if number <= 2**31 else None
        if revision is None:
            raise Refused([problem("$", f"this design has no revision {number}")], status=404)
        return Response(s.RevisionDetailSerializer(revision).data)


class DiffView(ApiView):
    @extend_schema(
        tags=TAGS, summary="What changed between two revisions",
        parameters=[TOKEN,
                    OpenApiParameter("from", int, description="default: the revision before `to`"),
                    OpenApiParameter("to", int, description="default: the latest revision")],
        responses={200: s.DiffSerializer, **errors(400, 401, 404)})
    def get(self, request: Request, design_id: UUID) -> Response:
        design = design_for_read(request, design_id)
        params = request.query_params
        to = positive_id(params["to"], "?to", text=True) if "to" in params else design.latest_revision
        start = positive_id(params["from"], "?from", text=True) if "from" in params else max(to - 1, 1)
        found: dict[str, Revision] = {}
        for name, number in (("from", start), ("to", to)):
            revision = selectors.revision_get(design=design, number=number)
            if revision is None:
                raise Refused([problem(f"?{name}", f"this design has no revision {number}")], status=404)
            found[name] = revision
        diff = topology_diff(found["from"].topology, found["to"].topology)
        return Response(s.DiffSerializer({"from": start, "to": to, **diff}).data)


class RestoreView(ApiView):
    @extend_schema(tags=TAGS, summary="Make an earlier revision the latest again, as a new revision (owner only)",
                   request=s.RestoreRequest,
                   responses={201: s.RevisionDetailSerializer, **errors(400, 401, 403, 404, 413, 415)})
    def post(self, request: Request, design_id: UUID) -> Response:
        design = design_for_write(request, design_id)
        data = body(request, ("number",))
        number = positive_id(data.get("number"), "$.number")
        revision = services.design_restore(design=design, author=request.user, number=number)
        return Response(s.RevisionDetailSerializer(revision).data, status=201)


class ForkView(ApiView):
    @extend_schema(tags=TAGS, summary="Copy a design you may view into your own (private) design",
                   parameters=[TOKEN], request=s.ForkRequest,
                   examples=[OpenApiExample("a fork with the changes made in the lab", request_only=True,
                                            value={"topology": TOPOLOGY_EXAMPLE})],
                   description="The fork's first revision is the design's latest. With `topology` (the lab's "
                               "\"Save as my fork\": changes made to a design the caller may not edit) that "
                               "document becomes the fork's second revision; a topology the engine refuses "
                               "leaves no fork behind.",
                   responses={201: s.DesignDetailSerializer, **errors(400, 401, 404, 413, 415)})
    def post(self, request: Request, design_id: UUID) -> Response:
        design = design_for_read(request, design_id)
        require_user(request)
        data = body(request, ("name", "topology"))
        name = services.clean_meta(name=data.get("name"), partial=True).get("name")
        fork = services.design_fork(design=design, owner=request.user, name=name, topology=data.get("topology"))
        return _detail(request, fork, status=201)


class ShareView(ApiView):
    @extend_schema(tags=TAGS, summary="Set the visibility (owner only); unlisted and public designs get a share link",
                   request=s.ShareRequest, responses={200: s.DesignSerializer, **errors(400, 401, 403, 404, 413, 415)},
                   description="The answer's `share_url` is the link's path, `/s/<token>/`, or null when private.")
    def post(self, request: Request, design_id: UUID) -> Response:
        design = design_for_write(request, design_id)
        data = body(request, ("visibility",))
        return _summary(request, services.design_share(design=design, visibility=data.get("visibility")))


class UnshareView(ApiView):
    @extend_schema(tags=TAGS, summary="Revoke the share link (owner only)", request=None,
                   description="The link stops working at once; an unlisted design becomes private, a public one "
                               "stays listed. Sharing again makes a new link.",
                   responses={200: s.DesignSerializer, **errors(401, 403, 404)})
    def post(self, request: Request, design_id: UUID) -> Response:
        return _summary(request, services.design_revoke_link(design=design_for_write(request, design_id)))


class ThumbnailView(ApiView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The picture itself is a plain HttpResponse; only errors are rendered, always as JSON,
        # so a client that asks for image/svg+xml gets the SVG rather than a 406.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(tags=TAGS, summary="A small SVG picture of the latest revision", parameters=[TOKEN],
                   responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR),
                              **errors(401, 404)})
    def get(self, request: Request, design_id: UUID) -> HttpResponse:
        design = design_for_read(request, design_id)
        latest = selectors.revision_latest(design=design)
        return HttpResponse(thumbnail_svg(latest.topology), content_type="image/svg+xml")

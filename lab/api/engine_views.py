"""What the engine answers without a run: the example topologies, every problem of a document,
and a traffic source's rate curve. The lab page's editor calls these; so may any script."""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiRequest, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from lab.sim import LIMITS, check
from lab.sim.components.traffic_source import TrafficSource
from lab.sim.parts.traffic_patterns import rate_preview
from lab.sim.problems import Problem, Refused, problem
from lab.views import example, examples

from . import serializers as s
from .schema import TOPOLOGY_EXAMPLE
from .views import ApiView, errors

TAGS = ["engine"]


class ExampleListView(ApiView):
    @extend_schema(tags=TAGS, summary="The example topologies: id, name and description",
                   responses={200: inline_serializer("Example", {"id": serializers.CharField(),
                                                                 "name": serializers.CharField(),
                                                                 "description": serializers.CharField()}, many=True),
                              **errors(401)})
    def get(self, request: Request) -> Response:
        return Response(examples())


class ExampleView(ApiView):
    @extend_schema(tags=TAGS, summary="An example topology document",
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=s.TOPOLOGY_HELP), **errors(401, 404)})
    def get(self, request: Request, name: str) -> Response:
        doc = example(name)
        if doc is None:
            raise Refused("no such example", status=404)
        return Response(doc)


class TopologyCheckView(ApiView):
    # The body is the document itself, so the document's own limit (not the body's) applies.
    body_max_bytes = LIMITS["document_bytes"]
    body_what = "the document"

    @extend_schema(tags=TAGS, summary="Every problem of a topology document, errors and warnings",
                   description="The body is the document. 200 with `{\"problems\": []}` when it has none; the "
                               "problems of a document are an answer, not a refusal.",
                   request=OpenApiRequest(OpenApiTypes.OBJECT), examples=[OpenApiExample("a document", request_only=True,
                                                                       value=TOPOLOGY_EXAMPLE)],
                   responses={200: s.ProblemsSerializer, **errors(400, 401, 413, 415)})
    def post(self, request: Request) -> Response:
        return Response({"problems": check(request.data)})


def _source_params(body: Any) -> tuple[dict[str, Any], float]:
    """A traffic source's parameters and the preview's end from a preview request, or Refused
    with every problem."""
    if not isinstance(body, dict) or not isinstance(body.get("params", {}), dict):
        raise Refused('send {"params": {...}, "until_s": 300}')
    declared = {p.name: p for p in TrafficSource.params}
    params = TrafficSource.defaults()
    problems: list[Problem] = []
    for name, value in body.get("params", {}).items():
        param = declared.get(name)
        reason = "is not a parameter of a traffic source" if param is None else param.check(value)
        if reason:
            problems.append(problem(f"$.params.{name}", f"{name} {reason}"))
        else:
            params[name] = value
    until = body.get("until_s", 300)
    if isinstance(until, bool) or not isinstance(until, (int, float)) or not 0 < until <= LIMITS["duration_s"]:
        problems.append(problem("$.until_s", f"until_s must be more than 0 and at most {LIMITS['duration_s']:g}"))
    if problems:
        raise Refused(problems)
    return params, float(until)


class SourcePreviewView(ApiView):
    @extend_schema(tags=TAGS, summary="A traffic source's rate curve, as the engine will follow it",
                   request=inline_serializer("SourcePreviewRequest", {
                       "params": serializers.DictField(help_text="traffic source parameters (default: its defaults)"),
                       "until_s": serializers.FloatField(required=False, help_text="the curve's end (default 300)")}),
                   examples=[OpenApiExample("a ramp", request_only=True,
                                            value={"params": {"rate_per_s": 50}, "until_s": 300})],
                   responses={200: inline_serializer("SourcePreview", {"points": serializers.ListField(
                       child=serializers.ListField(child=serializers.FloatField()),
                       help_text="[[t_s, requests_per_s], ...]: 200 points")}), **errors(400, 401, 413, 415)})
    def post(self, request: Request) -> Response:
        params, until = _source_params(request.data)
        return Response({"points": rate_preview(params, until)})


"""What every API view shares (the parser, pagination, body checks, documented errors), the
component catalogue, and the JSON 404 for paths the API does not have."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lab.http import refused_response
from lab.sim.document.schema import catalogue

from . import schema  # noqa: F401  (registers the token authentication in the OpenAPI document)
from lab.sim.problems import Refused, problem
from .parsers import JsonBodyParser
from .serializers import ProblemsSerializer


class Page(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class ApiView(APIView):
    parser_classes = [JsonBodyParser]


class ApiListView(generics.GenericAPIView):
    parser_classes = [JsonBodyParser]
    pagination_class = Page

    def paginated(self, items: Any, **context: Any) -> Response:
        page = self.paginate_queryset(items)
        serializer = self.get_serializer_class()(page, many=True, context={"request": self.request, **context})
        return self.get_paginated_response(serializer.data)


def errors(*codes: int) -> dict[int, Any]:
    """The error answers an operation documents: each is {"problems": [...]}."""
    return {code: ProblemsSerializer for code in codes}


def body(request: Request, fields: tuple[str, ...]) -> dict[str, Any]:
    """The request body as an object with only the known `fields`; a misspelt field is an error
    rather than silently ignored."""
    data = request.data
    if not isinstance(data, dict):
        raise Refused([problem("$", "the body must be a JSON object")])
    unknown = [key for key in data if key not in fields]
    if unknown:
        raise Refused([problem(f"$.{key[:100]}", f"unknown field; this takes: {', '.join(fields)}")
                       for key in unknown[:20]])
    return data


def text(data: dict[str, Any], field: str, *, max_length: int, default: str = "") -> str:
    value = data.get(field)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > max_length:
        raise Refused([problem(f"$.{field}", f"{field} must be text of at most {max_length} characters")])
    return value


class CatalogueView(ApiView):
    @extend_schema(summary="The component catalogue", responses={200: OpenApiTypes.OBJECT, **errors(401)},
                   description="Every component kind with its parameters (units, defaults, ranges, help), the "
                               "fault kinds, edge policies, failure causes and the limits. Read from the engine's "
                               "registry, so it is always current.")
    def get(self, request: Request) -> Response:
        return Response(catalogue())


@csrf_exempt  # it changes nothing, and a write to a path that does not exist should hear 404, not 403
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any other path under /api/v1/ answers JSON, not an HTML page."""
    return refused_response(Refused("there is no such API endpoint; see /api/v1/docs", status=404))

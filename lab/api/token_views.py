"""API tokens for scripts: list, create (the secret is shown once) and revoke. Managed from a
signed-in browser session only (permissions.SessionOnly), like the profile page."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.accounts import selectors, services

from . import serializers as s
from lab.sim.problems import Refused, problem
from .permissions import MAX_ID, SessionOnly
from .views import ApiListView, ApiView, body, errors

TAGS = ["tokens"]


class TokenListView(ApiListView):
    serializer_class = s.TokenSerializer
    permission_classes = [SessionOnly]

    @extend_schema(tags=TAGS, summary="Your live API tokens, newest first",
                   responses={200: s.TokenSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.live_tokens(user=request.user))

    @extend_schema(tags=TAGS, summary="Make a token; its secret is in this answer only",
                   request=s.TokenCreateRequest, responses={201: s.TokenCreatedSerializer, **errors(400, 401, 403, 413, 415)})
    def post(self, request: Request) -> Response:
        name = body(request, ("name",)).get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise Refused([problem("$.name", "name the token (1 to 100 characters), e.g. \"grading script\"")])
        row, secret = services.token_issue(user=request.user, name=name)
        return Response({**s.TokenSerializer(row).data, "token": secret}, status=201)


class TokenView(ApiView):
    permission_classes = [SessionOnly]

    @extend_schema(tags=TAGS, summary="Revoke a token: it stops working at once",
                   responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, token_id: int) -> Response:
        if token_id > MAX_ID or not services.token_revoke(user=request.user, token_id=token_id):
            raise Refused([problem("$", "you have no such live token")], status=404)
        return Response(status=204)

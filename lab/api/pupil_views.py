"""Pupil accounts through the API (docs/pupil-accounts.md): a visitor makes a class-scoped pupil
account with the class's join code and is signed in; the class's teacher lists its pupils,
resets a pupil's password (the one-time password is in the answer, once) and renames a pupil.
A read the caller may not make answers 404, as the rest of the classes API; the rules are in
lab/classroom/pupils.py, these views parse, call one service and answer."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import login
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from lab.accounts.throttle import client_address
from lab.classroom import pupils, selectors
from lab.classroom.models import Classroom, PupilAccount
from lab.runs.quotas import network_of

from . import classroom_serializers as cs
from .classroom_views import classroom_data
from lab.sim.problems import Refused, problem
from .permissions import MAX_ID, not_found, require_user, visitor_session
from .views import ApiListView, ApiView, body, errors

TAGS = ["classes"]
BACKEND = "django.contrib.auth.backends.ModelBackend"


class PupilSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="the pupil's user id (a student id everywhere else in the API)")
    display_name = serializers.CharField()
    classroom = serializers.UUIDField()
    active = serializers.BooleanField(help_text="false once removed from the class: it cannot sign in")
    must_change_password = serializers.BooleanField(help_text="reset by the teacher, not yet signed in since")
    reset_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    url = serializers.CharField()


class PupilJoinRequest(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="the class's join code, any case")
    display_name = serializers.CharField(max_length=50, help_text="unique in the class, whatever the case")
    password = serializers.CharField(help_text="checked by the server's password rules (at least 8 characters, "
                                               "not a common one)")


class PupilJoinSerializer(serializers.Serializer):
    pupil = PupilSerializer()
    classroom = cs.ClassroomSerializer()


class PupilRenameRequest(serializers.Serializer):
    display_name = serializers.CharField(max_length=50)


class PupilResetSerializer(serializers.Serializer):
    pupil = PupilSerializer()
    one_time_password = serializers.CharField(help_text="shown this once; only its hash is kept")


def _pupil_data(pupil: PupilAccount) -> dict[str, Any]:
    return {"id": pupil.user_id, "display_name": pupil.display_name, "classroom": pupil.classroom_id,
            "active": pupil.user.is_active, "must_change_password": pupil.must_change_password,
            "reset_at": pupil.reset_at, "created": pupil.created,
            "url": f"/api/v1/classes/{pupil.classroom_id}/pupils/{pupil.user_id}"}


def _teacher_class(request: Request, classroom_id: UUID) -> Classroom:
    """The class, for its teacher only: its students get 404 too."""
    classroom = selectors.classroom_get(user=request.user, classroom_id=classroom_id)
    if classroom is None or classroom.teacher_id != request.user.pk:
        raise not_found("class")
    return classroom


def _pupil(classroom: Classroom, user_id: int) -> PupilAccount:
    pupil = pupils.pupil_get(classroom=classroom, user_id=user_id) if 1 <= user_id <= MAX_ID else None
    if pupil is None:
        raise not_found("pupil")
    return pupil


class PupilJoinView(ApiView):
    @extend_schema(tags=TAGS, summary="Make a pupil account for a class and sign in with it (visitors)",
                   description="A class-scoped account with a display name and a password, no e-mail address; it "
                               "is a student of the class and of no other. The answer signs the browser session in "
                               "(send the CSRF token, as for every session write). 400 for a display name taken in "
                               "the class or a password the server's rules refuse; 404 for an unknown code; 409 for "
                               "a class closed to new students, archived or at its pupil limit, or a caller already "
                               "signed in; 429 past the accounts a network may make for a class in a while.",
                   request=PupilJoinRequest,
                   responses={201: PupilJoinSerializer, **errors(400, 403, 404, 409, 429)})
    def post(self, request: Request) -> Response:
        if request.user.is_authenticated:
            raise Refused([problem("$", "you are signed in: join with your own account (POST /api/v1/classes/join), "
                                        "or sign out to make a pupil account")], status=409)
        visitor_session(request)  # the CSRF check a signed-in session gets
        data = body(request, ("code", "display_name", "password"))
        pupil = pupils.pupil_create(code=data.get("code"), display_name=data.get("display_name"),
                                    password=data.get("password"),
                                    network=network_of(client_address(request._request)))
        login(request._request, pupil.user, backend=BACKEND)
        classroom = pupil.classroom
        answer = {"pupil": _pupil_data(pupil),
                  "classroom": classroom_data(classroom, "student", selectors.student_count(classroom=classroom))}
        return Response(PupilJoinSerializer(answer).data, status=201)


class PupilListView(ApiListView):
    serializer_class = PupilSerializer

    @extend_schema(tags=TAGS, summary="The class's pupil accounts, removed ones too (teacher)",
                   responses={200: PupilSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        classroom = _teacher_class(request, classroom_id)
        return self.paginated([_pupil_data(p) for p in pupils.pupils_of(classroom=classroom)])


class PupilView(ApiView):
    @extend_schema(tags=TAGS, summary="Rename a pupil (teacher)", request=PupilRenameRequest,
                   description="The new display name is shown wherever the pupil is named, results and CSV "
                               "included. 400 when another pupil of the class has it (in any case).",
                   responses={200: PupilSerializer, **errors(400, 401, 404)})
    def patch(self, request: Request, classroom_id: UUID, user_id: int) -> Response:
        require_user(request)
        pupil = _pupil(_teacher_class(request, classroom_id), user_id)
        data = body(request, ("display_name",))
        pupils.pupil_rename(pupil=pupil, by=request.user, display_name=data.get("display_name"))
        return Response(PupilSerializer(_pupil_data(pupil)).data)


class PupilResetView(ApiView):
    @extend_schema(tags=TAGS, summary="Reset a pupil's password (teacher): a one-time password, shown once",
                   description="The pupil's password stops working and their sessions end. They sign in on the "
                               "class's join page with the one-time password and must choose a new one before "
                               "anything else. 409 for a pupil removed from the class.",
                   request=None, responses={200: PupilResetSerializer, **errors(401, 403, 404, 409)})
    def post(self, request: Request, classroom_id: UUID, user_id: int) -> Response:
        require_user(request)
        pupil = _pupil(_teacher_class(request, classroom_id), user_id)
        one_time = pupils.pupil_reset(pupil=pupil, by=request.user)
        answer = PupilResetSerializer({"pupil": _pupil_data(pupil), "one_time_password": one_time}).data
        return Response(answer, headers={"Cache-Control": "no-store"})

"""Classes through the API (docs/classroom.md has the permissions matrix): classes and join
codes, students, assignments, submissions graded on the server, results, CSV and re-grading.
A read the caller may not make answers 404 (a class or assignment cannot be found by guessing);
an anonymous write 401; a member who may see but not change something, 403. The rules are in
lab/classroom/services.py and selectors.py; these views parse, call one service and answer."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.classroom import export, selectors, services
from lab.classroom.models import Assignment, Classroom, Submission
from lab.runs import quotas

from . import classroom_serializers as s
from .permissions import MAX_ID, not_found, require_user, run_owner_key
from .views import ApiListView, ApiView, body, errors

TAGS = ["classes"]
ASSIGNMENT_FIELDS = services.FIELDS
ANONYMISE = OpenApiParameter("anonymise", OpenApiTypes.BOOL, description="1: students as Student 1, 2, ...")


def _classroom(request: Request, classroom_id: UUID) -> Classroom:
    classroom = selectors.classroom_get(user=request.user, classroom_id=classroom_id)
    if classroom is None:
        raise not_found("class")
    return classroom


def _assignment(request: Request, assignment_id: UUID) -> Assignment:
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    if assignment is None:
        raise not_found("assignment")
    return assignment


def _teachers(request: Request, assignment: Assignment) -> None:
    """What only the class's teacher may read: a student of the class gets 404 too."""
    if not selectors.is_teacher_of(assignment, request.user):
        raise not_found("assignment")


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": selectors.display_name(user)}


def classroom_data(classroom: Classroom, role: str, students: int) -> dict[str, Any]:
    teacher = role == "teacher"
    return {"id": classroom.id, "name": classroom.name, "join_code": classroom.join_code if teacher else None,
            "join_url": f"/classes/join/{classroom.join_code}" if teacher else None,
            "joining_open": classroom.joining_open, "archived": classroom.archived, "role": role,
            "teacher": _person(classroom.teacher), "students": students, "created": classroom.created,
            "url": f"/api/v1/classes/{classroom.id}"}


def _classroom_answer(request: Request, classroom: Classroom, status: int = 200) -> Response:
    role = selectors.role_in(classroom, request.user) or "student"
    data = classroom_data(classroom, role, selectors.student_count(classroom=classroom))
    return Response(s.ClassroomSerializer(data).data, status=status)


def _assignment_data(assignment: Assignment, user: Any, status: dict[str, Any] | None = None) -> dict[str, Any]:
    if selectors.is_teacher_of(assignment, user):
        data = selectors.assignment_for_teacher(assignment=assignment)
    else:
        data = {**selectors.assignment_for_student(assignment=assignment),
                "status": status or selectors.student_status(assignment, user)}
    return {**data, "url": f"/api/v1/assignments/{assignment.id}"}


def _submission_data(sub: Submission) -> dict[str, Any]:
    attempt = sub.attempt
    grade = None
    if sub.graded is not None and attempt.grade is not None:
        # Revealed once submitted: the seeds and faults the design was graded on, hidden ones too.
        grade = {**attempt.grade, "scenario": {"seeds": attempt.seeds, "faults": attempt.scenario.get("faults", [])}}
    status = "graded" if sub.graded is not None else attempt.status
    return {"id": sub.id, "assignment": sub.assignment_id, "student": _person(sub.student), "number": sub.number,
            "late": sub.late, "created": sub.created, "status": status,
            "regrading": sub.pending_attempt_id is not None, "score": sub.score, "max_score": sub.max_score,
            "attempt": attempt.id, "attempt_url": f"/api/v1/lessons/{attempt.lesson}/attempts/{attempt.id}",
            "grade": grade, "history": [{"score": g.score, "max_score": g.max_score, "reason": g.reason,
                                         "created": g.created} for g in sub.grades.all()],
            "url": f"/api/v1/submissions/{sub.id}"}


def _anonymise(request: Request) -> bool:
    return request.query_params.get("anonymise", "") in ("1", "true", "yes")


def _graded_results(assignment: Assignment, anonymise: bool) -> selectors.Results:
    for sub in selectors.ungraded(assignment=assignment):
        services.submission_refresh(submission=sub)
    return selectors.results(assignment=assignment, anonymise=anonymise)


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ClassroomListView(ApiListView):
    serializer_class = s.ClassroomSerializer

    @extend_schema(tags=TAGS, summary="The classes you teach, then those you are a student of",
                   responses={200: s.ClassroomSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request) -> Response:
        require_user(request)
        items = [classroom_data(c["classroom"], c["role"], c["students"])
                 for c in selectors.classrooms_of(user=request.user)]
        return self.paginated(items)

    @extend_schema(tags=TAGS, summary="Create a class (teachers only)", request=s.ClassroomCreateRequest,
                   responses={201: s.ClassroomSerializer, **errors(400, 401, 403, 409)})
    def post(self, request: Request) -> Response:
        require_user(request)
        data = body(request, ("name",))
        classroom = services.classroom_create(teacher=request.user, name=data.get("name"))
        return _classroom_answer(request, classroom, status=201)


class ClassroomView(ApiView):
    @extend_schema(tags=TAGS, summary="A class (its join code for its teacher)",
                   responses={200: s.ClassroomSerializer, **errors(401, 404)})
    def get(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        return _classroom_answer(request, _classroom(request, classroom_id))

    @extend_schema(tags=TAGS, summary="Rename, open or close joining, archive or unarchive (teacher)",
                   request=s.ClassroomUpdateRequest, responses={200: s.ClassroomSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        classroom = _classroom(request, classroom_id)
        data = body(request, ("name", "joining_open", "archived"))
        services.classroom_update(classroom=classroom, by=request.user, **data)
        return _classroom_answer(request, classroom)


class JoinView(ApiView):
    @extend_schema(tags=TAGS, summary="Join a class with its code",
                   description="Joining twice is joining once. 404 for an unknown code, 409 for a class closed to "
                               "new students or archived, 429 after 20 wrong codes in an hour.",
                   request=s.JoinRequest, responses={200: s.ClassroomSerializer, **errors(400, 401, 404, 409, 429)})
    def post(self, request: Request) -> Response:
        require_user(request)
        data = body(request, ("code",))
        membership = services.classroom_join(user=request.user, code=data.get("code"))
        return _classroom_answer(request, membership.classroom)


class LeaveView(ApiView):
    @extend_schema(tags=TAGS, summary="Leave a class (your submissions stay with the teacher)", request=None,
                   responses={204: None, **errors(401, 404)})
    def post(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        classroom = _classroom(request, classroom_id)
        services.classroom_leave(user=request.user, classroom=classroom)
        return Response(status=204)


def _teacher_class(request: Request, classroom_id: UUID) -> Classroom:
    classroom = _classroom(request, classroom_id)
    if classroom.teacher_id != request.user.pk:
        raise not_found("class")
    return classroom


class StudentListView(ApiListView):
    serializer_class = s.StudentSerializer

    @extend_schema(tags=TAGS, summary="The class's students (teacher)",
                   responses={200: s.StudentSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        classroom = _teacher_class(request, classroom_id)
        return self.paginated([{"id": m.student.pk, "name": selectors.display_name(m.student),
                                "username": selectors.username_shown(m.student), "joined": m.joined}
                               for m in selectors.members(classroom=classroom)])


class StudentView(ApiView):
    @extend_schema(tags=TAGS, summary="Remove a student from the class (teacher)",
                   responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, classroom_id: UUID, user_id: int) -> Response:
        require_user(request)
        classroom = _classroom(request, classroom_id)
        if not 1 <= user_id <= MAX_ID:
            raise not_found("student")
        services.student_remove(classroom=classroom, by=request.user, student=user_id)
        return Response(status=204)


class AssignmentListView(ApiListView):
    serializer_class = s.AssignmentSerializer

    @extend_schema(tags=TAGS, summary="The class's assignments (a student: those open, with their status)",
                   responses={200: s.AssignmentSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        classroom = _classroom(request, classroom_id)
        items = [_assignment_data(a["assignment"], request.user, a["status"])
                 for a in selectors.assignments_of(classroom=classroom, user=request.user)]
        return self.paginated(items)

    @extend_schema(tags=TAGS, summary="Set a lesson step as an assignment (teacher)", request=s.AssignmentRequest,
                   responses={201: s.AssignmentSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        classroom = _classroom(request, classroom_id)
        data = body(request, ASSIGNMENT_FIELDS)
        assignment = services.assignment_create(classroom=classroom, by=request.user, title=data.get("title"),
                                                lesson=data.get("lesson"), step=data.get("step"),
                                                **{k: v for k, v in data.items()
                                                   if k not in ("title", "lesson", "step")})
        return Response(s.AssignmentSerializer(_assignment_data(assignment, request.user)).data, status=201)


class AssignmentView(ApiView):
    @extend_schema(tags=TAGS, summary="An assignment (a student's view has no hidden seeds or faults)",
                   responses={200: s.AssignmentSerializer, **errors(401, 404)})
    def get(self, request: Request, assignment_id: UUID) -> Response:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        return Response(s.AssignmentSerializer(_assignment_data(assignment, request.user)).data)

    @extend_schema(tags=TAGS, summary="Change an assignment (teacher); grades stand until a re-grade",
                   request=s.AssignmentRequest, responses={200: s.AssignmentSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request: Request, assignment_id: UUID) -> Response:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        data = body(request, ASSIGNMENT_FIELDS)
        services.assignment_update(assignment=assignment, by=request.user, **data)
        return Response(s.AssignmentSerializer(_assignment_data(assignment, request.user)).data)


class SubmissionListView(ApiListView):
    serializer_class = s.SubmissionSerializer

    @extend_schema(tags=TAGS, summary="Submissions: all for the teacher, your own for a student",
                   responses={200: s.SubmissionSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, assignment_id: UUID) -> Response:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        mine = None if selectors.is_teacher_of(assignment, request.user) else request.user
        return self.paginated([_submission_data(sub) for sub in
                               selectors.submissions_of(assignment=assignment, student=mine)])

    @extend_schema(tags=TAGS, summary="Submit your design for grading",
                   description="Graded with the assignment's scenario: the step's, with seeds and faults the "
                               "teacher may keep hidden until you submit (the grade shows them). 409 when the class "
                               "is archived, the assignment is not open, no attempts are left, or it is late and "
                               "takes no late work; 429 past your run allowance.",
                   request=s.SubmissionCreateRequest,
                   responses={202: s.SubmissionSerializer, **errors(400, 401, 403, 404, 409, 413, 415, 429)})
    def post(self, request: Request, assignment_id: UUID) -> Response:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        data = body(request, ("topology",))
        requester = quotas.requester_of(request)
        sub = services.submission_create(assignment=assignment, student=request.user,
                                         topology=data.get("topology"), owner_key=run_owner_key(request),
                                         requester=requester)
        data = s.SubmissionSerializer(_submission_data(sub)).data
        return Response(data, status=202, headers={"Location": data["url"]})


class SubmissionView(ApiView):
    @extend_schema(tags=TAGS, summary="A submission: graded on the first read after its runs are over",
                   responses={200: s.SubmissionSerializer, **errors(401, 404)})
    def get(self, request: Request, submission_id: UUID) -> Response:
        require_user(request)
        sub = selectors.submission_get(user=request.user, submission_id=submission_id)
        if sub is None:
            raise not_found("submission")
        return Response(s.SubmissionSerializer(_submission_data(services.submission_refresh(submission=sub))).data)


class ResultsView(ApiView):
    @extend_schema(tags=TAGS, summary="The assignment's results (teacher)", parameters=[ANONYMISE],
                   responses={200: s.ResultsSerializer, **errors(401, 404)})
    def get(self, request: Request, assignment_id: UUID) -> Response:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        _teachers(request, assignment)
        return Response(s.ResultsSerializer(_graded_results(assignment, _anonymise(request))).data)


CSV_RESPONSE = {200: OpenApiResponse(OpenApiTypes.STR, description="text/csv, UTF-8 with a byte order mark"),
                **errors(401, 404)}


class ResultsCsvView(ApiView):
    @extend_schema(tags=TAGS, summary="The results as CSV: a row per student, a column per goal (teacher)",
                   parameters=[ANONYMISE], responses=CSV_RESPONSE)
    def get(self, request: Request, assignment_id: UUID) -> HttpResponse:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        _teachers(request, assignment)
        return _csv(export.results_csv(_graded_results(assignment, _anonymise(request))), "results.csv")


class SubmissionsCsvView(ApiView):
    @extend_schema(tags=TAGS, summary="Every submission as CSV: a row per submission (teacher)",
                   parameters=[ANONYMISE], responses=CSV_RESPONSE)
    def get(self, request: Request, assignment_id: UUID) -> HttpResponse:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        _teachers(request, assignment)
        table = _graded_results(assignment, False)
        subs = selectors.submissions_of(assignment=assignment)
        return _csv(export.submissions_csv(subs, [g["id"] for g in table["goals"]], _anonymise(request)),
                    "submissions.csv")


class RegradeView(ApiView):
    @extend_schema(tags=TAGS, summary="Re-grade every student's latest submission (teacher)", request=None,
                   description="With the assignment's scenario, goals and points as they are now. Each score is "
                               "replaced when its new grade arrives; the old stays in the submission's history. "
                               "409 while a re-grade of the assignment is still running.",
                   responses={202: s.RegradeSerializer, **errors(401, 403, 404, 409)})
    def post(self, request: Request, assignment_id: UUID) -> Response:
        require_user(request)
        assignment = _assignment(request, assignment_id)
        count = services.assignment_regrade(assignment=assignment, by=request.user)
        return Response({"regraded": count}, status=202)

"""Submissions: a student's design graded on the server with the assignment's scenario, its
score from the assignment's points, and re-grading every student's latest design after the
teacher changed the assignment, with every grade kept (GradeRecord).

A submission is a lab.lessons Attempt: lab.lessons.services.attempt_create with the
assignment's scenario (the step's, its seeds replaced by the hidden seeds, the hidden faults
added), so locks, quotas, priority and the start design's comparison runs are the lessons'.
Nothing waits for the runs: the first read after they are over grades it (submission_refresh).
"""
from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from lab.lessons import services as lesson_services
from lab.lessons.models import Attempt
from lab.runs import quotas
from lab.sim.problems import Refused

from . import checks
from . import selectors
from .errors import ClassroomRefused
from .models import Assignment, GradeRecord, Membership, Submission

MAX_REGRADE = 500  # a class's students: every one's latest submission


def scenario_of(assignment: Assignment) -> tuple[Any, Any, dict[str, Any]]:
    """(lesson, step, scenario) of the assignment as it is now; 409 once the lesson lost the step."""
    found = selectors.assignment_step(assignment)
    if found is None:
        raise ClassroomRefused(f"the lesson {assignment.lesson!r} no longer has the step {assignment.step!r}; the "
                               "teacher must change the assignment", status=409)
    lesson, step = found
    return lesson, step, checks.assignment_scenario(step, assignment.hidden_seeds, assignment.hidden_faults)


def _attempt(assignment: Assignment, user: Any, topology: Any, owner_key: str,
             requester: quotas.Requester | None, record_progress: bool = True) -> Attempt:
    lesson, step, scenario = scenario_of(assignment)
    return lesson_services.attempt_create(user=user, lesson=lesson, step_id=step.id, topology=topology,
                                          owner_key=owner_key, requester=requester, scenario=scenario,
                                          record_progress=record_progress)


def submission_create(*, assignment: Assignment, student: Any, topology: Any, owner_key: str,
                      requester: quotas.Requester | None) -> Submission:
    """Submit a design. Refused: 403 for anyone but a student of the class; 409 when the class
    is archived, the assignment not open yet, no attempts are left, or it is late and the
    assignment takes no late work (each a ClassroomRefused); 400 for a design that cannot take
    the scenario (the lesson's LessonRefused); 429 over the student's run allowance (a run's
    Refused, with its Retry-After). Nothing is stored when refused."""
    classroom = assignment.classroom
    if not Membership.objects.filter(classroom=classroom, student_id=getattr(student, "pk", None)).exists():
        raise ClassroomRefused("only the class's students submit work; the teacher tries a design in the lesson itself",
                               status=403)
    with transaction.atomic():
        # One submission at a time per assignment, so two at once cannot both take the last attempt.
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        why = selectors.why_not_submit(assignment, student)
        if why is not None:
            raise ClassroomRefused(f"you cannot submit: {why}", status=409)
        late = assignment.due is not None and timezone.now() > assignment.due
        number = (Submission.objects.filter(assignment=assignment, student=student)
                  .aggregate(n=Max("number"))["n"] or 0) + 1
        attempt = _attempt(assignment, student, topology, owner_key, requester)
        points = selectors.points_for(assignment)
        try:
            with transaction.atomic():
                return Submission.objects.create(assignment=assignment, student=student, attempt=attempt,
                                                 number=number, late=late, max_score=sum(points.values()))
        except IntegrityError:
            raise ClassroomRefused("another submission of yours arrived at the same moment; reload and try again",
                                   status=409) from None


def score_of(assignment: Assignment, submission: Submission, attempt: Attempt) -> tuple[float, float, str]:
    """(score, max score, reason) of a graded attempt: the points of the goals it passed, less
    the late penalty when the assignment takes late work at a penalty. A run that did not
    complete scores 0, and the reason says why."""
    points = checks.points_of(assignment.points, [str(g.get("id")) for g in attempt.goals])
    most = sum(points.values())
    grade = attempt.grade or {}
    if grade.get("problems") and not grade.get("goals"):
        why = "; ".join(p["message"] for p in grade["problems"]) or "a run did not complete"
        return 0.0, most, why[:200]
    score = sum(points.get(g["goal"], 0.0) for g in grade.get("goals", []) if g["passed"])
    if submission.late and assignment.late_policy == Assignment.LatePolicy.PENALTY and assignment.late_penalty_pct:
        score = score * (100 - assignment.late_penalty_pct) / 100
        return round(score, 6), most, f"graded, late: {assignment.late_penalty_pct}% off"
    return round(score, 6), most, "graded"


def submission_refresh(*, submission: Submission) -> Submission:
    """Bring a submission up to date: grade its attempt once its runs are over, and a pending
    re-grade's. A grade is stored once (conditional UPDATEs: of two readers racing, one writes it)."""
    assignment = submission.assignment
    attempt = lesson_services.attempt_refresh(attempt=submission.attempt)
    if submission.graded is None and attempt.status == Attempt.Status.GRADED:
        score, most, reason = score_of(assignment, submission, attempt)
        with transaction.atomic():
            if Submission.objects.filter(id=submission.id, graded__isnull=True).update(
                    score=score, max_score=most, graded=timezone.now()):
                GradeRecord.objects.create(submission=submission, attempt=attempt, score=score, max_score=most,
                                           reason=reason)
    pending = submission.pending_attempt
    if pending is not None:
        pending = lesson_services.attempt_refresh(attempt=pending)
        if pending.status == Attempt.Status.GRADED:
            score, most, reason = score_of(assignment, submission, pending)
            with transaction.atomic():
                if Submission.objects.filter(id=submission.id, pending_attempt=pending).update(
                        attempt=pending, pending_attempt=None, score=score, max_score=most, graded=timezone.now()):
                    GradeRecord.objects.create(submission=submission, attempt=pending, score=score, max_score=most,
                                               reason=f"re-graded ({reason})"[:200])
    submission.refresh_from_db()
    return submission


def regrade_running(assignment: Assignment) -> bool:
    """Whether a re-grade of the assignment still waits for runs (those over are graded first)."""
    waiting = Submission.objects.filter(assignment=assignment, pending_attempt__isnull=False).select_related(
        "assignment", "attempt", "pending_attempt")
    for submission in waiting:
        submission_refresh(submission=submission)
    return Submission.objects.filter(assignment=assignment, pending_attempt__isnull=False).exists()


def assignment_regrade(*, assignment: Assignment, by: Any) -> int:
    """Grade every student's latest submission again, with the assignment's scenario, goals and
    points as they are now: a new attempt of the design as submitted, run under the teacher's
    name (owner key "user:<id>", no quota: the teacher did not choose how many students there
    are) at the graded priority. Each score is replaced when its new grade arrives; the old
    ones stay in the history. 409 while a re-grade of the assignment is still running. A design
    that cannot take the new scenario scores 0 at once, with the reason. Answers how many
    submissions are re-graded."""
    if assignment.classroom.teacher_id != getattr(by, "pk", None) or not selectors.is_teacher(by):
        raise ClassroomRefused("only the class's teacher re-grades its work", status=403)
    if regrade_running(assignment):
        raise ClassroomRefused("a re-grade of this assignment is still running; wait for it to finish", status=409)
    latest = (Submission.objects.filter(assignment=assignment).values("student").annotate(n=Max("number")))
    wanted = {(row["student"], row["n"]) for row in latest}
    if len(wanted) > MAX_REGRADE:
        raise ClassroomRefused(f"at most {MAX_REGRADE} submissions are re-graded at once", status=409)
    subs = [s for s in Submission.objects.filter(assignment=assignment).select_related("attempt", "student")
            if (s.student_id, s.number) in wanted]
    scenario_of(assignment)  # 409 before anything is queued when the step is gone
    count = 0
    for submission in subs:
        try:
            with transaction.atomic():
                attempt = _attempt(assignment, submission.student, submission.attempt.topology,
                                   f"user:{by.pk}", None, record_progress=False)
                Submission.objects.filter(id=submission.id).update(pending_attempt=attempt)
        except Refused as exc:  # the classroom's, the lesson's (the design) or a run's (a budget)
            why = "; ".join(p["message"] for p in exc.problems) or "the design cannot take the new scenario"
            points = selectors.points_for(assignment)
            with transaction.atomic():
                Submission.objects.filter(id=submission.id).update(score=0.0, max_score=sum(points.values()),
                                                                   graded=timezone.now())
                GradeRecord.objects.create(submission=submission, attempt=submission.attempt, score=0.0,
                                           max_score=sum(points.values()), reason=f"re-graded: {why}"[:200])
        count += 1
    return count

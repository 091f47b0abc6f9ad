"""Serializers of the classes API (lab/api/classroom_views.py; docs/classroom.md): the shapes of
classes, assignments (the student's view and the teacher's), submissions and results."""
from __future__ import annotations

from rest_framework import serializers

from .serializers import ObjectField, TopologyField


class ClassroomSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    join_code = serializers.CharField(allow_null=True, help_text="the teacher's only; null for a student")
    join_url = serializers.CharField(allow_null=True, help_text="the page students join at; teacher only")
    joining_open = serializers.BooleanField()
    archived = serializers.DateTimeField(allow_null=True)
    role = serializers.ChoiceField(choices=["teacher", "student"])
    teacher = ObjectField(help_text="{id, name}")
    students = serializers.IntegerField()
    created = serializers.DateTimeField()
    url = serializers.CharField()


class ClassroomCreateRequest(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ClassroomUpdateRequest(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    joining_open = serializers.BooleanField(required=False)
    archived = serializers.BooleanField(required=False, help_text="true archives the class (no joins, no "
                                                                  "submissions), false brings it back")


class JoinRequest(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="the class's join code, any case")


class StudentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    username = serializers.CharField(allow_null=True, help_text="none for a pupil account (its username is internal)")
    joined = serializers.DateTimeField()


class StudentStatusSerializer(serializers.Serializer):
    submissions = serializers.IntegerField()
    best_score = serializers.FloatField(allow_null=True)
    last_submitted = serializers.DateTimeField(allow_null=True)
    can_submit = serializers.BooleanField()
    why_not = serializers.CharField(allow_null=True)


class AssignmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    classroom = serializers.UUIDField()
    title = serializers.CharField()
    lesson = serializers.CharField()
    step = serializers.CharField()
    opens = serializers.DateTimeField(allow_null=True)
    due = serializers.DateTimeField(allow_null=True)
    max_attempts = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
    late_policy = serializers.ChoiceField(choices=["accept", "penalty", "refuse"])
    late_penalty_pct = serializers.IntegerField()
    points = ObjectField(help_text="goal id -> points")
    show_hints = serializers.BooleanField()
    show_reference = serializers.BooleanField()
    hidden_seeds = serializers.ListField(child=serializers.IntegerField(), required=False,
                                         help_text="teacher only; empty: the step's own seeds")
    hidden_faults = serializers.ListField(child=ObjectField(), required=False,
                                          help_text="teacher only; added to the step's faults")
    status = StudentStatusSerializer(required=False, allow_null=True, help_text="a student's: their submissions")
    url = serializers.CharField()


class AssignmentRequest(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    lesson = serializers.CharField(max_length=64)
    step = serializers.CharField(max_length=64)
    opens = serializers.DateTimeField(required=False, allow_null=True)
    due = serializers.DateTimeField(required=False, allow_null=True)
    max_attempts = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    late_policy = serializers.ChoiceField(choices=["accept", "penalty", "refuse"], required=False)
    late_penalty_pct = serializers.IntegerField(required=False, min_value=0, max_value=100)
    show_hints = serializers.BooleanField(required=False)
    show_reference = serializers.BooleanField(required=False)
    hidden_seeds = serializers.ListField(child=serializers.IntegerField(min_value=0), required=False, max_length=10)
    hidden_faults = serializers.ListField(child=ObjectField(), required=False, max_length=20)
    points = ObjectField(required=False)


class SubmissionCreateRequest(serializers.Serializer):
    topology = TopologyField()


class GradeRecordSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    max_score = serializers.FloatField()
    reason = serializers.CharField()
    created = serializers.DateTimeField()


class SubmissionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    assignment = serializers.UUIDField()
    student = ObjectField(help_text="{id, name}")
    number = serializers.IntegerField()
    late = serializers.BooleanField()
    created = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["queued", "running", "graded"])
    regrading = serializers.BooleanField(help_text="a re-grade waits for its runs; the score is the previous one")
    score = serializers.FloatField(allow_null=True)
    max_score = serializers.FloatField()
    attempt = serializers.UUIDField(help_text="the lessons attempt graded")
    attempt_url = serializers.CharField()
    grade = ObjectField(allow_null=True, help_text="the attempt's grade (goals, problems, comparison) and "
                                                   "`scenario`: the seeds and faults it was graded on, hidden "
                                                   "ones included")
    history = GradeRecordSerializer(many=True)
    url = serializers.CharField()


class ResultsSerializer(serializers.Serializer):
    goals = serializers.ListField(child=ObjectField(), help_text="[{id, text, points}]")
    rows = serializers.ListField(child=ObjectField(),
                                 help_text="[{student {id, name, username}, attempts, best, last, total}]; best and "
                                           "last: {submission, number, score, max_score, late, created, graded, "
                                           "goals {goal id: {passed, value, unit}}}")
    distribution = ObjectField(help_text='goal id -> {"passed", "failed", "values"} over best submissions')


class RegradeSerializer(serializers.Serializer):
    regraded = serializers.IntegerField(help_text="students' latest submissions queued for a new grade")

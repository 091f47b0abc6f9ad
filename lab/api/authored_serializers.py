"""Serializers of teachers' own lessons and challenges (lab/api/authored_views.py;
docs/challenges.md): their shapes in the OpenAPI document."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .serializers import ObjectField, ProblemSerializer


class AuthoredStepSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class AuthoredSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="the lesson id learners' addresses use: t- and 16 characters")
    title = serializers.CharField()
    source_ = serializers.ChoiceField(choices=["upload", "challenge"])
    created = serializers.DateTimeField()
    steps = AuthoredStepSerializer(many=True, help_text="empty if the lesson no longer loads")
    assignments = serializers.IntegerField(help_text="assignments that set it (while any does, it cannot be deleted)")
    points = ObjectField(help_text="a challenge's points per goal id ({} for an upload)")
    lesson_url = serializers.CharField(help_text="the lesson page: a preview for its owner")
    assign_url = serializers.CharField(help_text="the classes page, to set it in a class's assignment form")
    url = serializers.CharField()

    def get_fields(self) -> dict[str, Any]:
        # A field cannot be declared as `source`: that is every field's own attribute.
        return {"source" if name == "source_" else name: field for name, field in super().get_fields().items()}


class AuthoredDetailSerializer(AuthoredSerializer):
    document = ObjectField(allow_null=True, help_text="a challenge's document as saved, to edit it as a new one")


class AuthoredCreatedSerializer(AuthoredDetailSerializer):
    warnings = ProblemSerializer(many=True, help_text="what the loader warns about (saved anyway)")


class UploadRequest(serializers.Serializer):
    file = serializers.FileField(help_text="the lesson folder as a zip (at most 5 MB, 200 files, 20 MB unpacked)")


class ChallengeRequest(serializers.Serializer):
    title = serializers.CharField()
    narrative = serializers.CharField(help_text="Markdown, as a lesson step's narrative")
    summary = serializers.CharField(required=False)
    minutes = serializers.IntegerField(required=False)
    teaches = serializers.ListField(child=serializers.CharField(), required=False)
    start = ObjectField(help_text="the topology the students start from")
    reference = ObjectField(required=False, help_text="a topology that passes every goal (the proof)")
    scenario = ObjectField(help_text="duration_s, warmup_s, window_s, seeds, seed_rule, traffic, faults "
                                     "(as a lesson step's [steps.scenario])")
    goals = serializers.ListField(child=ObjectField(), help_text="metric, scope, span, compare, value, unit, and "
                                                                 "optionally id, text, points")
    hints = serializers.ListField(child=serializers.CharField(), required=False)
    palette = serializers.ListField(child=serializers.CharField(), required=False)
    locked = serializers.ListField(child=serializers.CharField(), required=False)


class ChallengeCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="true when it would be saved")
    problems = ProblemSerializer(many=True, help_text="every problem, with the document's paths ($.goals[2].unit)")
    points = ObjectField()
    step = serializers.CharField()


class GoalSuggestionSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()
    metric = serializers.CharField()
    scope = ObjectField()
    span = ObjectField()
    compare = serializers.CharField()
    value = serializers.FloatField()
    unit = serializers.CharField()
    measured = serializers.FloatField(help_text="what the run measured")
    measured_text = serializers.CharField()
    margin = serializers.FloatField()


class GoalSuggestionsSerializer(serializers.Serializer):
    run = serializers.UUIDField()
    margin = serializers.FloatField()
    goals = GoalSuggestionSerializer(many=True)

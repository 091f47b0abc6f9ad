"""Serializers of the lessons API (lab/api/lesson_views.py; docs/api.md, "Lessons"): the shapes
of lessons, steps, attempts and grades in the OpenAPI document."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lab.runs.models import Run

from .serializers import ObjectField, ProblemSerializer, TopologyField


class LessonProgressSerializer(serializers.Serializer):
    current_step = serializers.CharField()
    passed_steps = serializers.ListField(child=serializers.CharField())
    steps = serializers.IntegerField(help_text="how many steps the lesson has")
    attempts = serializers.IntegerField(help_text="graded attempts submitted, all steps together")
    best = ObjectField(help_text="step id -> the best graded attempt: attempt, passed, goals, goals_passed, measured, "
                                 "comparison (as in the grade)")
    updated = serializers.DateTimeField()


class LessonSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    minutes = serializers.IntegerField(help_text="estimated minutes to complete it")
    teaches = serializers.ListField(child=serializers.CharField())
    steps = serializers.IntegerField()
    broken = serializers.BooleanField(help_text="staff only: a lesson folder that does not load")
    problems = ProblemSerializer(many=True, help_text="staff only: why a broken lesson does not load")
    progress = LessonProgressSerializer(allow_null=True, help_text="yours; null when you have not started it")


class LessonGoalSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()
    spec = ObjectField(help_text="the goal as data (docs/lessons-goals.md)")


class LessonHintsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    unlocked = serializers.ListField(child=serializers.CharField(), help_text="the hints unlocked so far, in order")


class LessonPredictionSerializer(serializers.Serializer):
    id = serializers.CharField()
    question = serializers.CharField()
    metric = serializers.CharField()
    unit = serializers.CharField()


class LessonStepSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    narrative_html = serializers.CharField(help_text="sanitised HTML; images under /lessons/{id}/files/")
    debrief_html = serializers.CharField(allow_null=True, help_text="shown once you passed the step")
    goals = LessonGoalSerializer(many=True)
    scenario = ObjectField(help_text="imposed on every graded run: duration_s, warmup_s, window_s, seeds, "
                                     "seed_rule, traffic, faults, and `text`, a sentence")
    palette = serializers.ListField(child=serializers.CharField(), allow_null=True,
                                    help_text="the kinds the palette offers; null: every kind")
    locked = serializers.ListField(child=serializers.CharField(), help_text='node ids, or "node.param"')
    predictions = LessonPredictionSerializer(many=True)
    hints = LessonHintsSerializer()
    start = TopologyField(help_text="the design you start this step from (for a visitor on a step that starts "
                                    "from the previous one: the previous step's reference)")
    start_from = serializers.ChoiceField(
        choices=["file", "previous", "previous-reference"],
        help_text="where `start` comes from: the step's own file; the design you passed the previous step with "
                  "(its reference if you did not; a visitor's browser shows its own passed design, the server "
                  "checks locks against the reference); or the previous step's reference")
    topology = TopologyField(allow_null=True, help_text="your latest design for this step (null before you submit one)")
    passed = serializers.BooleanField()
    attempts = serializers.IntegerField()
    best = ObjectField(allow_null=True, help_text="your best graded attempt on the step (as in progress.best); "
                                                  "null for a visitor, whose progress is in their browser")


class LessonDetailSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    minutes = serializers.IntegerField()
    teaches = serializers.ListField(child=serializers.CharField())
    steps = LessonStepSerializer(many=True)
    progress = LessonProgressSerializer(allow_null=True)


class AttemptRunSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="run.id")
    role = serializers.ChoiceField(choices=["design", "start"], help_text="your design, or the start design "
                                                                          "a relative goal compares with")
    seed = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Run.Status.values, source="run.status")
    url = serializers.SerializerMethodField()
    websocket = serializers.SerializerMethodField()
    watchable = serializers.SerializerMethodField(
        help_text="whether you may open the run (`url`, `websocket`): your design's runs, yes; a start run is the "
                  "lesson's, shared by every learner on the step, and shown through the grade's comparison")

    def get_url(self, link: Any) -> str:
        return f"/api/v1/runs/{link.run_id}"

    def get_watchable(self, link: Any) -> bool:
        return link.run_id in self.context.get("watchable", ())

    def get_websocket(self, link: Any) -> str:
        return f"/ws/runs/{link.run_id}/"


class GoalMeasureSerializer(serializers.Serializer):
    seed = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="null: not measurable (nothing completed...)")
    unit = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    baseline = serializers.FloatField(allow_null=True, help_text="a relative goal's value on the start design")
    passed = serializers.BooleanField()
    sentence = serializers.CharField()


class GoalGradeSerializer(serializers.Serializer):
    goal = serializers.CharField()
    text = serializers.CharField()
    passed = serializers.BooleanField()
    seeds_passed = serializers.IntegerField()
    seeds_needed = serializers.IntegerField()
    sentence = serializers.CharField(help_text="what was measured against the goal (the first failing seed)")
    look_at = serializers.CharField(help_text="where to look, computed from the run")
    measured = GoalMeasureSerializer(many=True)


class PredictionMeasureSerializer(serializers.Serializer):
    seed = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True)


class PredictionGradeSerializer(serializers.Serializer):
    id = serializers.CharField()
    question = serializers.CharField()
    guess = serializers.FloatField()
    unit = serializers.CharField()
    measured = PredictionMeasureSerializer(many=True)


class ComparisonFiguresSerializer(serializers.Serializer):
    p50_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True)
    p99_ms = serializers.FloatField(allow_null=True)
    error_rate_pct = serializers.FloatField(allow_null=True)
    cost_per_1k_requests = serializers.FloatField(allow_null=True, help_text="USD per 1,000 completed requests")
    monthly_cost = serializers.FloatField(allow_null=True, help_text="USD a month (730 hours) at the measured rate")


class ComparisonSerializer(serializers.Serializer):
    start = ComparisonFiguresSerializer(allow_null=True, help_text="the step's start design on the same seeds; null "
                                                                   "when its runs did not complete")
    design = ComparisonFiguresSerializer(allow_null=True, help_text="your design; null when one of its runs did not "
                                                                    "complete")


class GradeSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    seeds = serializers.ListField(child=serializers.IntegerField())
    seeds_needed = serializers.IntegerField()
    goals = GoalGradeSerializer(many=True)
    predictions = PredictionGradeSerializer(many=True, help_text="your guesses beside the measured values")
    problems = ProblemSerializer(many=True, help_text="why it could not be graded (a run that did not complete)")
    engine = ObjectField()
    comparison = ComparisonSerializer(allow_null=True, help_text="each figure the median over the seeds of the "
                                                                 "measured span (null in grades older than it)")


class LiveGoalSerializer(serializers.Serializer):
    goal = serializers.CharField()
    text = serializers.CharField()
    state = serializers.ChoiceField(choices=["pending", "passing", "failing"],
                                    help_text="pending: cannot be told yet (measured at the end, a relative goal "
                                              "before the start design's run is over, a span not begun)")
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    sentence = serializers.CharField()
    look_at = serializers.CharField(help_text="where to look, from the run (empty when pending or passing)")


class AttemptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lesson = serializers.CharField()
    step = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "graded"])
    passed = serializers.BooleanField(allow_null=True, help_text="null until graded")
    created = serializers.DateTimeField()
    graded = serializers.DateTimeField(allow_null=True)
    seeds = serializers.ListField(child=serializers.IntegerField())
    engine = ObjectField(help_text="the engine's fingerprint and format versions: with the seeds and the "
                                   "topology, what reproduces the grade")
    topology = TopologyField(help_text="the design as you submitted it")
    runs = serializers.SerializerMethodField()
    grade = serializers.SerializerMethodField()
    live = serializers.SerializerMethodField()
    debrief_html = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(AttemptRunSerializer(many=True))
    def get_runs(self, attempt: Any) -> list[dict[str, Any]]:
        # (The list serializer by name: the stubs type `many=True` as one serializer's dict.)
        return serializers.ListSerializer(self.context["runs"], child=AttemptRunSerializer(), context=self.context).data

    @extend_schema_field(GradeSerializer(allow_null=True))
    def get_grade(self, attempt: Any) -> dict[str, Any] | None:
        return {"comparison": None, **attempt.grade} if attempt.grade is not None else None

    @extend_schema_field(LiveGoalSerializer(many=True))
    def get_live(self, attempt: Any) -> list[dict[str, Any]]:
        """Every goal of the step as a checklist: on the first seed's windows so far while the
        runs go (at most one evaluation a second), the grade's goals once graded."""
        return self.context.get("live", [])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_debrief_html(self, attempt: Any) -> str | None:
        """The step's debrief once this attempt passed (a visitor has no other way to it)."""
        return self.context.get("debrief_html")

    def get_url(self, attempt: Any) -> str:
        return f"/api/v1/lessons/{attempt.lesson}/attempts/{attempt.id}"


class AttemptCreateRequest(serializers.Serializer):
    topology = TopologyField(help_text="your design; the step's scenario (traffic, faults, duration, seeds) is "
                                       "imposed on it")
    predictions = serializers.DictField(child=serializers.FloatField(), required=False,
                                        help_text="your guesses before the run: {prediction id: number}")


class ProgressClaimRequest(serializers.Serializer):
    attempts = serializers.ListField(child=serializers.UUIDField(), max_length=500,
                                     help_text="the ids of the attempts you made as a visitor (kept by your browser)")


class ProgressClaimSerializer(serializers.Serializer):
    claimed = serializers.IntegerField(help_text="attempts now yours, replayed into your progress")
    ignored = serializers.IntegerField(help_text="ids of attempts that are someone's already (yours too) or unknown")
    lessons = LessonSerializer(many=True, help_text="the lessons with your progress, as GET /api/v1/lessons has them")


class LessonStepHintsSerializer(LessonHintsSerializer):
    step = serializers.CharField()


class SolutionSerializer(serializers.Serializer):
    step = serializers.CharField()
    against = serializers.CharField(help_text="what the diff compares the reference with: your latest design "
                                              "for the step, or the start design")
    words = serializers.ListField(child=serializers.CharField(), help_text="the changes to make, in sentences")
    diff = ObjectField(help_text="the same changes as data: nodes, edges, moved, sections, same")
    reference = TopologyField()

"""What the API answers and accepts, as DRF serializers. Response serializers turn models into
JSON; request serializers document the bodies for the OpenAPI document. Request bodies are
checked by the services (lab/designs/services.py, lab/runs/services.py), which own the rules and
report every problem with its JSON path, so the rules live in one place."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lab.designs.models import Design
from lab.designs.services import MAX_TAGS
from lab.runs.models import Run
from lab.runs.services import SPEEDS

TOPOLOGY_HELP = "A topology document, version 1 (docs/topology.md; JSON Schema: lab/sim/topology.schema.json)."


@extend_schema_field({"type": "object", "additionalProperties": True, "description": TOPOLOGY_HELP})
class TopologyField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True})
class ObjectField(serializers.JSONField):
    pass


class ProblemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="JSON path of what is wrong: `$.name`, `$.topology.nodes[2].params.rate_per_s`; "
                                           "`?name` for a query parameter")
    message = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning"])


class ProblemsSerializer(serializers.Serializer):
    problems = ProblemSerializer(many=True)


# Responses -----------------------------------------------------------------------------------


class RevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    message = serializers.CharField()
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    created = serializers.DateTimeField()


class RevisionDetailSerializer(RevisionSerializer):
    topology = TopologyField()


class DesignSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    visibility = serializers.ChoiceField(choices=Design.Visibility.values)
    owner = serializers.CharField(source="owner.username")
    forked_from = serializers.UUIDField(source="forked_from_id", allow_null=True)
    forked_from_revision = serializers.IntegerField(allow_null=True)
    fork_count = serializers.IntegerField()
    latest_revision = serializers.IntegerField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    can_edit = serializers.SerializerMethodField()
    share_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    def _is_owner(self, design: Design) -> bool:
        user = self.context["request"].user
        return bool(user.is_authenticated and design.owner_id == user.pk)

    def get_can_edit(self, design: Design) -> bool:
        return self._is_owner(design)

    @extend_schema_field({"type": "string", "nullable": True,
                          "description": "The share link's path (`/s/<token>/`); only its owner sees it"})
    def get_share_url(self, design: Design) -> str | None:
        if not self._is_owner(design) or design.visibility == Design.Visibility.PRIVATE or not design.share_token:
            return None
        return f"/s/{design.share_token}/"

    def get_url(self, design: Design) -> str:
        return f"/api/v1/designs/{design.id}"

    def get_thumbnail(self, design: Design) -> str:
        return f"/api/v1/designs/{design.id}/thumbnail.svg"


class DesignDetailSerializer(DesignSerializer):
    """A design with its latest revision (the view puts it in the context as `latest`)."""

    latest = serializers.SerializerMethodField()
    topology = serializers.SerializerMethodField()

    @extend_schema_field(RevisionSerializer)
    def get_latest(self, design: Design) -> dict[str, Any]:
        return RevisionSerializer(self.context["latest"]).data

    @extend_schema_field(TopologyField)
    def get_topology(self, design: Design) -> dict[str, Any]:
        return self.context["latest"].topology


class ChangedSerializer(serializers.Serializer):
    id = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField(), help_text="`label`, `params.workers`, ...")


class PartsDiffSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = ChangedSerializer(many=True)


class DiffSerializer(serializers.Serializer):
    from_ = serializers.IntegerField()
    to = serializers.IntegerField()
    same = serializers.BooleanField()
    nodes = PartsDiffSerializer()
    moved = serializers.ListField(child=serializers.CharField(), help_text="nodes only moved on the canvas")
    edges = PartsDiffSerializer(help_text="edges by `from -> to`")
    sections = serializers.ListField(child=serializers.CharField(),
                                     help_text="top-level sections that changed: settings, workload, faults, ...")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        return {"from": fields.pop("from_"), **fields}  # `from` is a Python keyword


class RunSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Run.Status.values)
    attempt = serializers.IntegerField(help_text="1 on the first try; 2 after a lost worker's run was retried")
    progress = serializers.SerializerMethodField()
    sim_time = serializers.FloatField(help_text="simulated seconds done")
    duration_s = serializers.FloatField()
    seed = serializers.IntegerField()
    speed = serializers.FloatField(help_text="simulated seconds per wall second; 0 = as fast as possible")
    windows = serializers.IntegerField(help_text="metric windows stored so far")
    error = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True, help_text="why it ended early: who stopped it, or which "
                                                              "budget limited it (status `limited`)")
    design = serializers.UUIDField(source="revision.design_id", allow_null=True, default=None)
    revision = serializers.IntegerField(source="revision.number", allow_null=True, default=None)
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    websocket = serializers.SerializerMethodField()

    def get_progress(self, run: Run) -> float:
        """From 0 to 1."""
        if run.status == Run.Status.DONE:
            return 1.0
        return round(min(max(run.sim_time / run.duration_s, 0.0), 1.0), 4) if run.duration_s else 0.0

    def get_websocket(self, run: Run) -> str:
        return f"/ws/runs/{run.id}/"

    def to_representation(self, run: Run) -> dict[str, Any]:
        data = super().to_representation(run)
        data["error"] = data["error"] or None
        data["reason"] = data["reason"] or None
        return data


class RunCommandRequest(serializers.Serializer):
    op = serializers.ChoiceField(choices=["pause", "resume", "stop", "speed", "set_param", "inject_fault",
                                          "clear_fault"], help_text="what to do (docs/results.md, live control)")
    value = serializers.JSONField(required=False, help_text="speed: 0, 1, 10 or 100; set_param: the new value")
    node = serializers.CharField(required=False, help_text="set_param: the node's id")
    param = serializers.CharField(required=False, help_text="set_param: the parameter's name")
    fault = serializers.JSONField(required=False, help_text="inject_fault: a fault as in the topology's `faults`")
    id = serializers.CharField(required=False, help_text="clear_fault: the fault's id")


class RunCommandSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    command = ObjectField(help_text="the command as queued; the worker applies it within one window")


class RunResultsSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Run.Status.values)
    results = ObjectField(allow_null=True, help_text="the results document (docs/results.md); null until the run is over")


class WindowSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    window = ObjectField(source="data", help_text="one metrics window (docs/results.md)")


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    hint = serializers.CharField(help_text="the token's first characters, to tell tokens apart")
    created = serializers.DateTimeField()
    last_used = serializers.DateTimeField(allow_null=True)


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(help_text="the secret: shown this once, never stored")


# Requests (documentation; the services check them) -------------------------------------------


def _tags() -> serializers.ListField:
    return serializers.ListField(child=serializers.RegexField(r"^[a-z0-9][a-z0-9_-]{0,29}$"), max_length=MAX_TAGS,
                                 required=False)


class DesignCreateRequest(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    tags = _tags()
    topology = TopologyField()
    message = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                    help_text="the first revision's message (default: created)")


class DesignUpdateRequest(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    tags = _tags()


class RevisionCreateRequest(serializers.Serializer):
    topology = TopologyField()
    message = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RestoreRequest(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, help_text="the revision to make the latest again")


class ForkRequest(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, help_text="default: the design's name + (fork)")


class ShareRequest(serializers.Serializer):
    visibility = serializers.ChoiceField(choices=Design.Visibility.values)


@extend_schema_field({"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": settings.ARCHLAB_MAX_RUN_S})
class DurationField(serializers.FloatField):
    pass


class RunCreateRequest(serializers.Serializer):
    design = serializers.UUIDField(required=False, help_text="run a design you may view (or `topology`)")
    revision = serializers.IntegerField(min_value=1, required=False, help_text="default: the latest")
    token = serializers.CharField(required=False, help_text="the share link token of an unlisted design")
    topology = TopologyField(required=False, help_text="run this topology document (or `design`)")
    seed = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False,
                                    help_text="default: the topology's settings.seed")
    duration_s = DurationField(required=False, help_text="simulated seconds, more than 0; default: the topology's")
    speed = serializers.ChoiceField(choices=[int(s) for s in SPEEDS], required=False,
                                    help_text="simulated seconds per wall second; 0 = as fast as possible (default 1)")


class TokenCreateRequest(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="what the token is for, e.g. `grading script`")


# Lessons (lab/lessons; docs/api.md, "Lessons") -----------------------------------------------


class LessonProgressSerializer(serializers.Serializer):
    current_step = serializers.CharField()
    passed_steps = serializers.ListField(child=serializers.CharField())
    steps = serializers.IntegerField(help_text="how many steps the lesson has")
    attempts = serializers.IntegerField(help_text="graded attempts submitted, all steps together")
    best = ObjectField(help_text="step id -> the best graded attempt: attempt, passed, goals, goals_passed, measured")
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
    start = TopologyField(help_text="the design you start this step from")
    topology = TopologyField(allow_null=True, help_text="your latest design for this step (null before you submit one)")
    passed = serializers.BooleanField()
    attempts = serializers.IntegerField()
    best = ObjectField(allow_null=True)


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

    def get_url(self, link: Any) -> str:
        return f"/api/v1/runs/{link.run_id}"

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


class GradeSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    seeds = serializers.ListField(child=serializers.IntegerField())
    seeds_needed = serializers.IntegerField()
    goals = GoalGradeSerializer(many=True)
    predictions = PredictionGradeSerializer(many=True, help_text="your guesses beside the measured values")
    problems = ProblemSerializer(many=True, help_text="why it could not be graded (a run that did not complete)")
    engine = ObjectField()


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
    url = serializers.SerializerMethodField()

    @extend_schema_field(AttemptRunSerializer(many=True))
    def get_runs(self, attempt: Any) -> list[dict[str, Any]]:
        return AttemptRunSerializer(self.context["runs"], many=True).data

    @extend_schema_field(GradeSerializer(allow_null=True))
    def get_grade(self, attempt: Any) -> dict[str, Any] | None:
        return attempt.grade

    def get_url(self, attempt: Any) -> str:
        return f"/api/v1/lessons/{attempt.lesson}/attempts/{attempt.id}"


class AttemptCreateRequest(serializers.Serializer):
    topology = TopologyField(help_text="your design; the step's scenario (traffic, faults, duration, seeds) is "
                                       "imposed on it")
    predictions = serializers.DictField(child=serializers.FloatField(), required=False,
                                        help_text="your guesses before the run: {prediction id: number}")


class LessonStepHintsSerializer(LessonHintsSerializer):
    step = serializers.CharField()


class SolutionSerializer(serializers.Serializer):
    step = serializers.CharField()
    against = serializers.CharField(help_text="what the diff compares the reference with: your latest design "
                                              "for the step, or the start design")
    words = serializers.ListField(child=serializers.CharField(), help_text="the changes to make, in sentences")
    diff = ObjectField(help_text="the same changes as data: nodes, edges, moved, sections, same")
    reference = TopologyField()

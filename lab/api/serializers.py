"""What the API answers and accepts, as DRF serializers. Response serializers turn models into
JSON; request serializers document the bodies for the OpenAPI document. Request bodies are
checked by the services (lab/designs/services.py, lab/runs/services.py), which own the rules and
report every problem with its JSON path, so the rules live in one place."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lab.accounts.selectors import public_name
from lab.designs.models import Design
from lab.designs.services import MAX_TAGS
from lab.runs.models import Run
from lab.runs.services import SPEEDS

TOPOLOGY_HELP = "A topology document, version 1 (docs/topology.md; JSON Schema: lab/sim/document/topology.schema.json)."


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


@extend_schema_field({"type": "string", "nullable": True,
                      "description": "the person's username (a class's pupil account: its display name)"})
class PersonField(serializers.Field):
    """A user as others see them named (lab.accounts.selectors.public_name)."""

    def to_representation(self, user: Any) -> str | None:
        return public_name(user) if user is not None else None


class RevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    message = serializers.CharField()
    author = PersonField(allow_null=True, default=None)
    created = serializers.DateTimeField()


class RevisionDetailSerializer(RevisionSerializer):
    topology = TopologyField()


class DesignSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    visibility = serializers.ChoiceField(choices=Design.Visibility.values)
    owner = PersonField()
    forked_from = serializers.UUIDField(source="forked_from_id", allow_null=True)
    forked_from_revision = serializers.IntegerField(allow_null=True)
    fork_count = serializers.IntegerField()
    latest_revision = serializers.IntegerField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    can_edit = serializers.SerializerMethodField()
    share_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    lab_url = serializers.SerializerMethodField()
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

    @extend_schema_field({"type": "string", "description": "The design's page on the site (`/designs/<id>/`)"})
    def get_page_url(self, design: Design) -> str:
        return reverse("designs:detail", args=[design.pk])

    @extend_schema_field({"type": "string", "description": "The lab with the design open (`/designs/<id>/edit`): "
                                                           "to edit it, or, for anyone else, to run and fork it"})
    def get_lab_url(self, design: Design) -> str:
        return reverse("designs:edit", args=[design.pk])

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
    fields_ = serializers.ListField(child=serializers.CharField(), help_text="`label`, `params.workers`, ...")

    def get_fields(self) -> dict[str, Any]:
        # A field cannot be declared as `fields`: that is the serializer's own attribute.
        return {"fields" if name == "fields_" else name: field for name, field in super().get_fields().items()}


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
    op = serializers.ChoiceField(choices=["pause", "resume", "step", "stop", "speed", "set_param", "inject_fault",
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
    topology = TopologyField(required=False, help_text="the fork's second revision (changes made in the lab); "
                                                       "default: the fork is the design as it is")


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

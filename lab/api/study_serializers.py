"""What the study endpoints answer and accept (docs/api.md, "Studies"). The request serializers
document the bodies; lab.studies.services checks them and reports every problem with its path."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lab.studies.models import Study
from lab.studies.selectors import side_name

from .serializers import ObjectField, PersonField


class DesignRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class StudySideSerializer(serializers.Serializer):
    design = DesignRefSerializer(allow_null=True, help_text="null for a proposed change")
    revision = serializers.IntegerField(allow_null=True, help_text="null for a proposed change")
    proposed = serializers.BooleanField(help_text="B is a proposed change sent with the request (unsaved); a "
                                                  "study's detail has its topology as `b.topology`")
    name = serializers.CharField(help_text="how pages name it: \"Shop, revision 2\" or \"proposed change (unsaved)\"")
    topology = ObjectField(required=False, help_text="a study's detail, for a proposed B: its topology as it ran")


class StudyProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="runs finished and counted")
    failed = serializers.IntegerField(help_text="runs that failed (left out of the document)")
    total = serializers.IntegerField(help_text="runs planned")


class StudySerializer(serializers.Serializer):
    """A study without its document (lists)."""

    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=Study.Kind.values)
    status = serializers.ChoiceField(choices=Study.Status.values)
    user = PersonField(help_text="who ran it")
    a = serializers.SerializerMethodField(help_text="the design and revision studied (A of a comparison)")
    b = serializers.SerializerMethodField(help_text="B of a comparison; null otherwise")
    seeds = serializers.ListField(child=serializers.IntegerField())
    request = ObjectField(help_text="what was asked, as it was checked: `spec` (a sweep) or `seeds`, and options")
    progress = serializers.SerializerMethodField()
    error = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    downloads = serializers.SerializerMethodField()
    websocket = serializers.SerializerMethodField()

    def get_url(self, study: Study) -> str:
        return f"/api/v1/studies/{study.id}"

    @extend_schema_field(StudySideSerializer)
    def get_a(self, study: Study) -> dict[str, Any]:
        return {"design": {"id": study.design_id, "name": study.design.name}, "revision": study.revision.number,
                "proposed": False, "name": side_name(study, "a")}

    @extend_schema_field(StudySideSerializer(allow_null=True))
    def get_b(self, study: Study) -> dict[str, Any] | None:
        if study.b_proposed:
            return {"design": None, "revision": None, "proposed": True, "name": side_name(study, "b")}
        if study.design_b is None or study.revision_b is None:
            return None
        return {"design": {"id": study.design_b_id, "name": study.design_b.name}, "revision": study.revision_b.number,
                "proposed": False, "name": side_name(study, "b")}

    @extend_schema_field(StudyProgressSerializer)
    def get_progress(self, study: Study) -> dict[str, int]:
        return {"done": study.done, "failed": study.failed, "total": study.total}

    @extend_schema_field({"type": "object", "properties": {"json": {"type": "string"}, "csv": {"type": "string"}}})
    def get_downloads(self, study: Study) -> dict[str, str]:
        return {fmt: f"/api/v1/studies/{study.id}/study.{fmt}" for fmt in ("json", "csv")}

    def get_websocket(self, study: Study) -> str:
        return f"/ws/studies/{study.id}/"

    def to_representation(self, study: Study) -> dict[str, Any]:
        data = super().to_representation(study)
        data["error"] = data["error"] or None
        data["a"]["design"]["id"] = str(data["a"]["design"]["id"])
        if data["b"] is not None and data["b"]["design"] is not None:
            data["b"]["design"]["id"] = str(data["b"]["design"]["id"])
        return data


class StudyDetailSerializer(StudySerializer):
    document = ObjectField(allow_null=True, help_text="the aggregated document (docs/evidence.md): null until the "
                                                      "study is done, or cancelled with runs finished")

    def to_representation(self, study: Study) -> dict[str, Any]:
        data = super().to_representation(study)
        if data["b"] is not None and data["b"]["proposed"]:
            data["b"]["topology"] = study.b_topology  # as it ran (normalized), to save or to open
        return data


class StudySideRequest(serializers.Serializer):
    design = serializers.UUIDField(required=False, help_text="B's design, if not this one")
    revision = serializers.IntegerField(required=False, help_text="default: the design's latest")
    token = serializers.CharField(required=False, help_text="B's share link token, if B is unlisted")
    topology = ObjectField(required=False, help_text="B only, alone: a proposed change, a topology document "
                                                     "(docs/topology.md) run as B without being saved")


class StudyCreateRequest(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Study.Kind.values)
    revision = serializers.IntegerField(required=False, help_text="sweep, replications: the revision to study "
                                                                  "(default: the latest)")
    token = serializers.CharField(required=False, help_text="the design's share link token, if it is unlisted")
    spec = ObjectField(required=False, help_text="sweep: {\"axes\": [...], \"seeds\": 5} (docs/evidence.md)")
    seeds = serializers.JSONField(required=False, help_text="replications, comparison: a number (1-100) or a list")
    duration_s = serializers.FloatField(required=False, help_text="every run's simulated duration (default: the "
                                                                  "design's)")
    knee_metric = serializers.CharField(required=False, help_text="sweep: the figure of the knee sentence")
    threshold = serializers.FloatField(required=False, help_text="sweep: the knee's threshold in the figure's unit")
    precision = serializers.FloatField(required=False, help_text="replications: the relative precision seeds are "
                                                                 "suggested for (0.05)")
    a = StudySideRequest(required=False, help_text="comparison: A (default: this design's latest revision)")
    b = StudySideRequest(required=False, help_text="comparison: B")


class FrontierDesignSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    owner = serializers.CharField(help_text="who owns it, as others see them named")
    latest_revision = serializers.IntegerField()


class IntervalSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="runs (seeds) the figure is over")
    median = serializers.FloatField(allow_null=True)
    mean = serializers.FloatField()
    sd = serializers.FloatField(allow_null=True, help_text="standard deviation over the runs")
    low = serializers.FloatField(allow_null=True, help_text="95% interval of the mean; null with one run")
    high = serializers.FloatField(allow_null=True)


class FrontierStudySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["replications", "comparison"],
                                   help_text="a comparison gives its A side (the design it is saved with)")
    url = serializers.CharField()
    finished = serializers.DateTimeField(allow_null=True)
    seeds = serializers.IntegerField()


class FrontierPointSerializer(serializers.Serializer):
    design = FrontierDesignSerializer()
    revision = serializers.IntegerField(help_text="the revision measured (it may be older than latest_revision)")
    study = FrontierStudySerializer(help_text="the latest finished study measuring it over seeds")
    cost_per_hour_usd = IntervalSerializer()
    latency_p99_ms = IntervalSerializer()
    on_front = serializers.BooleanField(help_text="no other design is as cheap and as fast, and better on one")


class FrontierWithoutSerializer(serializers.Serializer):
    design = FrontierDesignSerializer()
    reason = serializers.CharField(help_text="why it has no point, and what to do: run seeds on it first")


class FrontierSerializer(serializers.Serializer):
    x = serializers.CharField(help_text="cost_per_hour_usd")
    y = serializers.CharField(help_text="latency_p99_ms")
    points = FrontierPointSerializer(many=True, help_text="one per design with figures, in the order asked")
    front = serializers.ListField(child=serializers.UUIDField(), help_text="the designs on the front, cheapest first")
    sentence = serializers.CharField(help_text="the front in words, naming its designs")
    without = FrontierWithoutSerializer(many=True, help_text="designs you may see that have no figures yet")
    not_found = serializers.ListField(child=serializers.UUIDField(),
                                      help_text="ids of no design you may see: missing and not yours are the same")

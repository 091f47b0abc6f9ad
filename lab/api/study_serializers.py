"""What the study endpoints answer and accept (docs/api.md, "Studies"). The request serializers
document the bodies; lab.studies.services checks them and reports every problem with its path."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lab.studies.models import Study

from .serializers import ObjectField, PersonField


class DesignRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class StudySideSerializer(serializers.Serializer):
    design = DesignRefSerializer()
    revision = serializers.IntegerField()


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
        return {"design": {"id": study.design_id, "name": study.design.name}, "revision": study.revision.number}

    @extend_schema_field(StudySideSerializer(allow_null=True))
    def get_b(self, study: Study) -> dict[str, Any] | None:
        if study.design_b is None or study.revision_b is None:
            return None
        return {"design": {"id": study.design_b_id, "name": study.design_b.name}, "revision": study.revision_b.number}

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
        if data["b"] is not None:
            data["b"]["design"]["id"] = str(data["b"]["design"]["id"])
        return data


class StudyDetailSerializer(StudySerializer):
    document = ObjectField(allow_null=True, help_text="the aggregated document (docs/evidence.md): null until the "
                                                      "study is done, or cancelled with runs finished")


class StudySideRequest(serializers.Serializer):
    design = serializers.UUIDField(required=False, help_text="B's design, if not this one")
    revision = serializers.IntegerField(required=False, help_text="default: the design's latest")
    token = serializers.CharField(required=False, help_text="B's share link token, if B is unlisted")


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

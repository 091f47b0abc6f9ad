"""Theory beside the measurement, for one run: each node's closed-form prediction, the assumptions
that hold or break in this run, and how far the measurement departs (lab.sim.theory.overlay;
docs/theory-overlay.md). The engine computes it from the run's topology and results: nothing is
stored, and it costs one pass over the nodes."""
from __future__ import annotations

from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.sim.theory.overlay import overlay

from .run_views import TAGS, run_for_read
from .views import ApiView, errors


class RunTheoryView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Theory beside a run's measurement, node by node (null until the run is over)",
        description="For each node with a closed form (M/M/c, M/G/c, Erlang B, Che's approximation, cold starts as "
                    "e^(-lambda T), E_k/M/1 behind round robin, Little's law): the model, the assumptions and "
                    "whether each holds in this run, the predicted and measured figures with their relative "
                    "departure, and a verdict sentence (docs/theory-overlay.md). `nodes` is null until the run "
                    "has results.",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="{id, status, nodes: {node id: overlay}}"),
                   **errors(401, 404)})
    def get(self, request: Request, run_id: UUID) -> Response:
        run = run_for_read(request, run_id)
        nodes = overlay(run.topology, run.results) if run.results else None
        return Response({"id": str(run.id), "status": run.status, "nodes": nodes})

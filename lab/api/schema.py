"""The API token scheme in the OpenAPI document (session authentication is described by
drf-spectacular itself)."""
from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "lab.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer",
                "description": "An API token from POST /api/v1/tokens: `Authorization: Bearer alab_...`"}


# The smallest useful topology, for the request examples in the documentation (and so the
# schema-driven tests send at least one body the engine accepts).
TOPOLOGY_EXAMPLE: dict[str, Any] = {
    "format": "archlab.topology", "version": 1, "settings": {"duration_s": 10},
    "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 50}},
              {"id": "app", "kind": "service_pool"}],
    "edges": [{"from": "users", "to": "app"}],
}

"""The benchmark's reference topology, widened to any number of app servers. Kept apart from
the benchmark so a memory measurement can import it without importing SimPy and Ciw."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from lab.sim import load

REFERENCE = Path(__file__).resolve().parents[1] / "lab" / "sim" / "examples" / "reference.json"
PER_SERVER_RATE = 250.0


def reference_topology(servers: int, duration_s: float) -> dict[str, Any]:
    """The reference example widened to `servers` app servers and servers/2 database workers."""
    doc = json.loads(REFERENCE.read_text())
    app = next(n for n in doc["nodes"] if n["id"] == "app1")
    doc["nodes"] = [n for n in doc["nodes"] if not n["id"].startswith("app")]
    doc["edges"] = [e for e in doc["edges"] if not (e["to"].startswith("app") or e["from"].startswith("app"))]
    for i in range(1, servers + 1):
        node = copy.deepcopy(app)
        node["id"] = node["label"] = f"app{i}"
        doc["nodes"].append(node)
        doc["edges"] += [{"from": "lb", "to": f"app{i}"}, {"from": f"app{i}", "to": "cache"}]
    for node in doc["nodes"]:
        if node["id"] == "users":
            node["params"]["rate_per_s"] = PER_SERVER_RATE * servers
        if node["id"] == "db":
            node["params"]["workers"] = max(1, servers // 2)
    doc["settings"] = {"duration_s": duration_s, "warmup_s": 0, "window_s": 1, "seed": 1}
    return load(doc)

"""A small, complete lesson written into a temporary folder, and ways to break it.

It is the lesson of docs/lessons.md: one step in which one overloaded API pool must answer 95%
of requests within 100 ms, passed by more instances. Tests break one file or one line of it at
a time, so each test reads as the one mistake a teacher might make.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LESSON_ID = "first-lesson"

LESSON_TOML = '''\
format = "archlab.lesson"
version = 1
id = "first-lesson"
title = "When one pool is not enough"
summary = "A pool of API instances saturates; add instances until the p95 is back under 100 ms."
minutes = 10
teaches = ["utilization and queueing", "horizontal scaling"]
order = 1

[[steps]]
id = "add-instances"
title = "The API is slow at lunchtime"
narrative = "steps/add-instances.md"
debrief = "steps/add-instances.debrief.md"
start = "designs/start.json"
reference = "designs/reference.json"
hollow = ["designs/hollow-faster-db.json"]
alternatives = ["designs/alt-bigger-pool.json"]
palette = ["service_pool", "database", "load_balancer"]
locked = ["users", "db.read_time_ms"]

[steps.scenario]
duration_s = 30
warmup_s = 5
window_s = 1
seeds = [1, 2]
seed_rule = "all"

[[steps.scenario.traffic]]
source = "users"
params = { rate_per_s = 150, pattern = "steady" }

[[steps.scenario.faults]]
id = "one-instance-down"
kind = "crash_instances"
node = "api"
count = 1
start_s = 15
duration_s = 10

[[steps.goals]]
id = "p95"
text = "95% of requests answered within 100 ms"
metric = "latency_p95_ms"
scope = { overall = true }
span = "measured"
compare = "<="
value = 100
unit = "ms"

[[steps.goals]]
id = "errors-while-down"
text = "Fewer than 1% errors while an instance is down"
metric = "error_rate_pct"
scope = { overall = true }
span = { fault = "one-instance-down" }
compare = "<"
value = 1
unit = "%"

[[steps.hints]]
text = "Open the API's utilization chart: how busy is it while the p95 climbs?"

[[steps.hints]]
text = "Each instance serves about 4 / 0.02 = 200 requests per second at most."

[[steps.predictions]]
id = "guess-p95"
question = "With two instances, what will the p95 be?"
metric = "latency_p95_ms"
scope = { overall = true }
span = "measured"
unit = "ms"
'''

NARRATIVE = """\
# Lunchtime

At noon, **150 requests per second** reach the API. Each takes about 20 ms of an
instance's time, and an instance has 4 workers.

1. Run the design and look at the p95.
2. Change it so the p95 stays under 100 ms.

![the design](../images/diagram.png)

See [queueing](https://en.wikipedia.org/wiki/Queueing_theory) for why a busy pool is slow.
"""

DEBRIEF = "Utilization near 100% makes queues grow without bound: capacity must stay ahead of load.\n"


def design(instances: int = 1, *, read_time_ms: float = 5.0, workers: int = 4) -> dict[str, Any]:
    return {
        "format": "archlab.topology", "version": 1, "name": f"API with {instances} instance(s)",
        "settings": {"duration_s": 30, "warmup_s": 5},
        "nodes": [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 150}},
            {"id": "api", "kind": "service_pool",
             "params": {"instances": instances, "workers_per_instance": workers, "service_time_ms": 20}},
            {"id": "db", "kind": "database", "params": {"read_time_ms": read_time_ms}},
        ],
        "edges": [{"from": "users", "to": "api"}, {"from": "api", "to": "db"}],
    }


# A 1x1 transparent PNG: a real picture file for the narrative's image.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def files() -> dict[str, str | bytes]:
    return {
        "lesson.toml": LESSON_TOML,
        "steps/add-instances.md": NARRATIVE,
        "steps/add-instances.debrief.md": DEBRIEF,
        "designs/start.json": json.dumps(design(1), indent=1),
        "designs/reference.json": json.dumps(design(3), indent=1),
        "designs/hollow-faster-db.json": json.dumps(design(1, read_time_ms=1), indent=1),
        "designs/alt-bigger-pool.json": json.dumps(design(2, workers=8), indent=1),
        "images/diagram.png": PNG,
    }


def write_lesson(root: Path, changes: dict[str, str | bytes | None] | None = None, *,
                 toml: str | None = None, name: str = LESSON_ID) -> Path:
    """The fixture lesson in `root/name`, with `changes` (a path to new content, or None to
    delete the file) and `toml` replacing lesson.toml."""
    folder = root / name
    content: dict[str, str | bytes | None] = {**files(), **(changes or {})}
    if toml is not None:
        content["lesson.toml"] = toml
    for rel, data in content.items():
        if data is None:
            continue
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return folder


def replaced(old: str, new: str, text: str = LESSON_TOML) -> str:
    """`text` with `old` replaced once; fails loudly if the fixture no longer contains `old`."""
    assert old in text, f"the fixture lesson no longer contains {old!r}"
    return text.replace(old, new, 1)

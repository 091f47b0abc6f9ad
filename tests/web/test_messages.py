"""Every websocket message type is defined in lab/runs/messages.py and encodes as strict JSON."""
from __future__ import annotations

import json

import pytest

from lab.runs import messages


def test_every_server_message_type_encodes_as_strict_json() -> None:
    class FakeRun:
        id, attempt, status, sim_time, duration_s, speed, error, results, is_over = "r", 1, "done", 1.0, 2.0, 0.0, "", {}, True

    frames = [messages.snapshot(FakeRun(), []), messages.window("r", 1, 0, {"t": 1}), messages.status(FakeRun()),
              {"type": messages.ACK, "id": 1, "command": {"op": "pause"}}, messages.error("bad")]
    assert {f["type"] for f in frames} == set(messages.SERVER_TYPES)
    for frame in frames:
        assert json.loads(messages.encode(frame))["type"] == frame["type"]
    with pytest.raises(ValueError):
        messages.encode(messages.window("r", 1, 0, {"x": float("nan")}))

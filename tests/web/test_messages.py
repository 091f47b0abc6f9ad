"""Every websocket message type is defined in lab/runs/messages.py, has the fields docs/api.md
lists, encodes as strict ASCII JSON within the frame limit, and client messages are read with
the strict JSON reader."""
from __future__ import annotations

import json
from typing import Any

import pytest

from lab.runs import messages
from lab.sim.problems import Refused

RUN = "6f1c2a9e-1d8b-4c53-9a51-0b3e6a2f7c11"


class State:
    run_id, attempt, status, sim_time, duration_s, speed, error, reason = RUN, 1, "done", 1.0, 2.0, 0.0, "", ""
    results: Any = {"requests": {"created": 3}}


def every_frame() -> list[str]:
    data = messages.window_json(0, {"index": 0, "t_end": 1.0, "name": "caf\u00e9"})
    return [messages.snapshot(State(), 0), messages.page(RUN, 1, [(0, data), (1, data)]),
            messages.window(RUN, 1, 0, data), messages.status(State()),
            messages.encode(messages.ack(1, {"op": "pause"})), messages.encode(messages.error("bad")),
            messages.study({"study": RUN, "status": "running", "done": 3, "failed": 0, "total": 10, "id": RUN})]


def test_every_server_frame_has_the_documented_fields_and_is_strict_ascii_json() -> None:
    frames = [json.loads(text) for text in every_frame()]
    assert {f["type"] for f in frames} == set(messages.SERVER_TYPES) == set(messages.SERVER_FIELDS)
    for text, frame in zip(every_frame(), frames):
        assert set(frame) == messages.SERVER_FIELDS[frame["type"]], frame["type"]
        assert text.isascii() and len(text) <= messages.MAX_FRAME
    page = frames[1]
    assert (page["first"], page["last"], [w["name"] for w in page["windows"]]) == (0, 1, ["caf\u00e9"] * 2)


def test_no_frame_can_carry_nan_or_be_over_the_limit() -> None:
    with pytest.raises(ValueError):
        messages.encode(messages.error("x", [{"path": "$", "message": str(float("nan")), "x": float("nan")}]))
    with pytest.raises(ValueError):
        messages.encode(messages.error("x" * messages.MAX_FRAME))


def test_a_stored_window_with_nan_goes_out_with_null_and_a_huge_one_as_a_stub() -> None:
    assert json.loads(messages.window_json(3, {"index": 3, "p99": float("nan")})) == {"index": 3, "p99": None}
    stub = json.loads(messages.window_json(4, {"index": 4, "blob": "x" * messages.MAX_FRAME}))
    assert stub["index"] == 4 and "download" in stub["omitted"]


def test_results_too_large_for_a_frame_are_left_for_the_download() -> None:
    class Huge(State):
        results = {"blob": "x" * messages.MAX_FRAME}

    frame = json.loads(messages.status(Huge()))
    assert frame["results"] is None and frame["results_omitted"] is True


@pytest.mark.parametrize("text, kind", [('{"type": "ping"}', "ping"), ('{"type": "resync"}', "resync"),
                                        ('{"type": "ack", "frames": 8}', "ack"),
                                        ('{"type": "control", "command": {"op": "pause"}}', "control")])
def test_every_client_message_type_is_understood(text: str, kind: str) -> None:
    assert messages.decode(text)["type"] == kind
    assert {kind} <= set(messages.CLIENT_TYPES)


@pytest.mark.parametrize("text, words", [('{"type": "ping", "a": NaN}', "NaN"), ('{"type": "ping", "x": "\\udc00"}', "surrogate"),
                                         ('{"type": "ping", "type": "ping"}', "twice"), ("[" * 100 + "]" * 100, "nested"),
                                         ('{"type": "ack", "frames": -1}', "frames"), ('{"type": "ack", "frames": true}', "frames"),
                                         ("x" * 30_000, "limit"), (None, "binary")])
def test_a_bad_client_message_is_refused_with_a_sentence(text: str | None, words: str) -> None:
    with pytest.raises(Refused) as refused:
        messages.decode(text)
    assert words in str(refused.value) and refused.value.problems[0]["message"]

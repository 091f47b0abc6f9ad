"""Every websocket message type, in both directions, defined in one place.

Server to client frames carry the run id and the attempt, and window data carries sequence
numbers (the window index), so a client can tell a gap or a retry. Frames are strict JSON (no
NaN or Infinity), ASCII (so a frame's length in characters is its length in bytes) and never
longer than MAX_FRAME: a snapshot is a header followed by pages of windows.
Client to server messages are parsed here with the web side's one strict JSON reader
(lab.http.read_json): anything else gets an `error` frame, never a crash. The protocol is in docs/api.md ("Websocket").
"""
from __future__ import annotations

import json
import math
from typing import Any

from lab.http import read_json
from lab.sim.problems import Problem, Refused, problem

# Daphne refuses frames over 1 MiB (close 1011); browsers and proxies have limits of their own.
MAX_FRAME = 256 * 1024
# A page of windows aims at this size, so a page and a few live frames fit in a client's credit.
PAGE_BYTES = 128 * 1024

# Server -> client
SNAPSHOT = "snapshot"   # start over: the run's status; windows 0..`through` follow in `windows` pages
WINDOWS = "windows"     # a page of windows: {"run", "attempt", "first", "last", "windows": [...]}
WINDOW = "window"       # one closed window: {"run", "attempt", "seq", "window"}
STATUS = "status"       # the run's status changed: {"run", "attempt", "status", "sim_time", "error", "reason", "results"}
ACK = "ack"             # a command was queued: {"command", "id"}
ERROR = "error"         # a message could not be used: {"message", "problems"}
# On a study's websocket (/ws/studies/<id>/): its progress, sent on connect and whenever it changes.
STUDY = "study"         # {"study", "status", "done", "failed", "total"}

SERVER_TYPES = (SNAPSHOT, WINDOWS, WINDOW, STATUS, ACK, ERROR, STUDY)
# The fields of each server frame (docs/api.md); `results_omitted` joins `results` when the
# results do not fit in a frame.
SERVER_FIELDS = {
    SNAPSHOT: {"type", "run", "attempt", "status", "sim_time", "duration_s", "speed", "error", "reason", "through",
                 "results"},
    WINDOWS: {"type", "run", "attempt", "first", "last", "windows"},
    WINDOW: {"type", "run", "attempt", "seq", "window"},
    STATUS: {"type", "run", "attempt", "status", "sim_time", "error", "reason", "results"},
    ACK: {"type", "id", "command"},
    ERROR: {"type", "message", "problems"},
    STUDY: {"type", "study", "status", "done", "failed", "total"},
}

# Client -> server
CONTROL = "control"     # {"type": "control", "command": {"op": "pause" | "resume" | "step" | "stop" | "speed" | "set_param" | ...}}
RESYNC = "resync"       # {"type": "resync"}: send a fresh snapshot (at most one a second; extra requests coalesce)
PING = "ping"           # {"type": "ping"}: answered by a status frame (pings waiting coalesce into one)
RECEIVED = "ack"        # {"type": "ack", "frames": N}: N frames of this connection have arrived (flow control)

CLIENT_TYPES = (CONTROL, RESYNC, PING, RECEIVED)
MAX_CLIENT_MESSAGE = 20_000

OVER = ("done", "stopped", "failed", "limited")


def encode(message: dict[str, Any]) -> str:
    if message.get("type") not in SERVER_TYPES:
        raise ValueError(f"not a server message type: {message.get('type')!r}")
    text = json.dumps(message, allow_nan=False, separators=(",", ":"))
    if len(text) > MAX_FRAME:
        raise ValueError(f"a {message['type']} frame of {len(text):,} bytes is over the {MAX_FRAME:,} byte limit")
    return text


def decode(text: str | None) -> dict[str, Any]:
    """Parse a client message or raise Refused with a sentence for the client."""
    if text is None:
        raise Refused("this websocket takes JSON text messages, not binary ones")
    message = read_json(text, max_bytes=MAX_CLIENT_MESSAGE, what="the message")
    if not isinstance(message, dict):
        raise Refused("a message must be a JSON object with a \"type\"")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:
        raise Refused(f"unknown message type {str(kind)[:40]!r}; known: {', '.join(CLIENT_TYPES)}")
    if kind == CONTROL and not isinstance(message.get("command"), dict):
        raise Refused("a control message needs a \"command\" object, e.g. {\"op\": \"pause\"}")
    if kind == RECEIVED:
        frames = message.get("frames")
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
            raise Refused("an ack needs \"frames\": how many frames of this connection have arrived")
    return message


def window_json(seq: int, data: Any) -> str:
    """One window's JSON, encoded once and shared by every frame that carries it. A stored window
    with a non-finite number (which strict JSON cannot carry) goes out with null in its place,
    and one too large for a frame as a stub, so one odd row never stops a stream."""
    try:
        text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    except ValueError:
        text = json.dumps(_finite(data), allow_nan=False, separators=(",", ":"))
    if len(text) > MAX_FRAME - 512:
        text = json.dumps({"index": seq, "omitted": "this window is too large to stream; download the results"})
    return text


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _head(kind: str, run_id: str, attempt: int) -> str:
    # run ids are UUIDs and attempts integers: nothing here needs escaping.
    return f'{{"type":"{kind}","run":"{run_id}","attempt":{int(attempt)}'


def window(run_id: str, attempt: int, seq: int, data_json: str) -> str:
    """A live window frame, from the window's encoded JSON (window_json)."""
    return f'{_head(WINDOW, run_id, attempt)},"seq":{int(seq)},"window":{data_json}}}'


def page(run_id: str, attempt: int, windows: list[tuple[int, str]]) -> str:
    """A page of consecutive windows, from (seq, encoded JSON) pairs whose total is within a frame."""
    body = ",".join(text for _, text in windows)
    return f'{_head(WINDOWS, run_id, attempt)},"first":{windows[0][0]},"last":{windows[-1][0]},"windows":[{body}]}}'


def page_overhead(run_id: str) -> int:
    return len(page(run_id, 2**31, [(2**31, "")])) + 16


def _with_results(frame: dict[str, Any], results: Any) -> str:
    """Results ride on the frame when they fit; otherwise the client downloads them."""
    try:
        return encode({**frame, "results": results})
    except ValueError:
        return encode({**frame, "results": None, "results_omitted": True})


def snapshot(state: Any, through: int) -> str:
    """The header of a snapshot: the run as the publisher last read it; windows 0..`through`
    follow in pages (none when `through` is -1), then live frames."""
    return _with_results({"type": SNAPSHOT, "run": state.run_id, "attempt": state.attempt, "status": state.status,
                          "sim_time": state.sim_time, "duration_s": state.duration_s, "speed": state.speed,
                          "error": state.error or None, "reason": state.reason or None, "through": through},
                         state.results if state.status in OVER else None)


def status(state: Any) -> str:
    return _with_results({"type": STATUS, "run": state.run_id, "attempt": state.attempt, "status": state.status,
                          "sim_time": state.sim_time, "error": state.error or None, "reason": state.reason or None},
                         state.results if state.status in OVER else None)


def study(progress: dict[str, Any]) -> str:
    """A study's progress frame, from what lab.studies reports of it (publisher.register_feed)."""
    return encode({"type": STUDY, **{k: progress[k] for k in SERVER_FIELDS[STUDY] if k != "type"}})


def ack(queued_id: int, command: dict[str, Any]) -> dict[str, Any]:
    return {"type": ACK, "id": queued_id, "command": command}


def error(message: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    return {"type": ERROR, "message": message, "problems": problems or [problem("$", message)]}

"""Every websocket message type, in both directions, defined in one place.

Server to client frames carry the run id, the attempt and a sequence number (the window index)
so a client can tell a gap or a retry, and are encoded without NaN or Infinity.
Client to server messages are parsed here: anything else gets an `error` frame, never a crash.
"""
from __future__ import annotations

import json
from typing import Any

# Server -> client
SNAPSHOT = "snapshot"   # on connect and on resync: the run's status and every window so far
WINDOW = "window"       # one closed window: {"run", "attempt", "seq", "window"}
STATUS = "status"       # the run's status changed: {"run", "attempt", "status", "sim_time", "results"?}
ACK = "ack"             # a command was queued: {"command", "id"}
ERROR = "error"         # a message could not be used: {"message", "problems"?}

SERVER_TYPES = (SNAPSHOT, WINDOW, STATUS, ACK, ERROR)

# Client -> server
CONTROL = "control"     # {"type": "control", "command": {"op": "pause" | "resume" | "stop" | "speed" | "set_param" | ...}}
RESYNC = "resync"       # {"type": "resync"}: send a fresh snapshot (after a gap or a reconnect)
PING = "ping"           # {"type": "ping"}: answered by a status frame

CLIENT_TYPES = (CONTROL, RESYNC, PING)
MAX_CLIENT_MESSAGE = 20_000


class BadMessage(ValueError):
    pass


def encode(message: dict[str, Any]) -> str:
    if message.get("type") not in SERVER_TYPES:
        raise ValueError(f"not a server message type: {message.get('type')!r}")
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


def decode(text: str | None) -> dict[str, Any]:
    """Parse a client message or raise BadMessage with a sentence for the client."""
    if text is None:
        raise BadMessage("this websocket takes JSON text messages, not binary ones")
    if len(text) > MAX_CLIENT_MESSAGE:
        raise BadMessage(f"the message is {len(text)} characters; the limit is {MAX_CLIENT_MESSAGE}")
    try:
        message = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except (ValueError, RecursionError):
        raise BadMessage("the message is not valid JSON") from None
    if not isinstance(message, dict):
        raise BadMessage("a message must be a JSON object with a \"type\"")
    kind = message.get("type")
    if kind not in CLIENT_TYPES:
        raise BadMessage(f"unknown message type {str(kind)[:40]!r}; known: {', '.join(CLIENT_TYPES)}")
    if kind == CONTROL and not isinstance(message.get("command"), dict):
        raise BadMessage("a control message needs a \"command\" object, e.g. {\"op\": \"pause\"}")
    return message


def snapshot(run: Any, windows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": SNAPSHOT, "run": str(run.id), "attempt": run.attempt, "status": run.status,
            "sim_time": run.sim_time, "duration_s": run.duration_s, "speed": run.speed,
            "windows": windows, "results": run.results if run.is_over else None}


def window(run_id: str, attempt: int, seq: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": WINDOW, "run": run_id, "attempt": attempt, "seq": seq, "window": data}


def status(run: Any) -> dict[str, Any]:
    return {"type": STATUS, "run": str(run.id), "attempt": run.attempt, "status": run.status,
            "sim_time": run.sim_time, "error": run.error or None,
            "results": run.results if run.is_over else None}


def error(message: str, problems: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"type": ERROR, "message": message, "problems": problems or []}

"""A benchmark's well-behaved run viewer: it reads every frame, acknowledges as the page does
(static/js/run-socket.js: every 8 frames or 64 KiB), puts paged snapshots together, and records
each live window's delay from the worker closing it (window["closed_at"]) to its arrival."""
from __future__ import annotations

import asyncio
import http.cookiejar
import json
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import websockets

OVER = ("done", "stopped", "failed", "limited")
ACK_EVERY_FRAMES = 8
ACK_EVERY_BYTES = 64 * 1024


async def watch(url: str, origin: str, session: str, delays: list[float], stats: dict[str, int], until: float,
                on_window: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Watch one run until `until` (epoch seconds) or its end; `on_window` sees each live window."""
    last = -1
    received = acked = unacked_bytes = 0
    async with websockets.connect(url, origin=origin, max_size=2**20,
                                  additional_headers={"Cookie": f"sessionid={session}"}) as ws:
        while time.time() < until:
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=max(0.1, until - time.time()))
            except asyncio.TimeoutError:
                break
            received += 1
            unacked_bytes += len(text)
            stats["largest"] = max(stats.get("largest", 0), len(text))
            if received - acked >= ACK_EVERY_FRAMES or unacked_bytes >= ACK_EVERY_BYTES:
                await ws.send(json.dumps({"type": "ack", "frames": received}))
                acked, unacked_bytes = received, 0
            message = json.loads(text)
            if message["type"] == "snapshot":
                # (A server before paged snapshots sent every window in the header itself.)
                windows = message.get("windows") or [{"index": -1}]
                last = windows[-1]["index"]
            elif message["type"] == "windows":  # a snapshot's pages, or a catch-up
                stats["gaps"] += message["first"] != last + 1
                last = message["last"]
            elif message["type"] == "window":
                delays.append(time.time() - message["window"]["closed_at"])
                if on_window is not None:
                    on_window(message["window"])
                stats["frames"] += 1
                stats["gaps"] += message["seq"] != last + 1
                last = message["seq"]
            elif message["type"] == "status" and message["status"] in OVER:
                break


EXAMPLES = Path(__file__).resolve().parents[1] / "lab" / "sim" / "examples"


def start_runs(base: str, count: int, duration_s: float, example: str = "reference") -> tuple[list[str], str]:
    """Start `count` runs of an example at 10x from one browser session; returns their ids and
    the session key (only the session that started a run may watch it)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    topology = json.loads((EXAMPLES / f"{example}.json").read_text())
    topology["settings"]["warmup_s"] = 0
    ids = []
    for seed in range(count):
        body = json.dumps({"topology": topology, "seed": seed + 1, "duration_s": duration_s, "speed": 10}).encode()
        request = urllib.request.Request(base + "/api/v1/runs", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-CSRFToken": token, "Referer": base + "/"})
        ids.append(json.loads(opener.open(request).read())["id"])
    return ids, next(c.value for c in jar if c.name == "sessionid")

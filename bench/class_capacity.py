"""A class on one server: how many live runs keep pace, and how soon a short run starts while
another user holds the cap of long runs. Figures 1, 2 and 9 of the shared-server issue.

Capacity: N visitors (each its own browser session) start the two-region example at 1x and each
watches it over a websocket (a well-behaved client: bench/stream_client.py). A run keeps pace
when no window closes more than one window later than the wall clock says it should (lag,
measured from the worker's own closing times), and the class is served when every run keeps
pace and the frame delay (worker closing a window -> frame at the client) has p99 <= 300 ms.
The ladder goes up until that fails; the largest N that passes is reported.

Fairness: one user holds their cap of long runs as fast as possible (and more queued); another
user starts a 5 s run: the time from the POST to its first window, and to its end.

    .venv/bin/python bench/class_capacity.py                        # embedded: SQLite, 2 workers
    .venv/bin/python bench/class_capacity.py --ladder 30,45,60 --seconds 20
    .venv/bin/python bench/class_capacity.py --scaleout             # 2 Daphne, 2 runsimworker, PostgreSQL, Redis
"""
from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from bench.stream_client import watch  # noqa: E402
from livelab import free_port, start_lab  # noqa: E402

EXAMPLE = json.loads((ROOT / "lab" / "sim" / "examples" / "two_regions_geo_routing.json").read_text())
# Generous caps: the bench measures the server, not the quotas (tests/web/test_quotas.py does).
CAPS = {"ARCHLAB_VISITOR_RUNNING": "4", "ARCHLAB_VISITOR_QUEUED": "4", "ARCHLAB_NETWORK_RUNNING": "1000",
        "ARCHLAB_NETWORK_QUEUED": "1000", "ARCHLAB_RUNS_PER_WORKER": "200", "LOG_LEVEL": "WARNING"}


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(base + "/", timeout=30).read()

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken"), "Referer": self.base + "/"})
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read())

    def get(self, path: str) -> dict[str, Any]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return json.loads(response.read())

    def start(self, *, seed: int, duration_s: float, speed: float) -> str:
        return self.post("/api/v1/runs", {"topology": EXAMPLE, "seed": seed, "duration_s": duration_s, "speed": speed})["id"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] if ordered else float("nan")


def lag_of(windows: list[tuple[float, float]]) -> float:
    """How far the worker fell behind the wall clock (s): windows closing later than 1x allows."""
    if len(windows) < 2:
        return 0.0
    (c0, t0) = windows[0]
    return max(0.0, max((c - c0) - (t - t0) for c, t in windows))


def capacity_step(bases: list[str], n: int, seconds: float) -> dict[str, Any]:
    browsers = [Browser(bases[i % len(bases)]) for i in range(n)]
    runs = [b.start(seed=i + 1, duration_s=seconds + 3, speed=1) for i, b in enumerate(browsers)]
    delays: list[float] = []
    per_run: list[list[tuple[float, float]]] = [[] for _ in runs]
    stats = {"frames": 0, "gaps": 0}
    until = time.time() + seconds + 8

    async def everyone() -> None:
        await asyncio.gather(*(
            watch(b.base.replace("http", "ws") + f"/ws/runs/{run}/", b.base, b.cookie("sessionid"), delays, stats,
                  until, on_window=lambda w, i=i: per_run[i].append((w["closed_at"], w["t_end"])))
            for i, (b, run) in enumerate(zip(browsers, runs))))

    asyncio.run(everyone())
    lags = [lag_of(w) for w in per_run]
    ms = [d * 1000 for d in delays]
    kept = sum(1 for lag in lags if lag <= float(EXAMPLE["settings"]["window_s"]))
    return {"runs": n, "kept_pace": kept, "max_lag_s": max(lags), "frames": stats["frames"], "gaps": stats["gaps"],
            "p50_ms": statistics.median(ms) if ms else float("nan"), "p99_ms": percentile(ms, 0.99),
            "served": kept == n and bool(ms) and percentile(ms, 0.99) <= 300 and stats["frames"] >= n * seconds * 0.8}


def fairness(bases: list[str]) -> dict[str, float]:
    greedy = Browser(bases[0])
    long_runs = [greedy.start(seed=i + 1, duration_s=3000, speed=0) for i in range(6)]  # 4 running + 2 queued
    time.sleep(3)  # they are running, using the CPU
    other = Browser(bases[-1])
    posted = time.monotonic()
    short = other.start(seed=99, duration_s=5, speed=0)
    first_window = ended = None
    while ended is None and time.monotonic() - posted < 60:
        state = other.get(f"/api/v1/runs/{short}")
        if first_window is None and state["windows"] > 0:
            first_window = time.monotonic() - posted
        if state["status"] not in ("queued", "running"):
            ended = time.monotonic() - posted
        time.sleep(0.05)
    running = sum(greedy.get(f"/api/v1/runs/{r}")["status"] == "running" for r in long_runs)
    for run in long_runs:
        greedy.post(f"/api/v1/runs/{run}/commands", {"op": "stop"})
    return {"first_window_s": first_window or float("nan"), "done_s": ended or float("nan"), "greedy_running": running}


def embedded(tmp: Path) -> tuple[list[str], list[Any]]:
    port = free_port()
    server = start_lab(port, tmp / "class.sqlite3", workers=2, **CAPS)
    time.sleep(3)  # the pool boots
    return [f"http://127.0.0.1:{port}"], [server]


def scaleout(tmp: Path) -> tuple[list[str], list[Any]]:
    from scaleout.services import start_postgres, start_redis

    postgres, redis = start_postgres(), start_redis()
    env = {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url, **CAPS}
    ports = [free_port(), free_port()]
    servers = [start_lab(port, tmp / "unused.sqlite3", workers=0, **env) for port in ports]
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "lab.settings", **env}
    workers = [subprocess.Popen([sys.executable, "manage.py", "runsimworker"], cwd=ROOT, env=full,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    time.sleep(3)

    class Services:
        database_url, redis_url = postgres.url, redis.url

        def terminate(self) -> None:
            redis.stop()
            postgres.stop()

        def wait(self, timeout: float) -> None:
            pass

    return [f"http://127.0.0.1:{p}" for p in ports], [*servers, *workers, Services()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ladder", default="30,40,50,60,75,90", help="numbers of concurrent live runs to try")
    parser.add_argument("--seconds", type=float, default=30.0, help="wall seconds each step watches")
    parser.add_argument("--scaleout", action="store_true", help="two servers and two workers on PostgreSQL + Redis")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bases, processes = (scaleout if args.scaleout else embedded)(Path(tmp))
        mode = "scale-out (2 Daphne, 2 runsimworker, PostgreSQL, Redis)" if args.scaleout else "embedded (2 workers)"
        print(f"{mode}, two_regions_geo_routing at 1x, one websocket viewer per run, {args.seconds:g} s a step")
        best = 0
        try:
            # Fairness first, on a quiet server (a failed capacity step leaves it overloaded).
            fair = fairness(bases)
            print(f"fairness: with one user holding {fair['greedy_running']} long runs as fast as possible (cap) and "
                  f"2 more queued, another user's 5 s run showed its first window after {fair['first_window_s']:.2f} s "
                  f"and ended after {fair['done_s']:.2f} s (target: starts within 2 s)", flush=True)
            time.sleep(3)  # the long runs stop
            for n in (int(x) for x in args.ladder.split(",")):
                step = capacity_step(bases, n, args.seconds)
                print(f"  {n:4d} runs: kept pace {step['kept_pace']}/{n} (max lag {step['max_lag_s']:.2f} s), "
                      f"frames {step['frames']}, gaps {step['gaps']}, frame delay p50 {step['p50_ms']:.0f} ms "
                      f"p99 {step['p99_ms']:.0f} ms -> {'served' if step['served'] else 'NOT served'}", flush=True)
                if not step["served"]:
                    break
                best = n
                time.sleep(5)  # the step's runs end
            print(f"largest class served: {best} concurrent live runs (target >= 30)")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)


if __name__ == "__main__":
    main()

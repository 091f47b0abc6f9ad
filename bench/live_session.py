"""A live class session watched by a whole class: one teacher's run streamed to every student, and
a question the class answers at once. The classroom issue's figures: with 100 students on this
2-core machine, the frame delay p99 (worker closing a window -> frame at the student's socket)
at most 300 ms, and 100 answers counted within 1 s. In the same run, the baseline: the same run
watched by its teacher alone, so the report says what 100 watchers cost (a ratio of medians).

    .venv/bin/python bench/live_session.py                      # embedded: SQLite, 2 workers
    .venv/bin/python bench/live_session.py --scaleout           # 2 Daphne, 2 runsimworker, PostgreSQL, Redis
    .venv/bin/python bench/live_session.py --students 60 --seconds 20

Answers are sent as the page sends them, over each student's session websocket (open before the
question, as the page opens it), and, as the baseline in the same run, over HTTP (POST
/api/v1/questions/{id}/answers, what the page falls back to): the report gives both and their
ratio. In scale-out mode the students are split across the two servers.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import websockets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from bench.class_capacity import CAPS, embedded, percentile, scaleout  # noqa: E402
from bench.stream_client import watch  # noqa: E402

EXAMPLE = json.loads((ROOT / "lab" / "sim" / "examples" / "cached_api.json").read_text())

# Run inside the lab's database (manage.py shell): a teacher, a class of `n` students, and a
# signed-in browser session for each; prints {"teacher": key, "students": [keys], "classroom": id}.
SETUP = """
import json
from django.contrib.auth.models import User
from livelab import signed_in_session as session_of
from lab.classroom.models import Classroom, Membership
from lab.classroom.services import grant_teacher

teacher = User.objects.create_user("bench-teacher")
grant_teacher(user=teacher)
room = Classroom.objects.create(name="Bench class", teacher=teacher, join_code="BENCH234")
students = [User.objects.create_user(f"bench-student-{i}") for i in range(N)]
Membership.objects.bulk_create([Membership(classroom=room, student=s) for s in students])
print(json.dumps({"teacher": session_of(teacher), "students": [session_of(s) for s in students],
                  "classroom": str(room.id)}))
"""


class Caller:
    """A signed-in browser session over HTTP (its CSRF cookie and header, as the page sends them)."""

    def __init__(self, base: str, session: str) -> None:
        self.base = base
        self.session = session
        self.csrf = secrets.token_hex(16)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Content-Type": "application/json", "X-CSRFToken": self.csrf,
            "Cookie": f"sessionid={self.session}; csrftoken={self.csrf}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw or b"null")
            except ValueError:
                raise RuntimeError(f"{method} {path}: {error.code} and not JSON: {raw[:300]!r}") from None


def setup(env: dict[str, str], n: int) -> dict[str, Any]:
    # The shell imports the test harness (tests/livelab.py), so tests/ goes on its path.
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "lab.settings", **env,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", SETUP.replace("N)", f"{n})")], cwd=ROOT,
                         env=full, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


async def watch_all(bases: list[str], sessions: list[str], run_id: str, seconds: float) -> tuple[list[float], int]:
    delays: list[float] = []
    stats = {"frames": 0, "gaps": 0}
    until = time.time() + seconds
    await asyncio.gather(*(watch(f"{bases[i % len(bases)].replace('http', 'ws')}/ws/runs/{run_id}/",
                                 bases[i % len(bases)], key, delays, stats, until)
                           for i, key in enumerate(sessions)))
    return delays, stats["gaps"]


def ask(teacher: Caller, session: str) -> int:
    _, view = teacher.call("POST", f"/api/v1/sessions/{session}/questions",
                           {"text": "p99 once the cache dies (ms)?", "unit": "ms", "time_limit_s": 120})
    question = view["questions"][-1]["id"]
    teacher.call("POST", f"/api/v1/questions/{question}/open")
    return question


def wait_counted(teacher: Caller, session: str, question: int, n: int, began: float, codes: Any) -> float:
    while True:
        _, view = teacher.call("GET", f"/api/v1/sessions/{session}")
        if next(q for q in view["questions"] if q["id"] == question)["answered"] >= n:
            return time.perf_counter() - began
        if time.perf_counter() - began > 30:
            raise RuntimeError(f"answers not all counted after 30 s ({codes})")
        time.sleep(0.02)  # a teacher's page polls once a second; this only reads the end sooner


def answers_over_http(bases: list[str], teacher: Caller, students: list[str], session: str) -> float:
    """Seconds from the first of the class's answers being sent to the teacher's view counting all."""
    question = ask(teacher, session)
    callers = [Caller(bases[i % len(bases)], key) for i, key in enumerate(students)]
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(callers)) as pool:
        codes = list(pool.map(lambda c: c[1].call("POST", f"/api/v1/questions/{question}/answers",
                                                    {"value": 100 + c[0]})[0], enumerate(callers)))
    return wait_counted(teacher, session, question, len(students), began, sorted(set(codes)))


async def _socket_answers(bases: list[str], teacher: Caller, students: list[str], session: str) -> float:
    sockets = [await websockets.connect(f"{bases[i % len(bases)].replace('http', 'ws')}/ws/sessions/{session}/",
                                        origin=bases[i % len(bases)],
                                        additional_headers={"Cookie": f"sessionid={key}"})
               for i, key in enumerate(students)]
    try:
        question = await asyncio.to_thread(ask, teacher, session)
        began = time.perf_counter()
        await asyncio.gather(*(ws.send(json.dumps({"type": "answer", "question": question, "value": 100 + i, "ref": i}))
                               for i, ws in enumerate(sockets)))
        replies = [json.loads(await ws.recv()) for ws in sockets]
        kinds = sorted({r["type"] for r in replies})
        return await asyncio.to_thread(wait_counted, teacher, session, question, len(students), began, kinds)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


def answers_over_socket(bases: list[str], teacher: Caller, students: list[str], session: str) -> float:
    return asyncio.run(_socket_answers(bases, teacher, students, session))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0, help="wall seconds each group watches")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of baseline and class")
    parser.add_argument("--scaleout", action="store_true", help="two servers and two workers on PostgreSQL + Redis")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bases, processes = (scaleout if args.scaleout else embedded)(Path(tmp))
        mode = ("scale-out (2 Daphne, 2 runsimworker, PostgreSQL, Redis; students split across both servers)"
                if args.scaleout else "embedded (SQLite, 2 workers)")
        # The servers' SQLite path also names their secret key's file (lab/settings.py), which
        # the sessions made for the students are signed with.
        env = {**CAPS, **({"DATABASE_URL": processes[-1].database_url, "REDIS_URL": processes[-1].redis_url,
                           "ARCHLAB_SQLITE": str(Path(tmp) / "unused.sqlite3")}
                          if args.scaleout else {"ARCHLAB_SQLITE": str(Path(tmp) / "class.sqlite3")})}
        try:
            people = setup(env, args.students)
            teacher = Caller(bases[0], people["teacher"])
            code, view = teacher.call("POST", f"/api/v1/classes/{people['classroom']}/sessions",
                                      {"title": "Bench", "topology": EXAMPLE})
            assert code == 201, view
            session = view["id"]
            for key in people["students"]:  # each opens the session once: it lets them watch its runs
                Caller(bases[0], key).call("GET", f"/api/v1/sessions/{session}")
            alone, whole = [], []
            for _ in range(args.rounds):
                for group, sink in (([people["teacher"]], alone), (people["students"], whole)):
                    code, view = teacher.call("POST", f"/api/v1/sessions/{session}/run",
                                              {"duration_s": args.seconds + 30, "speed": 1})
                    assert code == 201, view
                    delays, _ = asyncio.run(watch_all(bases, group, view["run"]["id"], args.seconds))
                    sink.append(delays)
            a = [statistics.median(d) for d in alone]
            w = [statistics.median(d) for d in whole]
            p99 = max(percentile(d, 0.99) for d in whole)
            print(f"{mode}: one cached_api run at 1x, {args.students} students "
                  f"watching, {args.seconds:g} s a round, {args.rounds} rounds")
            print(f"  frame delay median: teacher alone {statistics.median(a) * 1000:.0f} ms, whole class "
                  f"{statistics.median(w) * 1000:.0f} ms (class/alone {statistics.median(w) / statistics.median(a):.2f}x); "
                  f"class p99 (worst round) {p99 * 1000:.0f} ms (target <= 300 ms; rounds: "
                  f"{', '.join(f'{percentile(d, 0.99) * 1000:.0f}' for d in whole)} ms; "
                  f"teacher alone: {', '.join(f'{percentile(d, 0.99) * 1000:.0f}' for d in alone)} ms)")
            sockets, posts = [], []
            for _ in range(args.rounds):  # alternating, so both see the same machine
                sockets.append(answers_over_socket(bases, teacher, people["students"], session))
                posts.append(answers_over_http(bases, teacher, people["students"], session))
            print(f"  {args.students} answers counted: over the session websocket {statistics.median(sockets):.2f} s "
                  f"median (min {min(sockets):.2f}, max {max(sockets):.2f}; target <= 1 s); over HTTP "
                  f"{statistics.median(posts):.2f} s (min {min(posts):.2f}, max {max(posts):.2f}); "
                  f"websocket/HTTP {statistics.median(sockets) / statistics.median(posts):.2f}x")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)


if __name__ == "__main__":
    main()

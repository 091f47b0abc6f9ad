"""Quotas against a real server under a flood (figure 3 of the shared-server issue): a script
starting 1,000 runs in about 10 s, as one visitor who drops its session cookie every time, and
as one user with an API token and fresh logins. Exactly the allowance (running + queued) is
accepted, every other start is a 429 with Retry-After, and never more than the running
allowance runs at once."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Callable

import pytest

from livelab import ROOT, free_port, start_lab

from .conftest import PASSWORD, example

CAPS = {"ARCHLAB_VISITOR_RUNNING": "1", "ARCHLAB_VISITOR_QUEUED": "2", "ARCHLAB_USER_RUNNING": "2",
        "ARCHLAB_USER_QUEUED": "4", "ARCHLAB_NETWORK_RUNNING": "5", "ARCHLAB_NETWORK_QUEUED": "10"}
BODY = json.dumps({"topology": example("reference"), "duration_s": 60, "speed": 1}).encode()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    port = free_port()
    db = tmp_path_factory.mktemp("flood") / "lab.sqlite3"
    server = start_lab(port, db, workers=2, **CAPS)
    yield f"http://127.0.0.1:{port}", db
    server.kill()
    server.wait(10)


def post(url: str, headers: dict[str, str], data: bytes = BODY) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json",
                                                                            **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def flood(start: Callable[[], tuple[int, dict[str, str]]], db: Path, principal_sql: str) -> dict[str, Any]:
    """1,000 starts from 8 threads while another thread watches how many are running."""
    most_running = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal most_running
        while not done.is_set():
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=20) as conn:
                (count,) = conn.execute(f"select count(*) from runs_run where status = 'running' and {principal_sql}").fetchone()
            most_running = max(most_running, count)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: start(), range(1000)))
    elapsed = time.monotonic() - began
    time.sleep(1.5)  # the workers claim what they may
    done.set()
    watcher.join()
    return {"statuses": [s for s, _ in answers], "headers": [h for _, h in answers], "most_running": most_running,
            "elapsed": elapsed}


def csrf_of(base: str) -> str:
    jar = CookieJar()
    urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(base + "/", timeout=10).read()
    return next(c.value for c in jar if c.name == "csrftoken")


def test_a_visitor_dropping_its_session_cookie_gets_exactly_the_network_allowance(lab: Any) -> None:
    base, db = lab
    csrf = csrf_of(base)
    # Only the CSRF cookie is sent back: every start comes from a brand-new session.
    headers = {"Cookie": f"csrftoken={csrf}", "X-CSRFToken": csrf, "Referer": base + "/"}
    result = flood(lambda: post(base + "/api/v1/runs", headers), db, "network = 'ip:127.0.0.1'")
    assert result["statuses"].count(201) == 15 and result["statuses"].count(429) == 985
    assert all(int(h["Retry-After"]) >= 1 for s, h in zip(result["statuses"], result["headers"]) if s == 429)
    assert result["most_running"] <= 5
    assert result["elapsed"] < 60


def make_user(db: Path) -> str:
    """A user and an API token in the server's database; returns the token's secret."""
    code = ("from django.contrib.auth.models import User\n"
            "from lab.accounts.models import ApiToken\n"
            f"user = User.objects.create_user('flooder', password='{PASSWORD}')\n"
            "print(ApiToken.issue(user, 'flood')[1])\n")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, check=True, capture_output=True,
                         env={**os.environ, "ARCHLAB_SQLITE": str(db), "DJANGO_SETTINGS_MODULE": "lab.settings",
                              "LOG_LEVEL": "WARNING"}).stdout.decode()
    return out.strip().splitlines()[-1]


def fresh_login(base: str) -> dict[str, str]:
    """Log in again with a new browser: a new session of the same user."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = f"username=flooder&password={PASSWORD}&csrfmiddlewaretoken={token}".encode()
    opener.open(urllib.request.Request(base + "/accounts/login/", data=form, headers={
        "Referer": base + "/accounts/login/"}), timeout=10).read()
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "the login did not take"
    return {"Cookie": f"csrftoken={cookies['csrftoken']}; sessionid={cookies['sessionid']}",
            "X-CSRFToken": cookies["csrftoken"], "Referer": base + "/"}


def test_one_user_with_a_token_and_fresh_logins_gets_exactly_the_user_allowance(lab: Any) -> None:
    base, db = lab
    secret = make_user(db)
    sessions = [fresh_login(base) for _ in range(5)]
    turn = iter(range(10**6))

    def start() -> tuple[int, dict[str, str]]:
        i = next(turn)
        if i % 2:
            return post(base + "/api/v1/runs", {"Authorization": f"Bearer {secret}"})
        return post(base + "/api/v1/runs", sessions[i // 2 % len(sessions)])

    result = flood(start, db, "principal like 'user:%'")
    assert result["statuses"].count(201) == 6 and result["statuses"].count(429) == 994
    assert result["most_running"] <= 2

"""Deployment: production settings come from the environment and `check --deploy` is clean with
them; production refuses to start without a secret key, its host names or a mail server (reset
links never go to a log); elsewhere the server makes its own secret key once and keeps it; and a
real server sends static files compressed, with a year's cache. Each case starts Python afresh,
since settings are read once at start."""
from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from livelab import ROOT, free_port, start_lab

SCRIPT = """
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "lab.settings"
django.setup()
from django.conf import settings
from django.test import Client
{body}
"""


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment docs/operations.md ("Deployment") asks for, and nothing inherited from the
    test run that would change it."""
    env = {"PATH": "/usr/bin:/bin", "ARCHLAB_PRODUCTION": "1", "SECRET_KEY": secrets.token_urlsafe(50),
           "ALLOWED_HOSTS": "lab.example.org", "EMAIL_HOST": "smtp.example.org",
           "ARCHLAB_SQLITE": str(tmp_path / "lab.sqlite3"), "ARCHLAB_STATIC_ROOT": str(tmp_path / "static")}
    return {**env, **extra}


def development(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "ARCHLAB_SQLITE": str(tmp_path / "lab.sqlite3"), **extra}


def without(env: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != name}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def python(env: dict[str, str], body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT.format(body=body)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_with_the_production_settings(tmp_path: Path) -> None:
    result = manage(production(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_is_what_catches_a_production_server_without_the_switch(tmp_path: Path) -> None:
    # The same server without ARCHLAB_PRODUCTION: plain cookies, no HSTS, no redirect to HTTPS.
    result = manage(without(production(tmp_path), "ARCHLAB_PRODUCTION"), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr, check


@pytest.mark.parametrize("missing, sentence", [
    ("SECRET_KEY", "ARCHLAB_PRODUCTION=1 needs SECRET_KEY"),
    ("ALLOWED_HOSTS", "ARCHLAB_PRODUCTION=1 needs ALLOWED_HOSTS"),
    ("EMAIL_HOST", "ARCHLAB_PRODUCTION=1 needs a mail server"),
])
def test_production_refuses_to_start_without_a_setting_it_needs_and_says_which(tmp_path: Path, missing: str,
                                                                               sentence: str) -> None:
    result = manage(without(production(tmp_path), missing), "check")
    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {sentence}" in result.stderr
    assert not (tmp_path / "lab.sqlite3.secret-key").exists()


@pytest.mark.parametrize("backend", ["django.core.mail.backends.console.EmailBackend",
                                     "django.core.mail.backends.filebased.EmailBackend"])
def test_production_never_writes_mail_to_the_console_or_a_file(tmp_path: Path, backend: str) -> None:
    result = manage(production(tmp_path, EMAIL_BACKEND=backend), "check")
    assert result.returncode != 0 and "password-reset links must not go to the log" in result.stderr


def test_production_sends_mail_through_the_smtp_server_it_is_given(tmp_path: Path) -> None:
    result = python(production(tmp_path), "print(settings.EMAIL_BACKEND, settings.EMAIL_HOST)")
    assert result.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.org"], result.stderr


def test_production_refuses_debug_pages(tmp_path: Path) -> None:
    result = manage(production(tmp_path, DEBUG="1"), "check")
    assert result.returncode != 0 and "ARCHLAB_PRODUCTION=1 with DEBUG=1" in result.stderr


def test_a_bad_value_in_a_security_setting_stops_the_start_with_its_name(tmp_path: Path) -> None:
    result = manage(production(tmp_path, SECURE_HSTS_SECONDS="a year"), "check")
    assert "SECURE_HSTS_SECONDS must be a whole number, not 'a year'" in result.stderr
    result = manage(production(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https"), "check")
    assert "SECURE_PROXY_SSL_HEADER must be a header name" in result.stderr


REQUESTS = """
migrate = __import__("django.core.management", fromlist=["call_command"]).call_command
migrate("migrate", verbosity=0)
client = Client(HTTP_HOST="lab.example.org")
out = {{}}
for name, kwargs in {requests}.items():
    r = client.get("/", **kwargs)
    out[name] = {{"status": r.status_code, "location": r.get("Location"), "hsts": r.get("Strict-Transport-Security"),
                 "cookie_secure": [bool(c["secure"]) for c in r.cookies.values()]}}
print(json.dumps(out))
"""


def answers(env: dict[str, str], requests: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    result = python(env, REQUESTS.format(requests=repr(requests)))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_in_production_plain_http_is_sent_to_https_and_https_answers_carry_hsts(tmp_path: Path) -> None:
    out = answers(production(tmp_path), {"http": {}, "https": {"secure": True}})
    assert out["http"]["status"] == 301 and out["http"]["location"] == "https://lab.example.org/"
    assert out["https"]["status"] == 200
    assert out["https"]["hsts"] == "max-age=31536000; includeSubDomains"


def test_the_proxy_header_is_believed_only_when_the_operator_says_the_proxy_sets_it(tmp_path: Path) -> None:
    forwarded = {"forwarded": {"HTTP_X_FORWARDED_PROTO": "https"}}
    assert answers(production(tmp_path), forwarded)["forwarded"]["status"] == 301  # a client's claim
    behind_proxy = production(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert answers(behind_proxy, forwarded)["forwarded"]["status"] == 200


def test_outside_production_a_secret_key_is_made_once_next_to_the_database_and_sessions_survive_a_restart(
        tmp_path: Path) -> None:
    env = development(tmp_path)
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
    made = python(env, "from django.contrib.sessions.backends.db import SessionStore\n"
                       "s = SessionStore(); s['design'] = 'Checkout'; s.create(); print(s.session_key)")
    assert made.returncode == 0, made.stderr
    key_file = tmp_path / "lab.sqlite3.secret-key"
    key = key_file.read_text().strip()
    assert len(key) >= 50 and key != "archlab-development-key-not-for-production"
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the server's user only
    # A restart: a new process reads the same key, so the session's signature still holds.
    session = made.stdout.split()[-1]
    read = python(env, "from django.contrib.sessions.backends.db import SessionStore\n"
                       f"print(SessionStore(session_key={session!r}).load().get('design'))")
    assert read.stdout.split()[-1] == "Checkout", read.stderr
    assert python(env, "print(settings.SECRET_KEY)").stdout.strip() == key


def test_two_installations_do_not_share_a_key_and_secret_key_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = python(development(tmp_path / "a"), "print(settings.SECRET_KEY)").stdout.strip()
    b = python(development(tmp_path / "b"), "print(settings.SECRET_KEY)").stdout.strip()
    assert a and b and a != b
    given = python(development(tmp_path / "a", SECRET_KEY="k" * 60), "print(settings.SECRET_KEY)").stdout.strip()
    assert given == "k" * 60


def test_the_key_file_and_collected_static_files_are_kept_out_of_git() -> None:
    ignored = subprocess.run(["git", "check-ignore", "archlab.sqlite3.secret-key", "staticfiles/js/lab.js"],
                             cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == ["archlab.sqlite3.secret-key", "staticfiles/js/lab.js"]


def test_outside_production_without_a_mail_server_mail_goes_to_the_console_for_development(tmp_path: Path) -> None:
    result = python(development(tmp_path), "print(settings.EMAIL_BACKEND)")
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


# Static files as a class downloads them -----------------------------------------------------

@pytest.fixture(scope="module")
def live_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server = start_lab(port, tmp_path_factory.mktemp("static") / "lab.sqlite3", workers=0)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_the_lab_page_names_hashed_static_files_sent_gzipped_and_cached_for_a_year(live_lab: str) -> None:
    status, _, page = fetch(live_lab + "/")
    assert status == 200
    html = page.decode()
    plotly = re.search(r'data-plotly-src="(/static/vendor/plotly/plotly-cartesian\.min\.[0-9a-f]{12}\.js)"', html)
    assert plotly, "the lab page names the hashed cartesian Plotly bundle"
    scripts = re.findall(r'src="(/static/[^"]+)"', html)
    assert scripts and all(re.search(r"\.[0-9a-f]{12}\.js$", s) for s in scripts), scripts
    for url in [plotly.group(1), *scripts]:
        status, headers, body = fetch(live_lab + url, **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("content-encoding") == "gzip", url
        assert headers["cache-control"] == "max-age=315360000, public, immutable", url
    _, headers, body = fetch(live_lab + plotly.group(1), **{"Accept-Encoding": "gzip"})
    assert len(body) < 600_000  # 1.5 MB of script, compressed


def test_module_imports_name_hashed_files_so_a_new_module_is_never_hidden_by_a_cached_one(live_lab: str) -> None:
    html = fetch(live_lab + "/")[2].decode()
    lab_js = re.search(r'src="(/static/js/lab\.[0-9a-f]{12}\.js)"', html).group(1)
    source = fetch(live_lab + lab_js)[2].decode()
    imports = re.findall(r'from "(\./[^"]+)"', source)
    assert imports and all(re.fullmatch(r"\./[\w-]+\.[0-9a-f]{12}\.js", i) for i in imports), imports


def test_a_revisit_with_the_etag_costs_no_body(live_lab: str) -> None:
    html = fetch(live_lab + "/")[2].decode()
    css = re.search(r'href="(/static/css/lab\.[0-9a-f]{12}\.css)"', html).group(1)
    _, headers, _ = fetch(live_lab + css)
    status, _, body = fetch(live_lab + css, **{"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""


def test_pages_are_sent_gzipped_too(live_lab: str) -> None:
    status, headers, body = fetch(live_lab + "/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert len(body) < 40_000  # the lab page's ~90 kB of catalogue and examples

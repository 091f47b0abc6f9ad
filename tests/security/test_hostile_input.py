"""Wrong, huge and hostile values in every form and page parameter added with accounts and
designs: each gets a clear refusal (4xx, or the page with a message), never a server error."""
from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from lab.designs import services
pytestmark = pytest.mark.django_db

def test_no_form_or_page_parameter_can_make_a_server_error(settings) -> None:
    settings.ARCHLAB_EMBEDDED_WORKERS = 0
    a = User.objects.create_user("alice", password="x-Secret-123")
    d = services.design_create(owner=a, name="x", topology=json.load(open("lab/sim/examples/reference.json")))
    c = Client(); c.force_login(a)
    base = f"/designs/{d.pk}"
    out: list[tuple[str, int]] = []

    def rec(label: str, response) -> None:
        out.append((label, response.status_code))

    rec("settings huge", c.post(base + "/settings", {"name": "n" * 100000, "description": "d" * 10**6, "tags": "t " * 5000}))
    rec("settings nul", c.post(base + "/settings", {"name": "a\x00b", "tags": "\x00"}))
    rec("share garbage", c.post(base + "/share", {"visibility": "<script>"}))
    rec("compare garbage", c.get(base + "/compare?from=abc&to=99999999999999999999999"))
    rec("revision huge", c.get(base + "/revisions/99999999999999999999/"))
    rec("export rev garbage", c.get(base + "/export.json?revision=-1"))
    rec("thumb rev garbage", c.get(base + "/thumbnail.svg?revision=1e9"))
    rec("gallery page abc", c.get("/gallery?page=abc&sort=zzz&tag=<script>&q=" + "x" * 10000))
    rec("gallery page -5", c.get("/gallery?page=-5"))
    f = io.BytesIO(b"\xff\xfe" * 10); f.name = "x.json"
    rec("import binary", c.post("/designs/import", {"file": f}))
    f = io.BytesIO(b'{"version": 1, "nodes": [], "edges": [], "x": NaN}'); f.name = "x.json"
    rec("import nan", c.post("/designs/import", {"file": f}))
    f = io.BytesIO(b" " * 3_000_000); f.name = "big.json"
    rec("import huge", c.post("/designs/import", {"file": f, "name": "n" * 1000}))
    rec("import nofile", c.post("/designs/import", {}))
    rec("token huge", c.post("/accounts/tokens/", {"name": "n" * 10000}))
    rec("token empty", c.post("/accounts/tokens/", {"name": ""}))
    rec("token revoke garbage", c.post("/accounts/tokens/999999999999/revoke"))
    api = f"/api/v1/designs/{d.pk}"
    rec("lab save huge", c.post(api + "/revisions", data=b"[" * 100000, content_type="application/json"))
    rec("lab new nul", c.post("/api/v1/designs", data=json.dumps({"name": "a\x00", "topology": {}}), content_type="application/json"))
    v = Client()
    rec("signup huge", v.post("/accounts/signup/", {"username": "u" * 10000, "email": "x", "password1": "a", "password2": "b"}))
    rec("signup nul", v.post("/accounts/signup/", {"username": "a\x00", "email": "a@b.c", "password1": "x-Secret-12345", "password2": "x-Secret-12345"}))
    rec("login garbage", v.post("/accounts/login/", {"username": "\x00" * 5, "password": "x" * 100000}))
    rec("shared bad token", v.get("/s/" + "%00" * 10 + "/"))
    rec("shared long token", v.get("/s/" + "a" * 5000 + "/embed"))
    rec("run start design garbage", c.post("/api/v1/runs", data=json.dumps({"topology": {}, "design": ["x"], "revision": {"a": 1}}), content_type="application/json"))
    assert [label for label, code in out if code >= 500] == []
    refused = dict(out)
    # Bad values are refused, not quietly stored.
    assert refused["settings huge"] == refused["settings nul"] == refused["share garbage"] == 400
    assert refused["import binary"] == refused["import nan"] == refused["import huge"] == 400
    d.refresh_from_db()
    assert d.name == "x" and d.visibility == "private"


# ---- documents stored before the strict reader, and input over the limits --------------------

def _stored_with_a_lone_surrogate(owner: User) -> tuple[object, object]:
    """A public design whose revisions, and a run of it, hold lone surrogates, written straight
    through the ORM as the old save endpoint let them in (a JSON field stores them escaped)."""
    from lab.designs.models import Revision
    from lab.runs.models import Run

    doc = json.load(open("lab/sim/examples/reference.json"))
    design = services.design_create(owner=owner, name="old", topology=doc)
    services.design_save(design=design, author=owner, topology={**doc, "description": "second"}, message="")
    services.design_share(design=design, visibility="public")
    bad = json.loads(json.dumps(doc))
    bad["name"], bad["description"] = "bad \ud800 name", "\udfff"
    bad["nodes"][0]["label"] = "L\udc00"
    bad["nodes"][0]["params"]["\ud800"] = "\ud801"
    Revision.objects.filter(design=design).update(topology=bad)
    run = Run.objects.create(topology=bad, seed=1, duration_s=1, user=owner, revision=design.latest(),
                             results={"note": "\ud800"})
    return design, run


def test_a_document_stored_with_a_lone_surrogate_is_readable_everywhere_with_a_replacement_character(settings) -> None:
    settings.ARCHLAB_EMBEDDED_WORKERS = 0
    from lab.accounts.models import ApiToken

    alice = User.objects.create_user("alice")
    design, run = _stored_with_a_lone_surrogate(alice)
    _, secret = ApiToken.issue(alice, "reads")
    owner, visitor = Client(), Client()
    owner.force_login(alice)
    base, api = f"/designs/{design.pk}", f"/api/v1/designs/{design.pk}"
    pages = [base + "/", base + "/edit", base + "/revisions/1/", base + "/revisions/2/", base + "/compare?from=1&to=2",
             base + "/export.json", base + "/thumbnail.svg", base + "/thumbnail.svg?download=1", base + "/embed",
             "/gallery", f"/api/v1/runs/{run.pk}", f"/api/v1/runs/{run.pk}/results.json"]
    apis = [api, api + "/revisions", api + "/revisions/2", api + "/diff?from=1&to=2", api + "/thumbnail.svg",
            f"/api/v1/runs/{run.pk}", "/api/v1/designs?scope=public"]
    shown = {}
    for client in (owner, visitor):
        for url in pages:
            shown[url] = client.get(url)
        for url in apis:
            shown[url] = client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
    failed = {url: r.status_code for url, r in shown.items() if r.status_code >= 500}
    assert failed == {}
    for url in (base + "/revisions/1/", base + "/export.json", base + "/thumbnail.svg", api, api + "/revisions/2"):
        assert shown[url].status_code == 200, url
        assert "\ufffd" in shown[url].content.decode("utf-8"), url
    assert json.loads(shown[base + "/export.json"].content)["name"] == "bad \ufffd name"
    assert shown[api].json()["topology"]["nodes"][0]["label"] == "L\ufffd"
    # Reading it did not change what is stored: the scrub is for output only.
    assert design.latest().topology["name"] == "bad \ud800 name"


def _errors_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info]


@pytest.mark.parametrize("url", ["/api/v1/runs", "/api/v1/topologies/check", "/api/v1/sources/preview",
                                 "/api/v1/designs", "/api/v1/designs/00000000-0000-0000-0000-000000000000/fork"])
def test_a_body_over_the_limit_gets_a_json_413_and_no_traceback(url: str, caplog) -> None:
    from lab.http import MAX_BODY_BYTES

    a = User.objects.create_user("alice")
    c = Client()
    c.force_login(a)
    for size in (MAX_BODY_BYTES + 1, 3_000_000):  # over ours, and over Django's buffer limit too
        response = c.post(url, data=b"x" * size, content_type="application/json")
        assert response.status_code == 413, (url, size)
        problem, = response.json()["problems"]
        assert problem["path"] == "$" and f"the limit is {MAX_BODY_BYTES:,} bytes" in problem["message"]
    assert _errors_logged(caplog) == []


def test_a_body_just_under_the_document_limit_is_read() -> None:
    from lab.sim import LIMITS

    doc = {"padding": "p" * (LIMITS["document_bytes"] - 20)}
    response = Client().post("/api/v1/topologies/check", data=json.dumps(doc), content_type="application/json")
    assert response.status_code == 200 and response.json()["problems"]


@pytest.mark.parametrize("url, is_json", [("/api/v1/runs/", True), ("/api/v1/designs?search=", True),
                                          ("/api/v1/catalogue?", True), ("/gallery?q=", False)])
def test_an_overlong_address_gets_414_as_json_on_json_endpoints(url: str, is_json: bool, caplog) -> None:
    from lab.http import MAX_URL_BYTES

    response = Client().get(url + "a" * MAX_URL_BYTES)
    assert response.status_code == 414
    if is_json:
        problem, = response.json()["problems"]
        assert f"the limit is {MAX_URL_BYTES:,}" in problem["message"]
    else:
        assert response["Content-Type"].startswith("text/plain") and b"the limit is" in response.content
    assert Client().get(url + "a" * (MAX_URL_BYTES - len(url) - 10)).status_code != 414
    assert _errors_logged(caplog) == []


def test_a_body_without_a_length_is_refused_with_a_problem_and_saves_nothing() -> None:
    """Chunked bodies carry no Content-Length. DRF reads a request without one as having no
    body (so nothing of it is buffered): the design is refused for its missing topology."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.test import RequestFactory

    from lab.api.design_views import DesignListView
    from lab.designs.models import Design

    request = RequestFactory().post("/api/v1/designs", data=b"[" * 3_000_000, content_type="application/json")
    del request.META["CONTENT_LENGTH"]
    request.user = User.objects.create_user("alice")
    request.session = SessionStore()
    request._dont_enforce_csrf_checks = True
    response = DesignListView.as_view()(request).render()
    assert response.status_code == 400 and json.loads(response.content)["problems"][0]["path"] == "$.topology"
    assert not Design.objects.exists()


def test_django_refusals_on_json_endpoints_are_problems_too() -> None:
    c = Client(enforce_csrf_checks=True)
    refusals = {"wrong method": c.get("/api/v1/runs"), "no such address": c.get("/api/nothing-here"),
                "no csrf token": c.post("/api/v1/runs", data="{}", content_type="application/json"),
                "a page's form address sent JSON": c.post("/designs/00000000-0000-0000-0000-000000000000/fork",
                                                          data="{}", content_type="application/json")}
    for label, response in refusals.items():
        assert 400 <= response.status_code < 500, label
        problem, = response.json()["problems"]
        assert problem["path"] == "$" and problem["message"], label
    assert "it takes POST" in refusals["wrong method"].json()["problems"][0]["message"]
    assert refusals["wrong method"]["Allow"] == "POST, OPTIONS"  # the REST API answers OPTIONS too


def test_a_form_sent_to_a_json_endpoint_after_the_csrf_check_read_it_is_refused_as_415() -> None:
    a = User.objects.create_user("alice")
    c = Client(enforce_csrf_checks=True)
    c.force_login(a)
    c.get("/")  # the CSRF cookie
    token = c.cookies["csrftoken"].value
    response = c.post("/api/v1/runs", data={"topology": "x", "csrfmiddlewaretoken": token})  # multipart
    assert response.status_code == 415 and "Content-Type: application/json" in response.json()["problems"][0]["message"]

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
    rec("lab save huge", c.post(base + "/save", data=b"[" * 100000, content_type="application/json"))
    rec("lab new nul", c.post("/designs/new", data=json.dumps({"name": "a\x00", "topology": {}}), content_type="application/json"))
    v = Client()
    rec("signup huge", v.post("/accounts/signup/", {"username": "u" * 10000, "email": "x", "password1": "a", "password2": "b"}))
    rec("signup nul", v.post("/accounts/signup/", {"username": "a\x00", "email": "a@b.c", "password1": "x-Secret-12345", "password2": "x-Secret-12345"}))
    rec("login garbage", v.post("/accounts/login/", {"username": "\x00" * 5, "password": "x" * 100000}))
    rec("shared bad token", v.get("/s/" + "%00" * 10 + "/"))
    rec("shared long token", v.get("/s/" + "a" * 5000 + "/embed"))
    rec("run start design garbage", c.post("/api/runs", data=json.dumps({"topology": {}, "design": ["x"], "revision": {"a": 1}}), content_type="application/json"))
    assert [label for label, code in out if code >= 500] == []
    refused = dict(out)
    # Bad values are refused, not quietly stored.
    assert refused["settings huge"] == refused["settings nul"] == refused["share garbage"] == 400
    assert refused["import binary"] == refused["import nan"] == refused["import huge"] == 400
    d.refresh_from_db()
    assert d.name == "x" and d.visibility == "private"

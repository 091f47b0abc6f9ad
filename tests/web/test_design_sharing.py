"""The design pages, continued: sharing by link and embedding, the gallery and thumbnails,
import and export, CSRF on every form, and names with markup rendered as text."""
from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.designs import selectors, services
from lab.designs.models import Design

from .conftest import example
from .design_world import XSS_NAME, XSS_TEXT, as_user, owner_posts, shop, three_revisions

pytestmark = pytest.mark.django_db


# ---- sharing and embedding -------------------------------------------------------------------

def test_the_owner_shares_a_design_by_link(client: Client, alice: User) -> None:
    design = shop(alice)
    assert as_user(alice).post(f"/designs/{design.id}/share", {"visibility": "unlisted"}).status_code == 302
    design.refresh_from_db()
    assert design.visibility == "unlisted" and len(design.share_token) >= 40
    assert client.get(f"/s/{design.share_token}/").status_code == 200
    assert as_user(alice).post(f"/designs/{design.id}/share", {"visibility": "everyone"}).status_code == 400


def test_the_embed_may_be_framed_by_any_site_and_the_other_pages_only_by_this_one(client: Client, alice: User) -> None:
    design = shop(alice, "public")
    services.design_share(design=design, visibility="public")
    for url in (f"/s/{design.share_token}/embed", f"/designs/{design.id}/embed"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response
        assert 'id="design-topology"' in response.content.decode()
    for url in ("/", f"/designs/{design.id}/", "/gallery", f"/s/{design.share_token}/"):
        response = client.get(url)
        assert "frame-ancestors 'self'" in response["Content-Security-Policy"], url
        assert response["X-Frame-Options"] == "DENY", url


def test_only_public_designs_embed_by_id_and_a_revoked_link_does_not_embed(client: Client, alice: User) -> None:
    design = shop(alice, "unlisted")
    assert as_user(alice).get(f"/designs/{design.id}/embed").status_code == 404
    assert client.get(f"/s/{design.share_token}/embed").status_code == 200
    token = design.share_token
    services.design_revoke_link(design=design)
    assert client.get(f"/s/{token}/embed").status_code == 404


# ---- gallery and thumbnails ------------------------------------------------------------------

def test_the_gallery_lists_public_designs_only_with_search_tags_and_sorting(client: Client, alice: User, bob: User) -> None:
    shop(alice, "public", name="Shop", tags=["web"], description="a web shop")
    popular = shop(bob, "public", name="Queue", tags=["async"])
    shop(alice, "unlisted", name="Secret link")
    shop(alice, "private", name="Private")
    services.design_fork(design=popular, owner=alice)
    names = lambda response: [d.name for d in response.context["page"].object_list]  # noqa: E731
    assert set(names(client.get("/gallery"))) == {"Shop", "Queue"}
    assert names(client.get("/gallery?q=web+shop")) == ["Shop"]
    assert names(client.get("/gallery?tag=async")) == ["Queue"]
    assert names(client.get("/gallery?sort=forks"))[0] == "Queue"
    html = client.get("/gallery").content.decode()
    assert f'src="/designs/{popular.id}/thumbnail.svg"' in html and "Secret link" not in html


def test_the_gallery_is_paginated(client: Client, alice: User) -> None:
    for i in range(14):
        shop(alice, "public", name=f"Design {i}")
    first = client.get("/gallery")
    assert len(first.context["page"].object_list) == 12 and "page=2" in first.content.decode()
    assert len(client.get("/gallery?page=2").context["page"].object_list) == 2
    assert client.get("/gallery?page=99").status_code == 200


def test_a_thumbnail_is_an_svg_picture_of_the_revision_asked_for(alice: User) -> None:
    design = three_revisions(alice)
    response = as_user(alice).get(f"/designs/{design.id}/thumbnail.svg")
    assert response["Content-Type"] == "image/svg+xml" and response.content.startswith(b"<svg")
    assert b">audit<" in response.content
    assert b">audit<" not in as_user(alice).get(f"/designs/{design.id}/thumbnail.svg?revision=1").content
    download = as_user(alice).get(f"/designs/{design.id}/thumbnail.svg?download=1")
    assert download["Content-Disposition"] == 'attachment; filename="Shop-r3.svg"'


# ---- import and export -----------------------------------------------------------------------

def upload(doc: Any, name: str = "shop.json") -> io.BytesIO:
    data = io.BytesIO(doc if isinstance(doc, bytes) else json.dumps(doc).encode())
    data.name = name
    return data


def test_importing_a_topology_file_makes_a_new_private_design(alice: User) -> None:
    doc = example("cached_api")
    response = as_user(alice).post("/designs/import", {"file": upload(doc), "name": ""})
    design = Design.objects.get(owner=alice)
    assert response["Location"] == f"/designs/{design.id}/"
    assert design.name == doc["name"] and design.visibility == "private"
    assert design.description == doc["description"]  # the file says what it is; keep it
    assert design.latest().topology == doc and design.latest().message == "imported from shop.json"


def test_an_imported_file_with_problems_lists_each_with_its_path_in_the_file(alice: User) -> None:
    bad = example("reference")
    bad["edges"].append({"from": "nowhere", "to": "lb"})
    bad["nodes"][0]["params"]["rate_per_s"] = -1
    response = as_user(alice).post("/designs/import", {"file": upload(bad)})
    assert response.status_code == 400
    paths = [p["path"] for p in response.context["problems"]]
    assert len(paths) >= 2 and all(not p.startswith("$.topology") for p in paths)
    html = response.content.decode()
    assert all(f"<code>{p}</code>" in html for p in paths)
    assert any(p.startswith("$.nodes[0].params") for p in paths) and any(p.startswith("$.edges") for p in paths)
    assert not Design.objects.exists()


@pytest.mark.parametrize("content, message", [
    (b"{not json", "is not valid JSON"),
    (b'{"version": 1, "nodes": [], "edges": [], "x": NaN}', "is not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
])
def test_an_imported_file_that_is_not_a_topology_is_refused(alice: User, content: bytes, message: str) -> None:
    response = as_user(alice).post("/designs/import", {"file": upload(content)})
    assert response.status_code == 400 and message in response.content.decode()


def test_a_visitor_is_asked_to_log_in_to_import(client: Client) -> None:
    assert client.get("/designs/import")["Location"] == "/accounts/login/?next=/designs/import"


def test_export_downloads_the_latest_or_a_given_revision_as_json(alice: User) -> None:
    design = three_revisions(alice)
    latest = as_user(alice).get(f"/designs/{design.id}/export.json")
    assert latest["Content-Disposition"] == 'attachment; filename="Shop-r3.json"'
    assert json.loads(latest.content) == design.latest().topology
    first = as_user(alice).get(f"/designs/{design.id}/export.json?revision=1")
    assert json.loads(first.content) == example("reference")
    assert as_user(alice).get(f"/designs/{design.id}/export.json?revision=7").status_code == 404


# ---- CSRF and hostile text -------------------------------------------------------------------

def test_every_design_form_refuses_a_post_without_the_csrf_token(alice: User, bob: User) -> None:
    # (The lab's saves through the API are checked too: tests/api/test_api_lab_designs.py.)
    design = shop(alice, "public")
    owner = as_user(alice, enforce_csrf_checks=True)
    for url in owner_posts(design) + ["/designs/import"]:
        assert owner.post(url, {"name": "x", "visibility": "private"}).status_code == 403, url
    assert as_user(bob, enforce_csrf_checks=True).post(f"/designs/{design.id}/fork").status_code == 403
    design.refresh_from_db()
    assert (design.name, design.visibility, design.fork_count) == ("Shop", "public", 0)
    assert Design.objects.count() == 1


def test_the_forms_carry_the_csrf_token(alice: User) -> None:
    design = shop(alice, "unlisted")
    html = as_user(alice).get(f"/designs/{design.id}/").content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= html.count('method="post"') >= 5


def test_names_and_descriptions_with_markup_render_as_text_everywhere(alice: User) -> None:
    design = shop(alice, "public", name=XSS_NAME, description=XSS_TEXT)
    doc = example("reference")
    doc["nodes"][0]["label"] = XSS_NAME
    services.design_save(design=design, author=alice, topology=doc)
    owner = as_user(alice)
    for url in ("/accounts/profile/", f"/designs/{design.id}/", "/gallery", f"/designs/{design.id}/edit",
                f"/designs/{design.id}/revisions/2/", f"/s/{design.share_token}/", f"/designs/{design.id}/embed"):
        html = owner.get(url).content.decode()
        assert "<img src=x" not in html and "<script>alert" not in html, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in html or "\\u003Cimg src=x" in html, url
    svg = owner.get(f"/designs/{design.id}/thumbnail.svg").content.decode()
    assert "<img" not in svg and "&lt;img src=x" in svg
    assert selectors.design_get(user=alice, design_id=design.id).name == XSS_NAME  # stored as typed


def test_the_embed_code_is_html_with_the_name_escaped_once_for_it_and_once_for_the_page(alice: User) -> None:
    design = shop(alice, "public", name='Shop" onload="alert(1)')
    html = as_user(alice).get(f"/designs/{design.id}/").content.decode()
    code = re.search(r'<textarea readonly id="embed-code"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert code.startswith("&lt;iframe src=&quot;http://testserver/designs/")
    assert "title=&quot;Shop&amp;quot; onload=&amp;quot;alert(1)&quot;" in code

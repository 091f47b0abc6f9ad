"""The lab page saves and forks designs through /api/v1/ as a signed-in browser does: session
cookie and CSRF header, the addresses from the page's own data. Alice owns the design, bob is
another user, a visitor is signed out. The page-private endpoints the lab used before
(/designs/new, /designs/<id>/save, and /designs/<id>/fork sent as JSON) are gone."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.designs.models import Design

from .conftest import call, design_of, example, paths

pytestmark = pytest.mark.django_db


def page(user: User | None = None) -> Client:
    """A browser on the lab page: signed in as `user` (or not), CSRF checked as in production,
    sending the token the page's cookie holds as postJSON does."""
    browser = Client(enforce_csrf_checks=True)
    if user is not None:
        browser.force_login(user)
    browser.get("/")
    browser.defaults["HTTP_X_CSRFTOKEN"] = browser.cookies["csrftoken"].value
    return browser


def lab_context(response: Any) -> dict[str, Any]:
    match = re.search(r'<script id="lab-context" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "the lab page carries its data"
    return json.loads(match.group(1))


def design_context(browser: Client, design: Design) -> dict[str, Any]:
    return lab_context(browser.get(f"/designs/{design.id}/edit"))["design"]


# ---- the addresses the page is given -------------------------------------------------------------

def test_the_lab_page_gives_its_script_the_apis_addresses(alice: User, bob: User) -> None:
    design = design_of(alice, visibility="public")
    assert lab_context(page(alice).get("/"))["create_url"] == "/api/v1/designs"
    mine = design_context(page(alice), design)
    assert mine["save_url"] == f"/api/v1/designs/{design.id}/revisions"
    assert mine["fork_url"] == f"/api/v1/designs/{design.id}/fork"
    theirs = design_context(page(bob), design)
    assert theirs["save_url"] is None and theirs["fork_url"] == f"/api/v1/designs/{design.id}/fork"


def test_the_profile_saves_work_in_progress_through_the_api(alice: User) -> None:
    assert 'data-create-url="/api/v1/designs"' in page(alice).get("/accounts/profile/").content.decode()


# ---- save as design, save, save as my fork -----------------------------------------------------

def test_save_as_design_makes_alices_design_and_answers_where_to_open_it(alice: User) -> None:
    browser = page(alice)
    response = call(browser, "post", lab_context(browser.get("/"))["create_url"],
                    {"name": "Checkout", "topology": example()})
    assert response.status_code == 201
    body = response.json()
    design = Design.objects.get(id=body["id"])
    assert design.owner == alice and design.latest_revision == 1 and body["name"] == "Checkout"
    assert body["lab_url"] == f"/designs/{design.id}/edit" and body["page_url"] == f"/designs/{design.id}/"
    assert browser.get(body["lab_url"]).status_code == browser.get(body["page_url"]).status_code == 200


def test_save_makes_a_new_revision_of_alices_design(alice: User) -> None:
    design = design_of(alice)
    browser = page(alice)
    changed = example()
    changed["nodes"][0]["params"]["rate_per_s"] = 50
    response = call(browser, "post", design_context(browser, design)["save_url"],
                    {"topology": changed, "message": ""})
    assert response.status_code == 201 and response.json()["number"] == 2
    design.refresh_from_db()
    assert design.latest().topology == changed and design.latest().message == "saved"


def test_save_as_my_fork_keeps_bobs_changes_as_the_forks_second_revision(alice: User, bob: User) -> None:
    design = design_of(alice, visibility="public")
    browser = page(bob)
    changed = example()
    changed["nodes"][0]["params"]["rate_per_s"] = 50
    response = call(browser, "post", design_context(browser, design)["fork_url"], {"topology": changed})
    assert response.status_code == 201
    fork = Design.objects.get(id=response.json()["id"])
    assert fork.owner == bob and fork.forked_from == design and fork.latest_revision == 2
    assert fork.latest().topology == changed and fork.latest().message == "changed in the lab"
    assert response.json()["lab_url"] == f"/designs/{fork.id}/edit"
    design.refresh_from_db()
    assert design.latest_revision == 1 and design.fork_count == 1


def test_a_link_holder_who_opened_the_link_forks_from_the_lab_without_sending_its_token(alice: User,
                                                                                         bob: User) -> None:
    design = design_of(alice, visibility="unlisted")
    browser = page(bob)
    fork_url = f"/api/v1/designs/{design.id}/fork"
    assert call(browser, "post", fork_url, {"topology": example()}).status_code == 404  # not shared with him yet
    assert browser.get(f"/s/{design.share_token}/").status_code == 200
    assert call(browser, "post", design_context(browser, design)["fork_url"], {"topology": example()}).status_code == 201


# ---- bad input: the problem shape ------------------------------------------------------------------

def test_a_topology_the_engine_refuses_is_every_problem_under_topology_and_saves_nothing(alice: User) -> None:
    bad = example()
    bad["edges"].append({"from": "nowhere", "to": "app"})
    bad["nodes"][0]["params"]["rate_per_s"] = -1
    response = call(page(alice), "post", "/api/v1/designs", {"name": "Shop", "topology": bad})
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert all(set(p) == {"path", "message", "severity"} and p["message"] for p in problems)
    assert any(p["path"].startswith("$.topology.edges") for p in problems)
    assert any(p["path"].startswith("$.topology.nodes[0].params") for p in problems)
    assert not Design.objects.exists()


def test_a_fork_with_a_refused_topology_leaves_no_fork(alice: User, bob: User) -> None:
    design = design_of(alice, visibility="public")
    response = call(page(bob), "post", f"/api/v1/designs/{design.id}/fork", {"topology": {"nodes": 3}})
    assert response.status_code == 400 and all(p.startswith("$.topology") for p in paths(response))
    assert Design.objects.count() == 1
    design.refresh_from_db()
    assert design.fork_count == 0


@pytest.mark.parametrize("raw, sentence", [(b"{nope", "is not valid JSON"), (b'{"name": NaN}', "NaN"),
                                           (b"[1, 2]", "must be a JSON object")])
def test_a_body_that_is_not_a_json_object_is_one_problem_at_the_root(alice: User, raw: bytes, sentence: str) -> None:
    design = design_of(alice)
    for url in ("/api/v1/designs", f"/api/v1/designs/{design.id}/revisions", f"/api/v1/designs/{design.id}/fork"):
        response = call(page(alice), "post", url, raw)
        assert response.status_code == 400, url
        problem, = response.json()["problems"]
        assert problem["path"] == "$" and sentence in problem["message"], url


def test_a_misspelt_field_is_named_not_ignored(alice: User) -> None:
    design = design_of(alice)
    response = call(page(alice), "post", f"/api/v1/designs/{design.id}/revisions",
                    {"topology": example(), "mesage": "typo"})
    assert response.status_code == 400 and paths(response) == ["$.mesage"]
    assert design.revisions.count() == 1


# ---- who may save where ------------------------------------------------------------------------------

def test_bob_cannot_save_into_alices_design(alice: User, bob: User) -> None:
    public, private = design_of(alice, visibility="public"), design_of(alice, name="Secret")
    seen = call(page(bob), "post", f"/api/v1/designs/{public.id}/revisions", {"topology": example()})
    assert seen.status_code == 403 and "only the design's owner" in seen.json()["problems"][0]["message"]
    unseen = call(page(bob), "post", f"/api/v1/designs/{private.id}/revisions", {"topology": example()})
    assert unseen.status_code == 404  # a design he may not see does not exist for him
    assert public.revisions.count() == private.revisions.count() == 1


def test_a_visitor_saves_nothing_and_is_told_to_sign_in(alice: User) -> None:
    design = design_of(alice, visibility="public")
    for url, body in (("/api/v1/designs", {"name": "x", "topology": example()}),
                      (f"/api/v1/designs/{design.id}/revisions", {"topology": example()}),
                      (f"/api/v1/designs/{design.id}/fork", {"topology": example()})):
        response = call(page(), "post", url, body)
        assert response.status_code == 401, url
        assert "sign in" in response.json()["problems"][0]["message"], url
    assert Design.objects.count() == 1 and design.revisions.count() == 1
    # The lab page offers them what it always did: a sign-up, or a log-in to fork, and no save button.
    html = page().get(f"/designs/{design.id}/edit").content.decode()
    assert "Log in</a> to fork it" in html and 'id="save-design"' not in html and 'id="fork-design"' not in html


def test_a_save_without_the_pages_csrf_token_is_refused(alice: User) -> None:
    design = design_of(alice)
    browser = page(alice)
    del browser.defaults["HTTP_X_CSRFTOKEN"]
    for url in ("/api/v1/designs", f"/api/v1/designs/{design.id}/revisions", f"/api/v1/designs/{design.id}/fork"):
        response = call(browser, "post", url, {"name": "x", "topology": example()})
        assert response.status_code == 403 and "CSRF" in response.json()["problems"][0]["message"], url
    assert Design.objects.count() == 1 and design.revisions.count() == 1


# ---- the old endpoints --------------------------------------------------------------------------

def test_the_labs_old_json_endpoints_answer_404_in_the_problem_shape(alice: User) -> None:
    design = design_of(alice, visibility="public")
    browser = page(alice)
    for url, body in (("/designs/new", {"name": "x", "topology": example()}),
                      (f"/designs/{design.id}/save", {"topology": example()}),
                      (f"/designs/{design.id}/fork", {"topology": example()})):
        response = call(browser, "post", url, body)
        assert response.status_code == 404, url
        problem, = response.json()["problems"]
        assert problem["path"] == "$" and problem["message"], url
    assert Design.objects.count() == 1 and design.revisions.count() == 1


def test_the_design_pages_fork_form_still_forks_without_a_script(alice: User, bob: User) -> None:
    design = design_of(alice, visibility="public")
    browser = page(bob)
    response = browser.post(f"/designs/{design.id}/fork", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    fork = Design.objects.get(owner=bob)
    assert response.status_code == 302 and response["Location"] == f"/designs/{fork.id}/"

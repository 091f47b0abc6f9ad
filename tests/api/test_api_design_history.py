"""Designs through /api/v1/, continued: revisions, diff and restore, forks, sharing, and
thumbnails (alice the owner, bob another user, an anonymous visitor)."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.designs.models import Revision

from .conftest import call, design_of, example, paths

pytestmark = pytest.mark.django_db

URL = "/api/v1/designs"


# Revisions, diff, restore ------------------------------------------------------------------


def test_saving_makes_a_new_revision_and_keeps_the_old_one(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    doc = example()
    doc["nodes"][0]["params"]["rate_per_s"] = 50
    response = call(as_alice, "post", f"{URL}/{design.id}/revisions", {"topology": doc, "message": "slower"})
    assert response.status_code == 201
    assert response.json()["number"] == 2 and response.json()["message"] == "slower"
    assert response["Location"] == f"{URL}/{design.id}/revisions/2"
    listed = call(as_alice, "get", f"{URL}/{design.id}/revisions").json()
    assert listed["count"] == 2 and [r["number"] for r in listed["results"]] == [2, 1]
    assert "topology" not in listed["results"][0]
    first = call(as_alice, "get", f"{URL}/{design.id}/revisions/1").json()
    assert first["topology"]["nodes"][0]["params"]["rate_per_s"] == 1000
    assert call(as_alice, "get", f"{URL}/{design.id}").json()["topology"]["nodes"][0]["params"]["rate_per_s"] == 50


def test_a_revision_that_does_not_exist_is_not_found(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    for number in (0, 2, 10**30):
        assert call(as_alice, "get", f"{URL}/{design.id}/revisions/{number}").status_code == 404


def test_saving_an_invalid_topology_is_refused_and_adds_no_revision(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    doc = example()
    doc["nodes"][2]["params"]["instances"] = "many"
    response = call(as_alice, "post", f"{URL}/{design.id}/revisions", {"topology": doc})
    assert response.status_code == 400 and paths(response) == ["$.topology.nodes[2].params.instances"]
    assert call(as_alice, "post", f"{URL}/{design.id}/revisions", {"message": "no topology"}).status_code == 400
    design.refresh_from_db()
    assert design.latest_revision == 1


def test_the_diff_says_what_changed_between_two_revisions(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    doc = example()
    doc["nodes"][2]["params"]["instances"] = 3
    doc["nodes"][1]["position"] = {"x": 999, "y": 1}
    call(as_alice, "post", f"{URL}/{design.id}/revisions", {"topology": doc})
    diff = call(as_alice, "get", f"{URL}/{design.id}/diff").json()  # latest against the one before
    assert diff["from"] == 1 and diff["to"] == 2 and diff["same"] is False
    assert diff["nodes"]["changed"] == [{"id": "app1", "fields": ["params.instances"]}]
    assert diff["moved"] == ["lb"]
    same = call(as_alice, "get", f"{URL}/{design.id}/diff?from=2&to=2").json()
    assert same["same"] is True


@pytest.mark.parametrize("query, status, path", [("from=x", 400, "?from"), ("to=-1", 400, "?to"),
                                                 ("from=1&to=7", 404, "?to"), ("from=99999999999999999999", 400, "?from")])
def test_a_diff_of_revisions_that_are_not_there_is_refused(as_alice: Client, alice: User, query: str, status: int,
                                                           path: str) -> None:
    design = design_of(alice)
    response = call(as_alice, "get", f"{URL}/{design.id}/diff?{query}")
    assert response.status_code == status and paths(response) == [path]


def test_restoring_makes_an_old_revision_the_latest_as_a_new_one(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    doc = example()
    doc["nodes"][0]["params"]["rate_per_s"] = 5
    assert call(as_alice, "post", f"{URL}/{design.id}/revisions", {"topology": doc}).status_code == 201
    response = call(as_alice, "post", f"{URL}/{design.id}/restore", {"number": 1})
    assert response.status_code == 201
    assert response.json()["number"] == 3 and response.json()["message"] == "restored revision 1"
    assert response.json()["topology"] == Revision.objects.get(design=design, number=1).topology


@pytest.mark.parametrize("payload, path", [({"number": "one"}, "$.number"), ({"number": "1"}, "$.number"), ({"number": True}, "$.number"),
                                           ({"number": 0}, "$.number"), ({"number": 2**64}, "$.number"),
                                           ({"number": 5}, "$.number"), ({}, "$.number")])
def test_restoring_a_revision_that_is_not_there_is_refused(as_alice: Client, alice: User, payload: dict,
                                                           path: str) -> None:
    design = design_of(alice)
    response = call(as_alice, "post", f"{URL}/{design.id}/restore", payload)
    assert response.status_code == 400 and paths(response) == [path]


# Fork --------------------------------------------------------------------------------------


def test_another_user_forks_a_public_design_into_their_own_private_one(as_bob: Client, alice: User) -> None:
    design = design_of(alice, visibility="public", tags=["web"])
    response = call(as_bob, "post", f"{URL}/{design.id}/fork")
    assert response.status_code == 201
    fork = response.json()
    assert fork["owner"] == "bob" and fork["visibility"] == "private" and fork["name"] == "Shop (fork)"
    assert fork["forked_from"] == str(design.id) and fork["forked_from_revision"] == 1 and fork["tags"] == ["web"]
    assert fork["topology"] == call(as_bob, "get", f"{URL}/{design.id}").json()["topology"]
    design.refresh_from_db()
    assert design.fork_count == 1 and design.latest_revision == 1


def test_a_fork_may_be_named(as_bob: Client, alice: User) -> None:
    design = design_of(alice, visibility="public")
    assert call(as_bob, "post", f"{URL}/{design.id}/fork", {"name": "Mine"}).json()["name"] == "Mine"
    for bad in ("", 5, "n" * 201):
        assert paths(call(as_bob, "post", f"{URL}/{design.id}/fork", {"name": bad})) == ["$.name"]


def test_forking_needs_view_access_and_a_sign_in(as_bob: Client, visitor: Client, alice: User) -> None:
    private = design_of(alice)
    unlisted = design_of(alice, visibility="unlisted")
    public = design_of(alice, visibility="public")
    assert call(as_bob, "post", f"{URL}/{private.id}/fork").status_code == 404
    assert call(as_bob, "post", f"{URL}/{unlisted.id}/fork").status_code == 404
    assert call(as_bob, "post", f"{URL}/{unlisted.id}/fork?token={unlisted.share_token}").status_code == 201
    assert call(visitor, "post", f"{URL}/{public.id}/fork").status_code == 401


# Share -------------------------------------------------------------------------------------


def test_sharing_answers_the_link_path_and_unsharing_revokes_it(as_alice: Client, as_bob: Client, alice: User) -> None:
    design = design_of(alice)
    shared = call(as_alice, "post", f"{URL}/{design.id}/share", {"visibility": "unlisted"}).json()
    design.refresh_from_db()
    assert shared["visibility"] == "unlisted" and shared["share_url"] == f"/s/{design.share_token}/"
    token = design.share_token
    assert call(as_bob, "get", f"{URL}/{design.id}?token={token}").status_code == 200
    revoked = call(as_alice, "post", f"{URL}/{design.id}/unshare")
    assert revoked.status_code == 200 and revoked.json()["share_url"] is None
    assert revoked.json()["visibility"] == "private"
    assert call(as_bob, "get", f"{URL}/{design.id}?token={token}").status_code == 404


def test_making_a_design_private_again_hides_its_link(as_alice: Client, alice: User) -> None:
    design = design_of(alice, visibility="public")
    body = call(as_alice, "post", f"{URL}/{design.id}/share", {"visibility": "private"}).json()
    assert body["visibility"] == "private" and body["share_url"] is None


@pytest.mark.parametrize("payload", [{"visibility": "everyone"}, {"visibility": None}, {}, {"visibility": ["public"]}])
def test_an_unknown_visibility_is_refused(as_alice: Client, alice: User, payload: dict) -> None:
    design = design_of(alice)
    response = call(as_alice, "post", f"{URL}/{design.id}/share", payload)
    assert response.status_code == 400 and paths(response) == ["$.visibility"]


# Thumbnail ---------------------------------------------------------------------------------


def test_the_thumbnail_is_an_svg_picture(visitor: Client, alice: User) -> None:
    design = design_of(alice, name="<b>x</b>", visibility="public")
    response = visitor.get(f"{URL}/{design.id}/thumbnail.svg", HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"<script" not in response.content


def test_a_private_designs_thumbnail_is_not_found_as_json(visitor: Client, alice: User) -> None:
    design = design_of(alice)
    response = visitor.get(f"{URL}/{design.id}/thumbnail.svg", HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"

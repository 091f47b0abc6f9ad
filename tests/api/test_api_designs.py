"""Designs through /api/v1/: create, list, read, update and delete, their refusals, and who may
do what (alice the owner, bob another user, an anonymous visitor); revisions, forks and sharing
are in test_api_design_history.py. A read someone may not make is a 404,
never a 403, so private designs cannot be discovered."""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.designs.models import Design, Revision

from .conftest import call, design_of, example, paths

pytestmark = pytest.mark.django_db

URL = "/api/v1/designs"


def create(client: Client, **fields: Any) -> Any:
    return call(client, "post", URL, {"name": "Shop", "topology": example(), **fields})


# Create ------------------------------------------------------------------------------------


def test_creating_a_design_answers_201_with_its_first_revision(as_alice: Client) -> None:
    response = create(as_alice, description="a shop", tags=["Web", "cache"], message="first")
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == body["url"] == f"{URL}/{body['id']}"
    assert body["name"] == "Shop" and body["owner"] == "alice" and body["tags"] == ["web", "cache"]
    assert body["visibility"] == "private" and body["can_edit"] is True and body["share_url"] is None
    assert body["latest_revision"] == 1 and body["latest"]["message"] == "first"
    assert body["latest"]["author"] == "alice"
    assert body["topology"]["nodes"][0]["id"] == "users"


def test_an_anonymous_visitor_must_authenticate_to_create(visitor: Client) -> None:
    response = create(visitor)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert paths(response) == ["$"] and not Design.objects.exists()


@pytest.mark.parametrize("raw", [b"{", b"{'name': 1}", b'{"name": NaN}', b"[" * 100_000 + b"]" * 100_000,
                                 b'{"name": "\\ud800"}', b"\xff\xfe"])
def test_a_body_that_is_not_json_is_refused_with_a_problem(as_alice: Client, raw: bytes) -> None:
    response = call(as_alice, "post", URL, raw)
    assert response.status_code == 400
    assert paths(response) == ["$"]


def test_a_body_that_is_not_an_object_is_refused(as_alice: Client) -> None:
    response = call(as_alice, "post", URL, [1, 2])
    assert response.status_code == 400 and response.json()["problems"][0]["message"] == "the body must be a JSON object"


def test_a_body_larger_than_a_topology_may_be_is_refused_with_413(as_alice: Client) -> None:
    response = call(as_alice, "post", URL, {"name": "x" * 2_100_000})
    assert response.status_code == 413 and paths(response) == ["$"]


def test_a_body_that_is_not_json_typed_is_refused_with_415(as_alice: Client) -> None:
    response = as_alice.post(URL, {"name": "Shop"})  # a form
    assert response.status_code == 415 and "problems" in response.json()


def test_an_invalid_topology_is_refused_with_the_engines_problems_under_topology(as_alice: Client) -> None:
    doc = example()
    doc["nodes"][0]["params"]["rate_per_s"] = -5
    doc["edges"].append({"from": "db", "to": "nowhere"})
    response = create(as_alice, topology=doc)
    assert response.status_code == 400
    assert paths(response) == ["$.topology.nodes[0].params.rate_per_s", f"$.topology.edges[{len(doc['edges']) - 1}].to"]
    assert "rate_per_s must be at least 0" in response.json()["problems"][0]["message"]
    assert not Design.objects.exists()


@pytest.mark.parametrize("fields, path", [
    ({"name": 5}, "$.name"), ({"name": ""}, "$.name"), ({"name": "  "}, "$.name"), ({"name": None}, "$.name"),
    ({"description": 7}, "$.description"), ({"tags": "web"}, "$.tags"), ({"tags": 0}, "$.tags"), ({"tags": {}}, "$.tags"), ({"tags": [1]}, "$.tags[0]"),
    ({"tags": ["no spaces"]}, "$.tags[0]"), ({"topology": "nodes"}, "$.topology"), ({"topology": None}, "$.topology"),
    ({"message": 5}, "$.message"), ({"visibility": "public"}, "$.visibility"),
])
def test_wrong_types_are_refused_with_their_path(as_alice: Client, fields: dict[str, Any], path: str) -> None:
    response = create(as_alice, **fields)
    assert response.status_code == 400
    assert path in paths(response)


@pytest.mark.parametrize("fields, path", [
    ({"name": "n" * 201}, "$.name"), ({"description": "d" * 5001}, "$.description"),
    ({"tags": [f"t{i}" for i in range(11)]}, "$.tags"), ({"tags": ["t" * 31]}, "$.tags[0]"),
    ({"message": "m" * 201}, "$.message"),
])
def test_absurd_values_are_refused_with_their_path(as_alice: Client, fields: dict[str, Any], path: str) -> None:
    response = create(as_alice, **fields)
    assert response.status_code == 400 and paths(response) == [path]


def test_a_design_without_a_topology_is_refused(as_alice: Client) -> None:
    response = call(as_alice, "post", URL, {"name": "Shop"})
    assert response.status_code == 400 and paths(response) == ["$.topology"]


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "Robert'); DROP TABLE designs_design;--",
                                  "\u202eevil\u202c", "{{ 7*7 }} ${7*7}", "名前 🚀 ﷽"])
def test_hostile_names_are_stored_and_answered_verbatim(as_alice: Client, name: str) -> None:
    response = create(as_alice, name=name, description=name)
    assert response.status_code == 201
    design = Design.objects.get(id=response.json()["id"])
    assert design.name == name and design.description == name
    assert call(as_alice, "get", f"{URL}/{design.id}").json()["name"] == name


# List and gallery --------------------------------------------------------------------------


def test_the_list_has_only_the_callers_own_designs(as_alice: Client, alice: User, bob: User) -> None:
    design_of(alice, name="mine")
    design_of(bob, name="theirs", visibility="public")
    body = call(as_alice, "get", URL).json()
    assert body["count"] == 1 and [d["name"] for d in body["results"]] == ["mine"]


def test_an_anonymous_visitor_has_no_own_designs_to_list(visitor: Client) -> None:
    assert call(visitor, "get", URL).status_code == 401


def test_lists_are_paginated(as_alice: Client, alice: User) -> None:
    for i in range(25):
        design_of(alice, name=f"d{i}")
    first = call(as_alice, "get", URL).json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["previous"] is None
    second = call(as_alice, "get", first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert len(call(as_alice, "get", f"{URL}?page_size=7").json()["results"]) == 7
    assert len(call(as_alice, "get", f"{URL}?page_size=100000").json()["results"]) == 25  # capped at 100
    beyond = call(as_alice, "get", f"{URL}?page=9")
    assert beyond.status_code == 404 and "problems" in beyond.json()


def test_the_gallery_lists_public_designs_only_and_filters_them(visitor: Client, alice: User, bob: User) -> None:
    design_of(alice, name="Private shop")
    design_of(alice, name="Unlisted shop", visibility="unlisted")
    cache = design_of(alice, name="Cached API", visibility="public", tags=["cache"])
    queue = design_of(bob, name="Work queue", visibility="public", description="a shop's queue")
    Design.objects.filter(id=queue.id).update(fork_count=5)
    Design.objects.filter(id=cache.id).update(updated="2100-01-01T00:00:00Z")
    names = lambda query: [d["name"] for d in call(visitor, "get", f"{URL}?scope=public{query}").json()["results"]]
    assert names("") == ["Cached API", "Work queue"]
    assert names("&sort=forks") == ["Work queue", "Cached API"]
    assert names("&tag=cache") == ["Cached API"]
    assert names("&search=shop") == ["Work queue"]


@pytest.mark.parametrize("query, path", [("scope=everyone", "?scope"), ("scope=public&sort=best", "?sort"),
                                         ("scope=public&search=" + "x" * 201, "?search")])
def test_bad_list_parameters_are_refused_with_their_name(visitor: Client, query: str, path: str) -> None:
    response = call(visitor, "get", f"{URL}?{query}")
    assert response.status_code == 400 and paths(response) == [path]


# Read: 404, never 403 ----------------------------------------------------------------------


def test_the_owner_reads_a_private_design(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    body = call(as_alice, "get", f"{URL}/{design.id}").json()
    assert body["id"] == str(design.id) and body["can_edit"] is True


@pytest.mark.parametrize("who", ["as_bob", "visitor"])
def test_a_private_design_is_not_found_for_anyone_else(request: Any, alice: User, who: str) -> None:
    design = design_of(alice)
    client = request.getfixturevalue(who)
    for suffix in ("", "/revisions", "/revisions/1", "/diff", "/thumbnail.svg"):
        response = call(client, "get", f"{URL}/{design.id}{suffix}")
        assert response.status_code == 404, suffix
        assert response.json()["problems"][0]["message"] == "no such design (or you may not see it)"


def test_a_private_design_answers_like_one_that_does_not_exist(as_bob: Client, alice: User) -> None:
    design = design_of(alice)
    hidden = call(as_bob, "get", f"{URL}/{design.id}")
    missing = call(as_bob, "get", f"{URL}/00000000-0000-4000-8000-000000000000")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()


def test_a_public_design_is_readable_by_a_visitor_who_cannot_edit_it(visitor: Client, alice: User) -> None:
    design = design_of(alice, visibility="public")
    body = call(visitor, "get", f"{URL}/{design.id}").json()
    assert body["can_edit"] is False and body["share_url"] is None  # the link's token is the owner's secret


def test_an_unlisted_design_needs_its_link_token(as_bob: Client, alice: User) -> None:
    design = design_of(alice, visibility="unlisted")
    url = f"{URL}/{design.id}"
    assert call(as_bob, "get", url).status_code == 404
    assert call(as_bob, "get", f"{url}?token=wrong").status_code == 404
    assert call(as_bob, "get", f"{url}?token=%C3%A9").status_code == 404  # not even ASCII
    assert call(as_bob, "get", f"{url}?token={design.share_token}").status_code == 200
    assert call(as_bob, "get", url, HTTP_X_SHARE_TOKEN=design.share_token).status_code == 200
    assert call(as_bob, "get", f"{url}/revisions?token={design.share_token}").status_code == 200


def test_malformed_ids_and_unknown_paths_answer_json_404(as_alice: Client) -> None:
    for url in (f"{URL}/not-a-uuid", f"{URL}/1", "/api/v1/nothing", "/api/v1/designs/", f"{URL}/%0A/revisions"):
        response = call(as_alice, "get", url)
        assert response.status_code == 404 and "problems" in response.json(), url


def test_a_format_the_api_does_not_speak_answers_json_404(as_alice: Client) -> None:
    response = call(as_alice, "get", f"{URL}?format=xml")
    assert response.status_code == 404 and paths(response) == ["$"]
    assert response.json()["problems"][0]["message"] != "None"


def test_a_method_an_endpoint_does_not_have_answers_405_with_problems(as_alice: Client) -> None:
    response = call(as_alice, "put", URL, {})
    assert response.status_code == 405 and paths(response) == ["$"]


# Update and delete -------------------------------------------------------------------------


def test_the_owner_renames_describes_and_tags_a_design(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    response = call(as_alice, "patch", f"{URL}/{design.id}", {"name": " New ", "tags": ["a", "a", "B"]})
    assert response.status_code == 200
    assert response.json()["name"] == "New" and response.json()["tags"] == ["a", "b"]
    design.refresh_from_db()
    assert design.name == "New" and design.description == "" and design.latest_revision == 1


@pytest.mark.parametrize("fields, path", [({"name": ""}, "$.name"), ({"tags": ["ok", "NOT OK"]}, "$.tags[1]"),
                                          ({"visibility": "public"}, "$.visibility"),
                                          ({"topology": {}}, "$.topology")])
def test_an_update_with_a_bad_field_changes_nothing(as_alice: Client, alice: User, fields: dict, path: str) -> None:
    design = design_of(alice)
    response = call(as_alice, "patch", f"{URL}/{design.id}", fields)
    assert response.status_code == 400 and paths(response) == [path]
    design.refresh_from_db()
    assert design.name == "Shop" and design.visibility == "private"


WRITES = [("patch", "", {"name": "mine now"}), ("delete", "", None), ("post", "/revisions", {"topology": example()}),
          ("post", "/restore", {"number": 1}), ("post", "/share", {"visibility": "public"}), ("post", "/unshare", None)]


@pytest.mark.parametrize("method, suffix, payload", WRITES)
def test_a_viewer_who_is_not_the_owner_is_forbidden_to_write(as_bob: Client, alice: User, method: str, suffix: str,
                                                             payload: Any) -> None:
    design = design_of(alice, visibility="public")
    response = call(as_bob, method, f"{URL}/{design.id}{suffix}", payload)
    assert response.status_code == 403 and paths(response) == ["$"]
    design.refresh_from_db()
    assert design.name == "Shop" and design.latest_revision == 1 and design.visibility == "public"


@pytest.mark.parametrize("method, suffix, payload", WRITES)
def test_a_write_by_someone_who_cannot_view_is_not_found(as_bob: Client, alice: User, method: str, suffix: str,
                                                         payload: Any) -> None:
    design = design_of(alice)
    assert call(as_bob, method, f"{URL}/{design.id}{suffix}", payload).status_code == 404


@pytest.mark.parametrize("method, suffix, payload", WRITES)
def test_an_anonymous_viewer_must_authenticate_to_write(visitor: Client, alice: User, method: str, suffix: str,
                                                        payload: Any) -> None:
    design = design_of(alice, visibility="public")
    assert call(visitor, method, f"{URL}/{design.id}{suffix}", payload).status_code == 401


def test_the_owner_deletes_a_design_with_its_history(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    assert call(as_alice, "delete", f"{URL}/{design.id}").status_code == 204
    assert not Design.objects.exists() and not Revision.objects.exists()
    assert call(as_alice, "get", f"{URL}/{design.id}").status_code == 404

"""The design pages for the three personas (alice owns, bob is another user, a visitor is signed
out) and a link holder: the lab with a design, who sees what, the design page, revisions and
forks; every denial is a 404. Sharing, the gallery, files and hostile text are in test_design_sharing.py."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.designs import services
from lab.designs.models import Design

from .conftest import example
from .design_world import as_user, owner_posts, pages, post_json, shop, three_revisions

pytestmark = pytest.mark.django_db


# (Saving and forking from the lab go through the REST API: tests/api/test_api_lab_designs.py.)


# ---- the lab with a design -------------------------------------------------------------------

def lab_context(response: Any) -> dict[str, Any]:
    match = re.search(r'<script id="lab-context" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1))


def test_the_owner_opens_their_design_in_the_lab_to_edit_it(alice: User) -> None:
    design = shop(alice)
    response = as_user(alice).get(f"/designs/{design.id}/edit")
    context = lab_context(response)["design"]
    assert context["editable"] and context["save_url"] == f"/api/v1/designs/{design.id}/revisions"
    assert context["topology"] == example("reference") and context["revision"] == 1
    assert 'id="save-design"' in response.content.decode()


def test_others_open_a_public_design_in_the_lab_read_only_and_saving_makes_a_fork(client: Client, alice: User, bob: User) -> None:
    design = shop(alice, "public")
    html = as_user(bob).get(f"/designs/{design.id}/edit").content.decode()
    assert 'id="fork-design"' in html and 'id="save-design"' not in html
    context = lab_context(client.get(f"/designs/{design.id}/edit"))
    assert context["design"]["editable"] is False and context["signed_in"] is False
    assert "Log in</a> to fork it" in client.get(f"/designs/{design.id}/edit").content.decode()


def test_the_plain_lab_still_opens_for_visitors_and_offers_saving_to_members(client: Client, alice: User) -> None:
    assert lab_context(client.get("/")) == {"signed_in": False, "create_url": "/api/v1/designs", "design": None,
                                            "lesson": None, "live": None}
    assert 'id="save-as-design"' in as_user(alice).get("/").content.decode()


# ---- who sees what ---------------------------------------------------------------------------

@pytest.mark.parametrize("visibility", ["private", "unlisted"])
def test_every_page_of_a_design_not_shared_with_you_is_not_found(client: Client, alice: User, bob: User, visibility: str) -> None:
    design = shop(alice, visibility)
    for url in pages(design):
        assert as_user(alice).get(url).status_code == 200, url
        assert as_user(bob).get(url).status_code == 404, url
        assert client.get(url).status_code == 404, url


def test_a_public_design_is_seen_by_everyone_but_only_its_owner_changes_it(client: Client, alice: User, bob: User) -> None:
    design = shop(alice, "public")
    for url in pages(design):
        assert as_user(bob).get(url).status_code == 200, url
        assert client.get(url).status_code == 200, url
    owner_html = as_user(alice).get(f"/designs/{design.id}/").content.decode()
    bob_html = as_user(bob).get(f"/designs/{design.id}/").content.decode()
    for marker in ('id="settings"', 'id="share"', 'id="delete"'):
        assert marker in owner_html and marker not in bob_html
    for url in owner_posts(design):
        assert as_user(bob).post(url, {"name": "mine", "visibility": "private"}).status_code == 404, url
    design.refresh_from_db()
    assert (design.name, design.visibility) == ("Shop", "public")


def test_a_malformed_or_unknown_design_id_is_not_found(client: Client) -> None:
    assert client.get("/designs/not-a-uuid/").status_code == 404
    assert client.get("/designs/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_link_holder_sees_the_design_and_its_pages_until_the_link_is_revoked(client: Client, alice: User) -> None:
    design = shop(alice, "unlisted")
    response = client.get(f"/s/{design.share_token}/")
    assert response.status_code == 200
    assert lab_context(response)["design"]["editable"] is False
    for url in pages(design):
        assert client.get(url).status_code == 200, url
    services.design_revoke_link(design=design)
    assert client.get(f"/s/{design.share_token or 'x'}/").status_code == 404
    for url in pages(design):
        assert client.get(url).status_code == 404, url


def test_a_revoked_link_is_refused_and_sharing_again_makes_a_new_link(client: Client, alice: User) -> None:
    design = shop(alice, "unlisted")
    old = design.share_token
    owner = as_user(alice)
    assert owner.post(f"/designs/{design.id}/revoke-link").status_code == 302
    assert client.get(f"/s/{old}/").status_code == 404
    design.refresh_from_db()
    assert design.visibility == "private" and design.share_token == ""
    owner.post(f"/designs/{design.id}/share", {"visibility": "unlisted"})
    design.refresh_from_db()
    assert design.share_token not in ("", old)
    assert client.get(f"/s/{old}/").status_code == 404 and client.get(f"/s/{design.share_token}/").status_code == 200


def test_a_private_designs_old_link_does_not_open_it(client: Client, alice: User) -> None:
    design = shop(alice, "unlisted")
    token = design.share_token
    as_user(alice).post(f"/designs/{design.id}/share", {"visibility": "private"})
    assert client.get(f"/s/{token}/").status_code == 404
    assert client.get("/s/" + "x" * 80 + "/").status_code == 404


# ---- the design page -------------------------------------------------------------------------

def test_the_design_page_shows_the_details_revisions_and_exports(alice: User) -> None:
    design = shop(alice, "unlisted", description="Two tiers behind a load balancer", tags=["web", "tiers"])
    services.design_save(design=design, author=alice, topology=example("cached_api"), message="a cache")
    html = as_user(alice).get(f"/designs/{design.id}/").content.decode()
    assert "Two tiers behind a load balancer" in html and 'href="/gallery?tag=web"' in html
    assert f'src="/designs/{design.id}/thumbnail.svg"' in html
    assert f'href="/designs/{design.id}/revisions/2/"' in html and "a cache" in html
    assert f'href="/designs/{design.id}/export.json"' in html and "thumbnail.svg?download=1" in html
    assert f"/s/{design.share_token}/" in html and f"/s/{design.share_token}/embed" in html  # the link and embed code


def test_the_owner_edits_the_name_description_and_tags(alice: User) -> None:
    design = shop(alice)
    response = as_user(alice).post(f"/designs/{design.id}/settings", {"name": "Shop v2", "description": "cheaper",
                                                                      "tags": "Web, cache  ha"})
    assert response.status_code == 302
    design.refresh_from_db()
    assert (design.name, design.description, design.tags) == ("Shop v2", "cheaper", ["web", "cache", "ha"])


def test_bad_details_are_refused_with_their_paths_and_the_form_keeps_what_was_typed(alice: User) -> None:
    design = shop(alice)
    response = as_user(alice).post(f"/designs/{design.id}/settings", {"name": "", "description": "kept", "tags": "ok b@d"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "$.name" in html and "$.tags[1]" in html and ">kept</textarea>" in html
    design.refresh_from_db()
    assert design.name == "Shop"


def test_the_owner_deletes_a_design_after_confirming(alice: User) -> None:
    design = shop(alice)
    owner = as_user(alice)
    assert "Delete Shop?" in owner.get(f"/designs/{design.id}/delete").content.decode()
    assert owner.post(f"/designs/{design.id}/delete")["Location"] == "/accounts/profile/"
    assert not Design.objects.filter(id=design.id).exists()


# ---- revisions, diff, restore ----------------------------------------------------------------

def test_a_revision_page_shows_that_revision_and_offers_to_restore_it(alice: User, bob: User) -> None:
    design = three_revisions(alice)
    services.design_share(design=design, visibility="public")
    html = as_user(alice).get(f"/designs/{design.id}/revisions/1/").content.decode()
    assert "Revision 1" in html and 'id="restore"' in html and "?revision=1" in html
    assert 'id="restore"' not in as_user(alice).get(f"/designs/{design.id}/revisions/3/").content.decode()
    assert 'id="restore"' not in as_user(bob).get(f"/designs/{design.id}/revisions/1/").content.decode()
    assert as_user(alice).get(f"/designs/{design.id}/revisions/9/").status_code == 404


def test_the_compare_page_says_in_words_what_changed(alice: User) -> None:
    design = three_revisions(alice)
    api = "app1"
    html = as_user(alice).get(f"/designs/{design.id}/compare?from=1&to=3").content.decode()
    assert "Nodes added: <code>audit</code>" in html
    assert f"Node <code>{api}</code> changed" in html and "params.instances:" in html and "→ 9" in html
    assert f"Edges added: <code>{api} -&gt; audit</code>" in html
    back = as_user(alice).get(f"/designs/{design.id}/compare?from=3&to=1").content.decode()
    assert "Nodes removed: <code>audit</code>" in back
    same = as_user(alice).get(f"/designs/{design.id}/compare?from=2&to=2").content.decode()
    assert "The two revisions are the same." in same


def test_compare_defaults_to_the_latest_change_and_an_unknown_revision_is_not_found(alice: User) -> None:
    design = three_revisions(alice)
    response = as_user(alice).get(f"/designs/{design.id}/compare")
    assert (response.context["start"].number, response.context["to"].number) == (2, 3)
    assert as_user(alice).get(f"/designs/{design.id}/compare?from=1&to=8").status_code == 404
    assert as_user(alice).get(f"/designs/{design.id}/compare?from=x").status_code == 404


def test_restoring_a_revision_makes_it_the_latest_as_a_new_revision(alice: User, bob: User) -> None:
    design = three_revisions(alice)
    response = as_user(alice).post(f"/designs/{design.id}/revisions/1/restore")
    assert response["Location"] == f"/designs/{design.id}/"
    design.refresh_from_db()
    assert design.latest_revision == 4 and design.latest().topology == example("reference")
    assert design.latest().message == "restored revision 1"
    assert as_user(alice).post(f"/designs/{design.id}/revisions/9/restore").status_code == 404


# ---- forks -----------------------------------------------------------------------------------

def test_forking_makes_the_users_own_copy_with_attribution_and_counts_it(alice: User, bob: User) -> None:
    design = shop(alice, "public")
    client = as_user(bob)
    response = client.post(f"/designs/{design.id}/fork")
    fork = Design.objects.get(owner=bob)
    assert response["Location"] == f"/designs/{fork.id}/"
    html = client.get(response["Location"]).content.decode()
    assert re.search(r'Forked from\s+<a href="/designs/%s/">Shop</a> by alice' % design.id, html)
    assert "revision 1." in html
    assert "1 fork<" in client.get(f"/designs/{design.id}/").content.decode()
    assert fork.latest().topology == design.latest().topology and fork.visibility == "private"


def test_a_visitor_is_asked_to_log_in_to_fork(client: Client, alice: User) -> None:
    design = shop(alice, "public")
    response = client.post(f"/designs/{design.id}/fork")
    assert response["Location"].startswith("/accounts/login/?next=")
    # The lab's fork (through the API) tells a visitor to sign in, too.
    assert post_json(client, f"/api/v1/designs/{design.id}/fork", {}).status_code == 401
    assert Design.objects.count() == 1


def test_forking_from_the_lab_keeps_the_changes_made_there_as_the_forks_next_revision(alice: User, bob: User) -> None:
    design = shop(alice, "public")
    changed = example("reference")
    changed["nodes"][2]["params"]["instances"] = 5
    response = post_json(as_user(bob), f"/api/v1/designs/{design.id}/fork", {"topology": changed})
    assert response.status_code == 201
    fork = Design.objects.get(id=response.json()["id"])
    assert fork.latest_revision == 2 and fork.latest().topology == changed
    assert design.latest().topology == example("reference")  # the original is untouched


def test_a_fork_from_the_lab_with_a_refused_topology_leaves_nothing_behind(alice: User, bob: User) -> None:
    design = shop(alice, "public")
    response = post_json(as_user(bob), f"/api/v1/designs/{design.id}/fork", {"topology": {"version": 1, "nodes": "x"}})
    assert response.status_code == 400 and response.json()["problems"]
    assert not Design.objects.filter(owner=bob).exists()
    design.refresh_from_db()
    assert design.fork_count == 0


def test_a_link_holder_forks_an_unlisted_design_and_loses_sight_of_it_once_the_link_is_revoked(alice: User, bob: User) -> None:
    design = shop(alice, "unlisted")
    client = as_user(bob)
    assert client.post(f"/designs/{design.id}/fork").status_code == 404  # no link yet
    client.get(f"/s/{design.share_token}/")
    fork_url = client.post(f"/designs/{design.id}/fork")["Location"]
    assert ">Shop</a> by alice" in client.get(fork_url).content.decode()
    services.design_revoke_link(design=design)
    html = client.get(fork_url).content.decode()
    assert "a design that is not shared with you" in html and ">Shop<" not in html

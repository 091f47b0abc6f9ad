"""API tokens for scripts, and CSRF: a token (valid, revoked, malformed) authenticates without
CSRF; a signed-in browser session must send the CSRF token with every write."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.accounts.models import ApiToken
from lab.designs.models import Design

from .conftest import bearer, call, design_of, example, paths

pytestmark = pytest.mark.django_db

URL = "/api/v1/tokens"


def csrf_client(user: User) -> tuple[Client, str]:
    """A signed-in browser that enforces CSRF, and its CSRF token (from a page that sets it)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")
    return client, client.cookies["csrftoken"].value


def test_a_signed_in_user_makes_a_token_whose_secret_is_shown_once(as_alice: Client, alice: User) -> None:
    response = call(as_alice, "post", URL, {"name": "grading script"})
    assert response.status_code == 201
    made = response.json()
    assert made["token"].startswith("alab_") and made["hint"] == made["token"][:12] and made["last_used"] is None
    listed = call(as_alice, "get", URL).json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "grading script"
    assert "token" not in listed["results"][0]
    assert made["token"] not in str(ApiToken.objects.values_list())  # only its hash is stored


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "  "}, {"name": 5}, {"name": "n" * 101}])
def test_a_token_needs_a_name(as_alice: Client, payload: dict) -> None:
    response = call(as_alice, "post", URL, payload)
    assert response.status_code == 400 and paths(response) == ["$.name"]


def test_a_token_authenticates_a_script(alice: User) -> None:
    design_of(alice)
    headers = bearer(alice)
    response = call(Client(), "get", "/api/v1/designs", **headers)
    assert response.status_code == 200 and response.json()["count"] == 1
    secret = headers["HTTP_AUTHORIZATION"].split()[1]
    assert call(Client(), "get", "/api/v1/designs", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    assert ApiToken.objects.get().last_used is not None


def test_a_token_writes_without_csrf(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = call(client, "post", "/api/v1/designs", {"name": "From a script", "topology": example()},
                    **bearer(alice))
    assert response.status_code == 201 and Design.objects.get().owner == alice


def test_a_revoked_token_stops_working_at_once(as_alice: Client, alice: User) -> None:
    made = call(as_alice, "post", URL, {"name": "ci"}).json()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {made['token']}"}
    assert call(Client(), "get", "/api/v1/designs", **headers).status_code == 200
    assert call(as_alice, "delete", f"{URL}/{made['id']}").status_code == 204
    refused = call(Client(), "get", "/api/v1/designs", **headers)
    assert refused.status_code == 401 and paths(refused) == ["$"]
    assert "not valid" in refused.json()["problems"][0]["message"]
    assert call(as_alice, "get", URL).json()["count"] == 0  # the list has live tokens only
    assert call(as_alice, "delete", f"{URL}/{made['id']}").status_code == 404


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer alab_never-issued", "Token ", "bearer \u00e9"])
def test_a_malformed_or_unknown_token_is_refused_with_401(db: None, header: str) -> None:
    response = call(Client(), "get", "/api/v1/catalogue", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert paths(response) == ["$"]


def test_an_inactive_users_token_is_refused(alice: User) -> None:
    headers = bearer(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert call(Client(), "get", "/api/v1/designs", **headers).status_code == 401


def test_a_token_cannot_manage_tokens(alice: User) -> None:
    headers = bearer(alice)
    other = ApiToken.objects.get()
    assert call(Client(), "get", URL, **headers).status_code == 403
    assert call(Client(), "post", URL, {"name": "more"}, **headers).status_code == 403
    assert call(Client(), "delete", f"{URL}/{other.id}", **headers).status_code == 403
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked is None


def test_an_anonymous_visitor_has_no_tokens(visitor: Client) -> None:
    assert call(visitor, "get", URL).status_code == 401
    assert call(visitor, "post", URL, {"name": "x"}).status_code == 401


def test_nobody_lists_or_revokes_someone_elses_token(as_bob: Client, alice: User) -> None:
    bearer(alice)
    token = ApiToken.objects.get()
    assert call(as_bob, "get", URL).json()["count"] == 0
    assert call(as_bob, "delete", f"{URL}/{token.id}").status_code == 404
    assert call(as_bob, "delete", f"{URL}/{2**40}").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None


# CSRF on session writes --------------------------------------------------------------------


def test_a_session_write_without_the_csrf_token_is_refused(alice: User) -> None:
    client, _ = csrf_client(alice)
    response = call(client, "post", "/api/v1/designs", {"name": "x", "topology": example()})
    assert response.status_code == 403 and "CSRF" in response.json()["problems"][0]["message"]
    assert not Design.objects.exists()


def test_a_session_write_with_the_csrf_token_is_accepted(alice: User) -> None:
    client, csrf = csrf_client(alice)
    response = call(client, "post", "/api/v1/designs", {"name": "x", "topology": example()}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


@pytest.mark.parametrize("method, suffix, payload", [("patch", "", {"name": "y"}), ("delete", "", None),
                                                     ("post", "/share", {"visibility": "public"})])
def test_every_session_write_needs_the_csrf_token(alice: User, method: str, suffix: str, payload: object) -> None:
    design = design_of(alice)
    client, csrf = csrf_client(alice)
    url = f"/api/v1/designs/{design.id}{suffix}"
    assert call(client, method, url, payload).status_code == 403
    assert call(client, method, url, payload, HTTP_X_CSRFTOKEN=csrf).status_code in (200, 204)


def test_token_management_needs_the_csrf_token_too(alice: User) -> None:
    client, csrf = csrf_client(alice)
    assert call(client, "post", URL, {"name": "x"}).status_code == 403
    assert call(client, "post", URL, {"name": "x"}, HTTP_X_CSRFTOKEN=csrf).status_code == 201


def test_reads_need_no_csrf_token(alice: User) -> None:
    client, _ = csrf_client(alice)
    assert call(client, "get", "/api/v1/designs").status_code == 200


def test_a_session_run_needs_the_csrf_token(alice: User) -> None:
    client, csrf = csrf_client(alice)
    body = {"topology": example(), "duration_s": 1, "speed": 0}
    assert call(client, "post", "/api/v1/runs", body).status_code == 403
    assert call(client, "post", "/api/v1/runs", body, HTTP_X_CSRFTOKEN=csrf).status_code == 201

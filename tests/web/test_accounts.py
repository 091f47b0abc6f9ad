"""Accounts on Django's own auth: sign up, log in and out, change and reset a password, and the
profile with its designs, runs and API tokens."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client, RequestFactory

from lab.accounts.models import ApiToken
from lab.api.authentication import ApiTokenAuthentication
from lab.designs import services as designs
from lab.runs import services as runs

from .conftest import PASSWORD, example

pytestmark = pytest.mark.django_db

def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def signup(client: Client, **fields: str) -> object:
    data = {"username": "carol", "email": "carol@example.org", "password1": "a-Long-pass-91", "password2": "a-Long-pass-91"}
    return client.post("/accounts/signup/", {**data, **fields})


def test_a_visitor_signs_up_with_an_email_and_lands_on_their_profile_signed_in(client: Client) -> None:
    response = signup(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user = User.objects.get(username="carol")
    assert user.email == "carol@example.org" and user.check_password("a-Long-pass-91")
    page = client.get("/accounts/profile/")
    assert page.status_code == 200 and page.context["user"] == user
    assert "Welcome, carol" in page.content.decode()


@pytest.mark.parametrize("fields, field", [
    ({"password2": "something-else-7"}, "password2"),
    ({"email": ""}, "email"),
    ({"email": "ALICE@example.org"}, "email"),
    ({"username": "alice"}, "username"),
    ({"password1": "password", "password2": "password"}, "password2"),
])
def test_sign_up_refuses_bad_input_and_says_which_field(client: Client, alice: User, fields: dict, field: str) -> None:
    response = signup(client, **fields)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not User.objects.filter(username="carol").exists()


def test_a_user_logs_in_and_out_and_logging_out_needs_a_post(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/?next=")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_in_returns_to_the_page_asked_for(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/gallery"})
    assert response["Location"] == "/gallery"


def test_a_user_changes_their_password(alice: User) -> None:
    client = as_user(alice)
    assert client.get("/accounts/password/change/").status_code == 200
    response = client.post("/accounts/password/change/", {"old_password": PASSWORD, "new_password1": "new-Secret-456",
                                                          "new_password2": "new-Secret-456"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/done/"
    alice.refresh_from_db()
    assert alice.check_password("new-Secret-456")
    assert client.get("/accounts/profile/").status_code == 200  # still signed in


def test_password_reset_mails_a_link_that_sets_a_new_password_once(client: Client, alice: User) -> None:
    response = client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    assert mail.outbox[0].subject == "Reset your Archlab password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)  # Django swaps the token for a session and redirects
    assert form.context["validlink"]
    response = client.post(form.redirect_chain[-1][0], {"new_password1": "reset-Secret-789",
                                                        "new_password2": "reset-Secret-789"})
    assert response["Location"] == "/accounts/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password("reset-Secret-789")
    assert not client.get(link, follow=True).context["validlink"]  # used once


def test_password_reset_for_an_unknown_address_sends_nothing_and_answers_the_same(client: Client) -> None:
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_the_profile_needs_a_login(client: Client) -> None:
    assert client.get("/accounts/profile/")["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_the_profile_lists_only_the_users_designs_with_visibility_revisions_and_forks(alice: User, bob: User) -> None:
    shop = designs.design_create(owner=alice, name="Shop", topology=example("reference"))
    designs.design_save(design=shop, author=alice, topology=example("cached_api"))
    designs.design_share(design=shop, visibility="public")
    designs.design_fork(design=shop, owner=bob)
    designs.design_create(owner=bob, name="Bob's own", topology=example("reference"))
    page = as_user(alice).get("/accounts/profile/")
    listed = list(page.context["designs"])
    assert [d.name for d in listed] == ["Shop"]
    assert (listed[0].revision_count, listed[0].fork_count, listed[0].visibility) == (2, 1, "public")
    html = page.content.decode()
    assert f'href="/designs/{shop.id}/"' in html and f'href="/designs/{shop.id}/edit"' in html
    assert "Bob&#x27;s own" not in html


def test_the_profile_lists_recent_runs_with_the_revision_they_ran(alice: User) -> None:
    shop = designs.design_create(owner=alice, name="Shop", topology=example("reference"))
    runs.run_create(topology=example("reference"), duration_s=5, user=alice, revision=shop.latest())
    runs.run_create(topology=example("reference"), duration_s=5, user=alice)
    page = as_user(alice).get("/accounts/profile/")
    assert len(page.context["runs"]) == 2
    html = page.content.decode()
    assert f'href="/designs/{shop.id}/revisions/1/"' in html and "Shop r1" in html
    assert "unsaved topology" in html


def test_a_new_token_is_shown_once_then_listed_by_name_and_hint_and_it_authenticates(alice: User) -> None:
    client = as_user(alice)
    response = client.post("/accounts/tokens/", {"name": "grading script"})
    assert response["Location"] == "/accounts/profile/"
    page = client.get("/accounts/profile/").content.decode()
    secret = re.search(r'id="new-token-secret">(alab_[^<]+)<', page).group(1)
    token = ApiToken.objects.get(user=alice)
    assert token.name == "grading script" and secret.startswith(token.hint) and token.key_hash != secret
    again = client.get("/accounts/profile/").content.decode()
    assert secret not in again and "grading script" in again and token.hint in again
    request = RequestFactory().get("/api/v1/designs", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert ApiTokenAuthentication().authenticate(request)[0] == alice


def test_a_token_needs_a_name(alice: User) -> None:
    client = as_user(alice)
    client.post("/accounts/tokens/", {"name": "   "})
    assert not ApiToken.objects.exists()


def test_a_revoked_token_leaves_the_list_and_stops_working(alice: User) -> None:
    token, secret = ApiToken.issue(alice, "laptop")
    client = as_user(alice)
    assert client.post(f"/accounts/tokens/{token.id}/revoke").status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None
    assert "laptop" not in client.get("/accounts/profile/").content.decode()
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    with pytest.raises(Exception, match="not valid"):
        ApiTokenAuthentication().authenticate(request)


def test_nobody_revokes_another_users_token(alice: User, bob: User) -> None:
    token, _ = ApiToken.issue(alice, "laptop")
    assert as_user(bob).post(f"/accounts/tokens/{token.id}/revoke").status_code == 404
    assert Client().post(f"/accounts/tokens/{token.id}/revoke").status_code == 302  # to the login page
    token.refresh_from_db()
    assert token.revoked is None


def test_account_forms_refuse_a_post_without_the_csrf_token(alice: User) -> None:
    token, _ = ApiToken.issue(alice, "laptop")
    visitor = Client(enforce_csrf_checks=True)
    assert visitor.post("/accounts/signup/", {"username": "x", "email": "x@example.org", "password1": "a-Long-pass-91",
                                              "password2": "a-Long-pass-91"}).status_code == 403
    assert visitor.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 403
    assert visitor.post("/accounts/password/reset/", {"email": "alice@example.org"}).status_code == 403
    member = Client(enforce_csrf_checks=True)
    member.force_login(alice)
    for url, data in [("/accounts/logout/", {}), ("/accounts/tokens/", {"name": "t"}),
                      (f"/accounts/tokens/{token.id}/revoke", {}),
                      ("/accounts/password/change/", {"old_password": PASSWORD, "new_password1": "n-Secret-456",
                                                      "new_password2": "n-Secret-456"})]:
        assert member.post(url, data).status_code == 403, url
    assert ApiToken.objects.count() == 1 and not User.objects.filter(username="x").exists()


def test_the_profile_carries_the_offer_to_save_work_in_progress(alice: User) -> None:
    html = as_user(alice).get("/accounts/profile/").content.decode()
    assert 'id="draft-offer"' in html and 'data-create-url="/designs/new"' in html
    assert "js/profile.js" in html


def test_the_header_offers_sign_in_to_visitors_and_the_profile_to_members(client: Client, alice: User) -> None:
    html = client.get("/gallery").content.decode()
    assert 'href="/accounts/login/"' in html and 'href="/accounts/signup/"' in html
    html = as_user(alice).get("/gallery").content.decode()
    assert 'href="/accounts/profile/"' in html and 'action="/accounts/logout/"' in html

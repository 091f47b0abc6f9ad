"""Accounts on Django's own auth: sign up (which tells nobody which addresses are registered), log
in and out (throttled by username and address), change and reset a password, and the profile
with its designs, runs and API tokens."""
from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone

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


def test_signing_up_from_a_join_link_goes_back_to_it_and_never_to_another_site(client: Client) -> None:
    page = client.get("/accounts/signup/?next=/classes/join/ABCD2345").content.decode()
    assert 'name="next" value="/classes/join/ABCD2345"' in page
    response = signup(client, next="/classes/join/ABCD2345")
    assert response.status_code == 302 and response["Location"] == "/classes/join/ABCD2345"
    for hostile in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        other = Client()
        away = signup(other, username=f"u{len(hostile)}", email=f"u{len(hostile)}@example.org", next=hostile)
        assert away.status_code == 302 and away["Location"] == "/accounts/profile/", hostile


def test_a_new_account_gets_a_welcome_mail_that_says_how_to_get_back_in(client: Client) -> None:
    signup(client)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["carol@example.org"]
    assert mail.outbox[0].subject == "Your Archlab account is ready" and '"carol"' in mail.outbox[0].body
    assert "http://testserver/accounts/password/reset/" in mail.outbox[0].body


@pytest.mark.parametrize("fields, field", [
    ({"password2": "something-else-7"}, "password2"),
    ({"email": ""}, "email"),
    ({"username": "alice"}, "username"),
    ({"password1": "password", "password2": "password"}, "password2"),
])
def test_sign_up_refuses_bad_input_and_says_which_field(client: Client, alice: User, fields: dict, field: str) -> None:
    response = signup(client, **fields)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not User.objects.filter(username="carol").exists()


def scrub(html: str, *words: str) -> str:
    """A page with what legitimately differs between two visitors taken out: their name, their
    address and the per-response CSRF tokens."""
    for word in words:
        html = html.replace(word, "WORD")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)


def test_signing_up_with_a_registered_address_looks_like_any_sign_up(alice: User) -> None:
    fresh, taken = Client(), Client()
    a = signup(fresh, username="carol", email="carol@example.org")
    b = signup(taken, username="mallory", email="ALICE@example.org")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"]) == (302, "/accounts/profile/")
    assert sorted(a.cookies) == sorted(b.cookies)
    page_a, page_b = fresh.get(a["Location"]), taken.get(b["Location"])
    assert page_a.status_code == page_b.status_code == 200
    assert "ALICE@example.org" in page_b.content.decode()  # the profile shows the address typed
    assert scrub(page_a.content.decode(), "carol@example.org", "carol") == \
        scrub(page_b.content.decode(), "ALICE@example.org", "mallory")


def test_a_registered_address_stays_with_its_account_and_its_owner_is_told_with_a_reset_link(client: Client, alice: User) -> None:
    signup(client, username="mallory", email="ALICE@example.org")
    mallory = User.objects.get(username="mallory")
    assert mallory.email == "" and User.objects.filter(email__iexact="alice@example.org").get() == alice
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    assert mail.outbox[0].subject == "Someone tried to sign up to Archlab with your address"
    body = mail.outbox[0].body
    assert '"mallory"' in body and '"alice"' in body and "nothing about your account was changed" in body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", body).group(1)
    form = Client().get(link, follow=True)
    assert form.context["validlink"] and form.context["form"].user == alice
    # A reset asked for that address still reaches only Alice's account.
    mail.outbox.clear()
    Client().post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert len(mail.outbox) == 1 and '"alice"' in mail.outbox[0].body


def test_a_registered_address_costs_a_sign_up_as_long_as_a_new_one() -> None:
    # Both cases hash a password, make an account and send one mail; before, a taken address
    # was refused at once, hundreds of times faster than a sign-up, which told it apart.
    User.objects.create_user("alice", email="alice@example.org", password=PASSWORD)

    def seconds(index: int, email: str) -> float:
        start = time.perf_counter()
        signup(Client(), username=f"user{index}", email=email)
        return time.perf_counter() - start

    fresh = statistics.median(seconds(i, f"new{i}@example.org") for i in range(3))
    taken = statistics.median(seconds(10 + i, "alice@example.org") for i in range(3))
    assert 0.5 < taken / fresh < 2, (fresh, taken)


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


def test_password_reset_for_an_unknown_address_sends_nothing_and_answers_the_same(alice: User) -> None:
    known, unknown = Client(), Client()
    a = known.post("/accounts/password/reset/", {"email": "alice@example.org"}, follow=True)
    b = unknown.post("/accounts/password/reset/", {"email": "nobody@example.org"}, follow=True)
    assert a.redirect_chain == b.redirect_chain == [("/accounts/password/reset/sent/", 302)]
    assert a.status_code == b.status_code == 200 and a.content == b.content
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


# Login throttling (django-axes): by username and address together --------------------------

def fail_logins(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong"})
        assert response.status_code == 200 and "correct username and password" in response.content.decode()


def lock(client: Client, username: str) -> None:
    fail_logins(client, username, settings.AXES_FAILURE_LIMIT - 1)
    assert client.post("/accounts/login/", {"username": username, "password": "wrong"}).status_code == 429


def test_wrong_passwords_pause_log_in_for_that_account_from_that_address_with_a_clear_page(client: Client, alice: User) -> None:
    fail_logins(client, "alice", settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="locked-out"' in html and "Too many wrong passwords" in html
    assert f"paused for {settings.AXES_COOLOFF_TIME.total_seconds() // 60:.0f} minutes" in html
    assert 'href="/accounts/password/reset/"' in html
    # Even the right password waits now.
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_other_students_behind_the_same_school_address_still_log_in(alice: User, bob: User) -> None:
    lock(Client(REMOTE_ADDR="203.0.113.9"), "alice")
    classmate = Client(REMOTE_ADDR="203.0.113.9")
    response = classmate.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302 and classmate.session["_auth_user_id"] == str(bob.pk)
    assert Client(REMOTE_ADDR="203.0.113.9").post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 429


def test_the_paused_account_still_logs_in_from_another_address(alice: User) -> None:
    lock(Client(REMOTE_ADDR="203.0.113.9"), "alice")
    at_home = Client(REMOTE_ADDR="198.51.100.4")
    assert at_home.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302


def test_an_ipv6_client_is_paused_for_its_whole_slash_64_but_not_its_neighbours(alice: User) -> None:
    """The low 64 bits of an IPv6 address are the client's own to change: counted by the full
    address, every "new" address would have had its own five tries."""
    for low in range(1, settings.AXES_FAILURE_LIMIT):
        fail_logins(Client(REMOTE_ADDR=f"2001:db8:1:2::{low:x}"), "alice", 1)
    last = Client(REMOTE_ADDR="2001:db8:1:2:abcd::1")
    assert last.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 429
    other_low_bits = Client(REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert other_low_bits.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 429
    next_network = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert next_network.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302


def test_the_pause_ends_when_the_cool_off_has_passed(client: Client, alice: User) -> None:
    lock(client, "alice")
    # The attempts age as the clock does: one second past the cool-off.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)


def test_a_successful_log_in_forgets_earlier_typos(client: Client, alice: User) -> None:
    fail_logins(client, "alice", settings.AXES_FAILURE_LIMIT - 1)
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    fail_logins(client, "alice", settings.AXES_FAILURE_LIMIT - 1)  # counted from zero again
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302


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
    assert 'id="draft-offer"' in html and 'data-create-url="/api/v1/designs"' in html
    assert "js/profile.js" in html


def test_the_header_offers_sign_in_to_visitors_and_the_profile_to_members(client: Client, alice: User) -> None:
    html = client.get("/gallery").content.decode()
    assert 'href="/accounts/login/"' in html and 'href="/accounts/signup/"' in html
    html = as_user(alice).get("/gallery").content.decode()
    assert 'href="/accounts/profile/"' in html and 'action="/accounts/logout/"' in html

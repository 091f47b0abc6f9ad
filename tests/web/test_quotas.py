"""Quotas that hold on a shared server: a visitor who drops cookies is still counted by network,
a user is one principal across sessions and tokens, counting and inserting cannot interleave,
and a refusal is a 429 with Retry-After and a sentence."""
from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import close_old_connections
from django.test import Client

from lab.accounts.models import ApiToken
from lab.runs import quotas
from lab.runs.models import Run

from .conftest import PASSWORD, example

pytestmark = pytest.mark.django_db


def start(client: Client, address: str = "10.0.0.1", **headers: Any) -> Any:
    body = {"topology": example("reference"), "duration_s": 3}
    return client.post("/api/v1/runs", json.dumps(body), content_type="application/json", REMOTE_ADDR=address, **headers)


@pytest.fixture
def small_caps(settings: Any) -> Any:
    settings.ARCHLAB_VISITOR_RUNNING, settings.ARCHLAB_VISITOR_QUEUED = 1, 1
    settings.ARCHLAB_USER_RUNNING, settings.ARCHLAB_USER_QUEUED = 1, 2
    settings.ARCHLAB_NETWORK_RUNNING, settings.ARCHLAB_NETWORK_QUEUED = 2, 3
    return settings


def test_a_visitor_who_drops_cookies_is_still_counted_by_network(small_caps: Any) -> None:
    answers = [start(Client()).status_code for _ in range(12)]  # a new session every time
    assert answers == [201] * 5 + [429] * 7
    refused = start(Client())
    assert "visitors from your network already have 5 runs" in refused.json()["problems"][0]["message"]
    assert int(refused["Retry-After"]) >= 1
    assert start(Client(), address="10.0.0.2").status_code == 201  # another network is not affected


def test_a_class_behind_one_address_that_signs_in_is_not_limited_by_the_address(small_caps: Any) -> None:
    for i in range(8):
        student = User.objects.create_user(f"student{i}", password=PASSWORD)
        client = Client()
        client.force_login(student)
        assert start(client).status_code == 201
    assert Run.objects.count() == 8


def test_ipv6_visitors_are_counted_by_their_64_bit_prefix() -> None:
    assert quotas.network_of("2001:db8:1:2:aaaa::1") == quotas.network_of("2001:db8:1:2:ffff::9") \
        == "ip:2001:db8:1:2::/64"
    assert quotas.network_of("2001:db8:1:3::1") != quotas.network_of("2001:db8:1:2::1")
    assert quotas.network_of("::ffff:192.0.2.7") == "ip:192.0.2.7"
    assert quotas.network_of("not an address") == ""


def test_behind_a_named_proxy_the_client_is_the_address_the_proxy_appended(settings: Any) -> None:
    settings.ARCHLAB_PROXY_COUNT = 1
    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.10"}
    assert quotas.client_address(meta) == "192.0.2.10"  # the left part is the client's own word
    settings.ARCHLAB_PROXY_COUNT = 0
    assert quotas.client_address(meta) == "127.0.0.1"


def test_a_user_is_one_principal_across_logins_and_api_tokens(small_caps: Any) -> None:
    alice = User.objects.create_user("alice", password=PASSWORD)
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(alice)  # logged in again: another session, the same principal
    assert first.session.session_key != second.session.session_key
    _, secret = ApiToken.issue(alice, "script")
    api = Client()
    body = json.dumps({"topology": example("reference"), "duration_s": 3})
    answers = [start(first).status_code, start(second).status_code,
               api.post("/api/v1/runs", body, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {secret}").status_code]
    assert answers == [201, 201, 201]
    assert start(first).status_code == 429 and start(second).status_code == 429
    again = api.post("/api/v1/runs", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert again.status_code == 429 and int(again["Retry-After"]) >= 1
    assert set(Run.objects.values_list("principal", flat=True)) == {f"user:{alice.pk}"}


@pytest.mark.django_db(transaction=True)
def test_starts_racing_in_threads_never_pass_the_cap_together(small_caps: Any) -> None:
    alice = User.objects.create_user("alice", password=PASSWORD)
    answers: list[int] = []
    barrier = threading.Barrier(8)

    def one() -> None:
        try:
            client = Client()
            client.force_login(alice)
            barrier.wait()
            answers.append(start(client).status_code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201] * 3 + [429] * 5
    assert Run.objects.filter(principal=f"user:{alice.pk}").count() == 3

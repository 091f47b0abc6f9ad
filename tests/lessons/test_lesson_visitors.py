"""Visitors take lessons without an account, and a new account claims what they did: attempts by
browser session (readable by that session only), hints kept in the session, progress in the
browser; on sign-up the browser's attempt ids are given to the account and replayed into its
progress. Three personas as elsewhere: a visitor, alice (who signs up), bob (another user)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.accounts.models import ApiToken
from lab.lessons.models import Attempt, LessonProgress
from lab.runs import services as runs
from lab.runs.models import Run

from .fixtures import LESSON_ID, LESSON_TOML, design, replaced, write_lesson
from .test_lesson_api import (LESSON, LESSONS, STEP, call, graded, lessons_dir, make_user,  # noqa: F401 (a fixture)
                              signed_in, submit, work)

pytestmark = pytest.mark.django_db

CLAIM = f"{LESSONS}/progress"
# The fixture lesson with a second step that starts from the design the learner passed the first with.
SECOND_STEP = LESSON_TOML[LESSON_TOML.index("[[steps]]"):].replace('id = "add-instances"', 'id = "keep-it"', 1)
TWO_STEPS = LESSON_TOML + "\n" + replaced('start = "designs/start.json"', 'start = "previous"', SECOND_STEP) \
    .replace('debrief = "steps/add-instances.debrief.md"\n', "")


@pytest.fixture
def visitor() -> Client:
    return Client()


def claim(client: Client, ids: Any) -> Any:
    return call(client, "post", CLAIM, {"attempts": ids})


def session_of(client: Client) -> str:
    return client.cookies["sessionid"].value


# -- a visitor's attempts ---------------------------------------------------------------------

def test_a_visitor_submits_an_attempt_and_reads_it_graded_from_the_same_session(visitor: Client) -> None:
    response = submit(visitor, design(3))
    assert response.status_code == 202, response.json()
    attempt = Attempt.objects.get()
    assert attempt.user is None and attempt.visitor == session_of(visitor)
    mine = Run.objects.filter(lesson_attempt_runs__role="design")
    assert {(r.user_id, r.owner_key, r.principal) for r in mine} == {(None, attempt.visitor, f"visitor:{attempt.visitor}")}
    assert all(r.network == "ip:127.0.0.1" for r in mine)
    work()
    body = visitor.get(response.json()["url"]).json()
    assert body["status"] == "graded" and body["passed"] is True
    assert body["debrief_html"].startswith("<p>Utilization")  # the visitor's only way to the debrief


def test_a_visitors_attempt_is_not_there_for_another_session_or_user(visitor: Client, as_alice: Client) -> None:
    url = submit(visitor, design(3)).json()["url"]
    assert visitor.get(url).status_code == 200
    assert Client().get(url).status_code == 404
    assert as_alice.get(url).status_code == 404
    assert visitor.get(url.replace(LESSON_ID, "other-lesson")).status_code == 404
    assert visitor.get(f"{LESSON}/attempts/not-a-uuid").status_code == 404


def test_a_visitor_without_a_session_yet_gets_one_for_their_first_attempt(visitor: Client) -> None:
    assert "sessionid" not in visitor.cookies
    assert submit(visitor, design(3)).status_code == 202
    key = session_of(visitor)
    assert key and set(Run.objects.filter(lesson_attempt_runs__role="design").values_list("owner_key", flat=True)) == {key}


def test_a_visitor_keeps_no_progress_on_the_server(visitor: Client) -> None:
    graded(visitor, design(3))
    assert not LessonProgress.objects.exists()
    lesson = visitor.get(LESSON).json()
    step = lesson["steps"][0]
    assert lesson["progress"] is None and step["best"] is None and step["topology"] is None
    assert step["passed"] is False and step["debrief_html"] is None
    assert step["attempts"] == 1 and Client().get(LESSON).json()["steps"][0]["attempts"] == 0


def test_a_visitors_hints_unlock_on_request_and_after_a_failed_attempt_in_their_session(visitor: Client) -> None:
    first = call(visitor, "post", f"{STEP}/hints")
    assert first.status_code == 200 and len(first.json()["unlocked"]) == 1
    assert len(visitor.get(LESSON).json()["steps"][0]["hints"]["unlocked"]) == 1
    assert Client().get(LESSON).json()["steps"][0]["hints"]["unlocked"] == []  # another browser: none
    graded(visitor, design(1))  # a failed attempt unlocks the next
    assert len(visitor.get(LESSON).json()["steps"][0]["hints"]["unlocked"]) == 2
    done = call(visitor, "post", f"{STEP}/hints")
    assert done.status_code == 400 and "already shown" in done.json()["problems"][0]["message"]


def test_a_visitor_cannot_be_made_to_submit_or_unlock_hints_from_another_site() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert submit(strict, design(3)).status_code == 403
    assert call(strict, "post", f"{STEP}/hints").status_code == 403
    assert not Run.objects.exists() and not Attempt.objects.exists()
    strict.cookies["csrftoken"] = "c" * 32  # what the lesson page's cookie and header carry
    response = strict.post(f"{STEP}/attempts", data=json.dumps({"topology": design(3)}),
                           content_type="application/json", headers={"X-CSRFToken": "c" * 32})
    assert response.status_code == 202


def test_a_visitors_attempts_count_against_the_visitor_allowance(visitor: Client, settings: Any) -> None:
    settings.ARCHLAB_VISITOR_RUNNING, settings.ARCHLAB_VISITOR_QUEUED = 1, 1  # two runs: one attempt
    assert submit(visitor, design(3)).status_code == 202
    again = submit(visitor, design(2))
    assert again.status_code == 429 and again.has_header("Retry-After")
    assert Attempt.objects.count() == 1


def test_a_visitors_attempt_changing_a_locked_parameter_is_refused(visitor: Client) -> None:
    response = submit(visitor, design(3, read_time_ms=1))
    assert response.status_code == 400 and "locks db.read_time_ms" in response.json()["problems"][0]["message"]


def test_each_step_says_where_it_starts_from(visitor: Client, lessons_dir: Path, alice: User) -> None:
    write_lesson(lessons_dir, toml=TWO_STEPS)
    assert [s["start_from"] for s in visitor.get(LESSON).json()["steps"]] == ["file", "previous"]
    # A visitor starts step 2 from step 1's reference on the server (the browser shows their own).
    assert visitor.get(LESSON).json()["steps"][1]["start"]["nodes"][1]["params"]["instances"] == 3
    as_alice = signed_in(alice)
    graded(as_alice, design(4))
    assert as_alice.get(LESSON).json()["steps"][1]["start"]["nodes"][1]["params"]["instances"] == 4


# -- claiming them on sign-up -----------------------------------------------------------------

@pytest.fixture
def alice() -> User:
    return make_user("alice")


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


def test_signing_up_claims_a_visitors_attempts_and_replays_them_into_progress(visitor: Client, alice: User) -> None:
    failed = graded(visitor, design(1))
    passed = graded(visitor, design(3))
    visitor.force_login(alice)  # she signs up in the same browser
    response = claim(visitor, [failed["id"], passed["id"]])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["claimed"], body["ignored"]) == (2, 0)
    (item,) = body["lessons"]
    assert item["id"] == LESSON_ID and item["progress"]["passed_steps"] == ["add-instances"]
    assert item["progress"]["attempts"] == 2
    best = item["progress"]["best"]["add-instances"]
    assert best["attempt"] == passed["id"] and best["passed"] is True
    assert best["comparison"] == passed["grade"]["comparison"]
    step = visitor.get(LESSON).json()["steps"][0]
    assert step["passed"] is True and step["attempts"] == 2 and step["topology"] == design(3)
    assert len(step["hints"]["unlocked"]) == 1  # the failed attempt's
    assert visitor.get(passed["url"]).status_code == 200
    assert set(Run.objects.filter(lesson_attempt_runs__role="design").values_list("user", flat=True)) == {alice.pk}


def test_the_hints_a_visitor_asked_for_come_along_once(visitor: Client, alice: User) -> None:
    call(visitor, "post", f"{STEP}/hints")
    attempt = graded(visitor, design(3))
    visitor.force_login(alice)  # the session's data survives signing in, under a new key
    claim(visitor, [attempt["id"]])
    assert LessonProgress.objects.get(user=alice).hints == {"add-instances": 1}
    claim(visitor, [attempt["id"]])
    assert LessonProgress.objects.get(user=alice).hints == {"add-instances": 1}


def test_claiming_again_claims_nothing_and_changes_nothing(visitor: Client, alice: User) -> None:
    ids = [graded(visitor, design(1))["id"], graded(visitor, design(3))["id"]]
    as_alice = signed_in(alice)
    assert claim(as_alice, ids).json()["claimed"] == 2
    before = LessonProgress.objects.values().get()
    again = claim(as_alice, ids).json()
    assert (again["claimed"], again["ignored"]) == (0, 2)
    assert LessonProgress.objects.values().get() == before


def test_attempts_that_are_someones_already_or_unknown_are_ignored(visitor: Client, as_alice: Client,
                                                                   alice: User) -> None:
    hers = graded(as_alice, design(3))["id"]
    theirs = graded(visitor, design(3))["id"]
    as_bob = signed_in(make_user("bob"))
    assert claim(as_bob, [theirs]).json()["claimed"] == 1
    body = claim(as_alice, [hers, theirs, str(uuid.uuid4()), hers]).json()
    assert (body["claimed"], body["ignored"]) == (0, 3)  # a repeated id counts once
    assert Attempt.objects.get(id=hers).user == alice and Attempt.objects.get(id=theirs).user.username == "bob"
    assert LessonProgress.objects.get(user=alice).attempts == 1


def test_an_attempt_whose_runs_are_over_is_graded_when_it_is_claimed(visitor: Client, as_alice: Client) -> None:
    attempt = submit(visitor, design(3)).json()
    work()  # over, but nobody has read it since
    body = claim(as_alice, [attempt["id"]]).json()
    assert body["lessons"][0]["progress"]["passed_steps"] == ["add-instances"]
    assert Attempt.objects.get(id=attempt["id"]).status == "graded"


def test_an_attempt_still_running_when_claimed_counts_once_graded(visitor: Client, as_alice: Client) -> None:
    attempt = submit(visitor, design(3)).json()
    progress = claim(as_alice, [attempt["id"]]).json()["lessons"][0]["progress"]
    assert progress["attempts"] == 1 and progress["passed_steps"] == []
    work()
    assert as_alice.get(attempt["url"]).json()["passed"] is True
    assert LessonProgress.objects.get().passed_steps == ["add-instances"]


def test_only_a_signed_in_learner_claims(visitor: Client) -> None:
    attempt = submit(visitor, design(3)).json()
    assert claim(visitor, [attempt["id"]]).status_code == 401
    assert Attempt.objects.get().user is None


def test_a_token_user_claims_too(visitor: Client, alice: User) -> None:
    attempt = submit(visitor, design(3)).json()
    _, secret = ApiToken.issue(alice, "script")
    response = Client().post(CLAIM, data=json.dumps({"attempts": [attempt["id"]]}), content_type="application/json",
                             headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["claimed"] == 1


@pytest.mark.parametrize("ids, path, words", [
    ("0b6f3c1e-6a1b-4c55-9a53-2f1d8c9e7a10", "$.attempts", "a list of attempt ids"),
    ({"id": 1}, "$.attempts", "a list of attempt ids"),
    (None, "$.attempts", "a list of attempt ids"),
    ([str(uuid.uuid4()), 42], "$.attempts[1]", "a UUID string"),
    ([str(uuid.uuid4()), "not-a-uuid"], "$.attempts[1]", "a UUID string"),
    ([["0b6f3c1e-6a1b-4c55-9a53-2f1d8c9e7a10"]], "$.attempts[0]", "a UUID string"),
    (["0b6f3c1e-6a1b-4c55-9a53-2f1d8c9e7a10" + "0" * 1000], "$.attempts[0]", "a UUID string"),
    ([str(uuid.uuid4()) for _ in range(501)], "$.attempts", "at most 500"),
])
def test_a_claim_of_anything_but_up_to_500_attempt_ids_is_refused_with_its_path(
        as_alice: Client, ids: Any, path: str, words: str) -> None:
    response = claim(as_alice, ids)
    assert response.status_code == 400
    problem = response.json()["problems"][0]
    assert problem["path"] == path and words in problem["message"]


def test_a_claim_with_an_unknown_field_is_refused(as_alice: Client) -> None:
    response = call(as_alice, "post", CLAIM, {"attempts": [], "attempt": []})
    assert response.status_code == 400 and response.json()["problems"][0]["path"] == "$.attempt"


def test_500_ids_are_claimed_in_one_request(visitor: Client, as_alice: Client) -> None:
    attempt = submit(visitor, design(3)).json()
    body = claim(as_alice, [attempt["id"]] + [str(uuid.uuid4()) for _ in range(499)]).json()
    assert (body["claimed"], body["ignored"]) == (1, 499)


def test_a_claim_replays_a_run_that_did_not_complete_as_a_failure(visitor: Client, as_alice: Client) -> None:
    attempt = submit(visitor, design(3)).json()
    runs.run_fail(run=runs.run_claim_next(worker="w"), error="MemoryError")
    work()
    progress = claim(as_alice, [attempt["id"]]).json()["lessons"][0]["progress"]
    assert progress["passed_steps"] == [] and progress["best"]["add-instances"]["passed"] is False

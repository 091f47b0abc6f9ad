"""Who may do what with a design, its runs and its studies, cell by cell, over HTTP (REST API v1
and the pages) and the run and study websockets.

Actors: the owner; another signed-in user; a visitor (anonymous); a link holder (a signed-in user
who has the design's share link). Designs: private (with a link that was revoked), unlisted,
public, and a fork (the owner's fork of someone else's design, shared unlisted). A denied read is
always 404, never 403, so a private design cannot be discovered.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from lab.asgi import application
from lab.designs import services
from lab.designs.models import Design
from lab.runs import services as runs
from lab.studies.models import Study

EXAMPLE = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "reference.json"
ACTORS = ("owner", "other", "visitor", "link_holder")
DESIGNS = ("private", "unlisted", "public", "forked")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_workers(settings: Any) -> None:
    settings.ARCHLAB_EMBEDDED_WORKERS = 0


class World:
    """Three users, one design of the kind under test, and a client for the actor under test."""

    def __init__(self, design_kind: str, actor: str) -> None:
        self.alice = User.objects.create_user("alice")
        self.bob = User.objects.create_user("bob")
        self.carol = User.objects.create_user("carol")
        topology = json.loads(EXAMPLE.read_text())
        if design_kind == "forked":
            origin = services.design_create(owner=self.carol, name="Carol's", topology=topology)
            services.design_share(design=origin, visibility="public")
            self.design = services.design_fork(design=origin, owner=self.alice)
            services.design_share(design=self.design, visibility="unlisted")
        else:
            self.design = services.design_create(owner=self.alice, name="Shop", topology=topology)
            services.design_share(design=self.design, visibility="unlisted")  # every design has had a link
            if design_kind == "private":
                stale = self.design.share_token
                services.design_revoke_link(design=self.design)
                self.design.share_token = ""
                self.stale_token = stale
            elif design_kind == "public":
                services.design_share(design=self.design, visibility="public")
        self.design.refresh_from_db()
        self.token = self.design.share_token or getattr(self, "stale_token", "")
        self.actor = actor
        self.client = Client()
        user = {"owner": self.alice, "other": self.bob, "link_holder": self.carol}.get(actor)
        if user is not None:
            self.client.force_login(user)
        self.user = user

    def query(self) -> str:
        return f"?token={self.token}" if self.actor == "link_holder" else ""

    def call(self, method: str, url: str, body: Any = None) -> Any:
        extra: dict[str, Any] = {}
        if body is not None:
            extra = {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(url, **extra)

    def open_socket(self, path: str) -> tuple[bool, Any]:
        """Connect to a websocket as this actor (their session cookie, if signed in): whether it
        was accepted, and the close code if not."""
        async def connect() -> tuple[bool, Any]:
            headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
            session = self.client.cookies.get("sessionid")
            if session is not None:
                headers.append((b"cookie", f"sessionid={session.value}".encode()))
            communicator = WebsocketCommunicator(application, path, headers=headers)
            connected, code = await communicator.connect()
            await communicator.disconnect()
            return connected, code

        return asyncio.run(connect())


def can_view(actor: str, kind: str) -> bool:
    if actor == "owner":
        return True
    if actor == "link_holder":
        return kind != "private"
    return kind == "public"


def write_status(actor: str, kind: str, ok: int) -> int:
    if actor == "owner":
        return ok
    if not can_view(actor, kind):
        return 404
    return 401 if actor == "visitor" else 403


CELLS = [(actor, kind) for actor in ACTORS for kind in DESIGNS]


@pytest.mark.parametrize("actor, kind", CELLS)
def test_read_over_the_api_and_the_pages(actor: str, kind: str) -> None:
    w = World(kind, actor)
    expected = 200 if can_view(actor, kind) else 404
    assert w.call("get", f"/api/v1/designs/{w.design.pk}{w.query()}").status_code == expected
    assert w.call("get", f"/api/v1/designs/{w.design.pk}/revisions{w.query()}").status_code == expected
    assert w.call("get", f"/api/v1/designs/{w.design.pk}/thumbnail.svg{w.query()}").status_code == expected
    page = f"/s/{w.token}/" if actor == "link_holder" else f"/designs/{w.design.pk}/"
    assert w.call("get", page).status_code == expected


@pytest.mark.parametrize("actor, kind", CELLS)
def test_update_and_delete(actor: str, kind: str) -> None:
    w = World(kind, actor)
    url = f"/api/v1/designs/{w.design.pk}{w.query()}"
    assert w.call("patch", url, {"name": "Renamed"}).status_code == write_status(actor, kind, 200)
    assert w.call("post", f"/api/v1/designs/{w.design.pk}/revisions{w.query()}",
                  {"topology": w.design.latest().topology}).status_code == write_status(actor, kind, 201)
    assert w.call("post", f"/api/v1/designs/{w.design.pk}/share{w.query()}",
                  {"visibility": "public"}).status_code == write_status(actor, kind, 200)
    assert w.call("delete", url).status_code == write_status(actor, kind, 204)
    assert Design.objects.filter(pk=w.design.pk).exists() == (actor != "owner")
    if actor != "owner":
        assert Design.objects.get(pk=w.design.pk).name != "Renamed"


@pytest.mark.parametrize("actor, kind", CELLS)
def test_fork(actor: str, kind: str) -> None:
    w = World(kind, actor)
    response = w.call("post", f"/api/v1/designs/{w.design.pk}/fork{w.query()}", {})
    if not can_view(actor, kind):
        assert response.status_code == 404
    elif actor == "visitor":
        assert response.status_code == 401  # sign in to own a copy
    else:
        assert response.status_code == 201
        fork = Design.objects.get(pk=response.json()["id"])
        assert fork.owner == w.user and fork.forked_from_id == w.design.pk


@pytest.mark.parametrize("actor, kind", CELLS)
def test_run_and_its_results(actor: str, kind: str) -> None:
    w = World(kind, actor)
    body = {"design": str(w.design.pk), "duration_s": 20, "speed": 0}
    if actor == "link_holder":
        body["token"] = w.token
    response = w.call("post", "/api/v1/runs", body)
    # A visitor runs what they may view, as a signed-in viewer does (the lab page runs for
    # visitors, as their browser session's); a design they may not see is 404, like one that does
    # not exist, so the answer reveals nothing.
    ghost = w.call("post", "/api/v1/runs", {**body, "design": "00000000-0000-0000-0000-000000000000"})
    assert ghost.status_code == 404
    if not can_view(actor, kind):
        assert response.status_code == 404
        return
    assert response.status_code == 201
    run_id = response.json()["id"]
    assert w.call("get", f"/api/v1/runs/{run_id}").status_code == 200
    assert w.call("get", f"/api/v1/runs/{run_id}/results").status_code == 200
    before = w.design.latest_revision
    w.design.refresh_from_db()
    assert w.design.latest_revision == before  # a run never changes the design
    # The owner of the design may read a run of it; a third person may not.
    owner = Client()
    owner.force_login(w.alice)
    assert owner.get(f"/api/v1/runs/{run_id}").status_code == 200
    stranger = Client()
    stranger.force_login(User.objects.create_user("mallory"))
    assert stranger.get(f"/api/v1/runs/{run_id}/results").status_code == 404


@pytest.mark.parametrize("actor, kind", CELLS)
def test_reading_and_watching_the_owners_run(actor: str, kind: str) -> None:
    """Only the owner (who started it) may read or watch the owner's run, whatever the design's
    visibility: a run may hold what the owner was trying out."""
    w = World(kind, actor)
    revision = w.design.latest()
    run = runs.run_create(topology=revision.topology, duration_s=20, speed=0, user=w.alice, revision=revision)
    expected = 200 if actor == "owner" else 404
    assert w.call("get", f"/api/v1/runs/{run.id}").status_code == expected
    assert w.call("get", f"/api/v1/runs/{run.id}/results").status_code == expected
    assert w.call("get", f"/api/v1/runs/{run.id}/results.json").status_code == expected

    connected, code = w.open_socket(f"/ws/runs/{run.id}/")
    assert connected == (actor == "owner"), code
    if not connected:
        assert code == 4404


@pytest.mark.parametrize("actor, kind", CELLS)
def test_lists(actor: str, kind: str) -> None:
    w = World(kind, actor)
    own = w.call("get", "/api/v1/designs")
    if actor == "visitor":
        assert own.status_code in (200, 401)
        ids = [d["id"] for d in own.json().get("results", [])] if own.status_code == 200 else []
    else:
        ids = [d["id"] for d in own.json()["results"]]
    assert (str(w.design.pk) in ids) == (actor == "owner")
    gallery = [d["id"] for d in w.call("get", "/api/v1/designs?scope=public").json()["results"]]
    assert (str(w.design.pk) in gallery) == (kind == "public")
    page = w.call("get", "/gallery").content.decode()
    assert (str(w.design.pk) in page) == (kind == "public")


# Studies are shared as their design is (lab/studies/selectors.py, docs/api.md "Who may do what"):
# whoever may view the design lists, reads and downloads its studies and watches their progress;
# starting one needs that and a sign-in; only whoever ran a study cancels it. Each row: list the
# design's studies, start a sweep, read alice's study, download it (json and csv), cancel it, and
# whether its websocket opens (a refusal closes it with 4404).
SEES = dict(list=200, start=201, read=200, download=200, cancel=403, watch=True)
HIDDEN = dict(list=404, start=404, read=404, download=404, cancel=404, watch=False)
OWNS = dict(SEES, cancel=200)
STUDY_CELLS = {
    ("owner", "private"): OWNS, ("owner", "unlisted"): OWNS, ("owner", "public"): OWNS, ("owner", "forked"): OWNS,
    ("other", "private"): HIDDEN, ("other", "unlisted"): HIDDEN, ("other", "public"): SEES,
    ("other", "forked"): HIDDEN,
    ("visitor", "private"): HIDDEN, ("visitor", "unlisted"): HIDDEN,
    ("visitor", "public"): dict(SEES, start=401, cancel=401), ("visitor", "forked"): HIDDEN,
    ("link_holder", "private"): HIDDEN, ("link_holder", "unlisted"): SEES, ("link_holder", "public"): SEES,
    ("link_holder", "forked"): SEES,
}
SWEEP = {"kind": "sweep", "duration_s": 20, "spec": {"axes": [{"workload": "rate_per_s", "values": [50, 100]}],
                                                    "seeds": 1}}


def test_the_study_cells_are_every_actor_and_design() -> None:
    assert sorted(STUDY_CELLS) == sorted(CELLS)
    assert all(STUDY_CELLS[(actor, kind)]["read"] == (200 if can_view(actor, kind) else 404) for actor, kind in CELLS)


def alices_study(w: World) -> Study:
    """A sweep alice ran of the design (queued: no worker runs it here)."""
    owner = Client()
    owner.force_login(w.alice)
    response = owner.post(f"/api/v1/designs/{w.design.pk}/studies", json.dumps(SWEEP), content_type="application/json")
    assert response.status_code == 201, response.json()
    return Study.objects.get(id=response.json()["id"])


@pytest.mark.parametrize("actor, kind", CELLS)
def test_studies(actor: str, kind: str, settings: Any) -> None:
    settings.ARCHLAB_USER_STUDIES = 3  # alice's study below and the one she starts in her cell
    w = World(kind, actor)
    expected = STUDY_CELLS[(actor, kind)]
    study = alices_study(w)
    q = w.query()
    listed = w.call("get", f"/api/v1/designs/{w.design.pk}/studies{q}")
    assert listed.status_code == expected["list"]
    if listed.status_code == 200:
        assert [s["id"] for s in listed.json()["results"]] == [str(study.id)]
    read = w.call("get", f"/api/v1/studies/{study.id}{q}")
    assert read.status_code == expected["read"]
    if read.status_code == 404:
        assert "no such study" in read.json()["problems"][0]["message"]  # as if there were none
    for fmt in ("json", "csv"):
        assert w.call("get", f"/api/v1/studies/{study.id}/study.{fmt}{q}").status_code == expected["download"], fmt
    connected, code = w.open_socket(f"/ws/studies/{study.id}/{q}")
    assert connected == expected["watch"] and (connected or code == 4404), code

    started = w.call("post", f"/api/v1/designs/{w.design.pk}/studies{q}", SWEEP)
    assert started.status_code == expected["start"], started.json()
    if started.status_code == 201:  # saved with the design, as the starter's
        mine = Study.objects.get(id=started.json()["id"])
        assert (mine.design_id, mine.user) == (w.design.pk, w.user)
    else:
        assert Study.objects.filter(design=w.design).count() == 1

    cancelled = w.call("post", f"/api/v1/studies/{study.id}/cancel{q}")
    assert cancelled.status_code == expected["cancel"]
    study.refresh_from_db()
    assert study.status == ("cancelled" if expected["cancel"] == 200 else "running")


def test_the_owner_of_a_design_reads_a_study_someone_else_ran_of_it_but_may_not_cancel_it() -> None:
    w = World("public", "other")
    started = w.call("post", f"/api/v1/designs/{w.design.pk}/studies", SWEEP)
    assert started.status_code == 201
    study_id = started.json()["id"]
    owner = Client()
    owner.force_login(w.alice)
    assert owner.get(f"/api/v1/designs/{w.design.pk}/studies").json()["results"][0]["user"] == "bob"
    assert owner.get(f"/api/v1/studies/{study_id}").status_code == 200
    assert owner.post(f"/api/v1/studies/{study_id}/cancel").status_code == 403
    assert w.call("post", f"/api/v1/studies/{study_id}/cancel").json()["status"] == "cancelled"


def test_a_revoked_link_stops_working_at_once_and_resharing_makes_a_new_one() -> None:
    w = World("unlisted", "link_holder")
    old = w.token
    assert w.call("get", f"/s/{old}/").status_code == 200
    services.design_revoke_link(design=w.design)
    assert w.call("get", f"/s/{old}/").status_code == 404
    assert w.call("get", f"/api/v1/designs/{w.design.pk}?token={old}").status_code == 404
    services.design_share(design=w.design, visibility="unlisted")
    w.design.refresh_from_db()
    assert w.design.share_token != old
    assert w.call("get", f"/s/{w.design.share_token}/").status_code == 200

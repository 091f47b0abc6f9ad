"""The rules of designs, below any page or API: revisions are never rewritten, forks remember
their origin, links are secret and revocable, and who may see what."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User

from lab.designs import selectors, services
from lab.designs.diff import topology_diff
from lab.designs.models import Design
from lab.designs.thumbnails import thumbnail_svg
from lab.sim.problems import Refused

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def example(name: str = "reference") -> dict[str, Any]:
    return json.loads((ROOT / "lab" / "sim" / "examples" / f"{name}.json").read_text())


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice", password="x-Secret-123")


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob", password="x-Secret-123")


def test_every_save_is_a_new_revision_and_restore_adds_one_rather_than_rewriting(alice: User) -> None:
    design = services.design_create(owner=alice, name="Shop", topology=example())
    changed = example()
    changed["nodes"][2]["params"]["instances"] = 9
    services.design_save(design=design, author=alice, topology=changed, message="more instances")
    services.design_restore(design=design, author=alice, number=1)
    numbers = [(r.number, r.message) for r in selectors.revisions_of(design=design)]
    assert numbers == [(3, "restored revision 1"), (2, "more instances"), (1, "created")]
    assert design.latest().topology == example()
    with pytest.raises(Refused, match="no revision 7"):
        services.design_restore(design=design, author=alice, number=7)


def test_an_invalid_topology_is_refused_with_the_engines_problems_and_nothing_is_saved(alice: User) -> None:
    bad = example()
    bad["edges"].append({"from": "nowhere", "to": "lb"})
    with pytest.raises(Refused) as refused:
        services.design_create(owner=alice, name="Broken", topology=bad)
    assert any(p["path"].startswith("$.topology.edges") and "nowhere" in p["message"] for p in refused.value.problems)
    assert not Design.objects.exists()


@pytest.mark.parametrize("meta, path", [
    ({"name": ""}, "$.name"), ({"name": "x" * 201}, "$.name"), ({"name": "ok", "tags": ["Has Space"]}, "$.tags[0]"),
    ({"name": "ok", "tags": ["t"] * 11}, "$.tags"), ({"name": "ok", "description": "d" * 5001}, "$.description"),
])
def test_bad_names_tags_and_descriptions_are_refused_with_their_path(alice: User, meta: dict[str, Any], path: str) -> None:
    with pytest.raises(Refused) as refused:
        services.design_create(owner=alice, topology=example(), **meta)
    assert [p["path"] for p in refused.value.problems] == [path]


def test_hostile_text_is_stored_as_given(alice: User) -> None:
    payload = '<img src=x onerror=alert(1)> "quoted" & <script>alert(2)</script>'
    design = services.design_create(owner=alice, name=payload, description=payload, topology=example())
    assert Design.objects.get(pk=design.pk).name == payload


def test_who_may_see_a_design(alice: User, bob: User) -> None:
    design = services.design_create(owner=alice, name="Shop", topology=example())
    anon = AnonymousUser()
    assert selectors.design_get(user=alice, design_id=design.pk) == design
    assert selectors.design_get(user=bob, design_id=design.pk) is None
    assert selectors.design_get(user=anon, design_id=design.pk) is None

    services.design_share(design=design, visibility="unlisted")
    token = design.share_token
    assert len(token) >= 43  # 256 random bits, base64url
    assert selectors.design_get(user=bob, design_id=design.pk) is None  # the id alone is not enough
    assert selectors.design_get(user=bob, design_id=design.pk, token=token) == design
    assert selectors.design_get(user=bob, design_id=design.pk, token=token[:-1] + "x") is None
    assert selectors.design_by_token(token=token) == design
    assert not selectors.can_edit(bob, design)

    services.design_revoke_link(design=design)
    assert selectors.design_by_token(token=token) is None
    assert selectors.design_get(user=bob, design_id=design.pk, token=token) is None
    assert design.visibility == "private"

    services.design_share(design=design, visibility="public")
    assert design.share_token and design.share_token != token  # sharing again makes a new link
    assert selectors.design_get(user=anon, design_id=design.pk) == design
    assert list(selectors.gallery()) == [design]
    assert selectors.design_get(user=bob, design_id="not-a-uuid") is None


def test_a_fork_copies_the_latest_revision_and_remembers_its_origin(alice: User, bob: User) -> None:
    design = services.design_create(owner=alice, name="Shop", tags=["caching"], topology=example())
    services.design_share(design=design, visibility="public")
    fork = services.design_fork(design=design, owner=bob)
    design.refresh_from_db()
    assert (fork.owner, fork.forked_from, fork.forked_from_revision, fork.tags) == (bob, design, 1, ["caching"])
    assert fork.latest().topology == design.latest().topology
    assert design.fork_count == 1
    services.design_fork(design=design, owner=bob)
    assert list(selectors.gallery(sort="forks"))[0] == design


def test_the_gallery_searches_and_filters_by_tag(alice: User) -> None:
    a = services.design_create(owner=alice, name="Sharded users", tags=["sharding"], topology=example())
    b = services.design_create(owner=alice, name="Cached API", description="memcached in front", tags=["caching"],
                               topology=example())
    services.design_create(owner=alice, name="Private cached", tags=["caching"], topology=example())
    for d in (a, b):
        services.design_share(design=d, visibility="public")
    assert list(selectors.gallery(tag="caching")) == [b]
    assert list(selectors.gallery(search="MEMCACHED")) == [b]
    assert set(selectors.gallery()) == {a, b}


def test_the_diff_says_what_changed_in_nodes_edges_and_sections() -> None:
    old = example()
    new = example()
    new["nodes"][2]["params"]["instances"] = 9
    new["nodes"][3]["position"] = {"x": 999, "y": 1}
    new["nodes"].append({"id": "edge-cache", "kind": "cache"})
    new["edges"] = new["edges"][1:] + [{"from": "lb", "to": "edge-cache"}]
    new["settings"]["seed"] = 99
    diff = topology_diff(old, new)
    assert diff["nodes"]["added"] == ["edge-cache"]
    assert diff["nodes"]["changed"] == [{"id": "app1", "fields": ["params.instances"]}]
    assert diff["moved"] == ["app2"]
    assert diff["edges"]["added"] == ["lb -> edge-cache"] and diff["edges"]["removed"] == ["users -> lb"]
    assert diff["sections"] == ["settings"] and not diff["same"]
    assert topology_diff(old, old)["same"]


def test_the_thumbnail_is_an_svg_with_every_label_escaped() -> None:
    doc = example()
    doc["nodes"][0]["label"] = "<script>x</script>"
    svg = thumbnail_svg(doc)
    assert svg.startswith("<svg") and svg.count("<rect") == len(doc["nodes"]) + 1
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert thumbnail_svg({"nodes": [{"id": 1, "position": {"x": "a"}}], "edges": [None, {"from": 1}]}).endswith("</svg>")


def test_a_nul_character_in_a_name_is_refused_because_postgresql_cannot_store_it(alice: User) -> None:
    with pytest.raises(Refused) as refused:
        services.design_create(owner=alice, name="a\x00b", topology=example())
    assert refused.value.problems[0]["path"] == "$.name"


def test_a_fork_with_lab_changes_gets_them_as_its_second_revision_or_is_not_made(alice: User, bob: User) -> None:
    design = services.design_create(owner=alice, name="Shop", topology=example())
    changed = example()
    changed["nodes"][2]["params"]["instances"] = 8
    fork = services.design_fork(design=design, owner=bob, topology=changed)
    assert fork.latest_revision == 2 and fork.latest().topology == changed
    broken = example()
    broken["edges"].append({"from": "x", "to": "lb"})
    with pytest.raises(Refused):
        services.design_fork(design=design, owner=bob, topology=broken)
    assert Design.objects.filter(owner=bob).count() == 1
    design.refresh_from_db()
    assert design.fork_count == 1  # the refused fork did not count


def test_a_thumbnail_of_a_design_in_one_row_is_centred() -> None:
    doc = {"nodes": [{"id": "a", "position": {"x": 0, "y": 0}}, {"id": "b", "position": {"x": 300, "y": 0}}], "edges": []}
    ys = [float(y) for y in re.findall(r'<rect x="[\d.]+" y="([\d.]+)"', thumbnail_svg(doc))]
    assert ys and all(abs(y - (180 - 22) / 2) < 1 for y in ys)

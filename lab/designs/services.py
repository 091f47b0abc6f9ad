"""Writes on designs: create, save a revision, restore, fork, share and revoke, delete. Views,
the REST API and the tests all go through here, so a rule is enforced in one place.

Callers check permissions with `selectors` first; these functions trust they were allowed.
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F

from lab.sim import check
from lab.sim.problems import Problem, Refused, problem

from .models import Design, Revision

MAX_TAGS = 10
TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")


def clean_meta(*, name: Any = None, description: Any = None, tags: Any = None, partial: bool = False) -> dict[str, Any]:
    """Validate a design's name, description and tags; raise Refused with every problem."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for field, value in (("name", name), ("description", description)):
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL cannot store it; no name needs it.
            raise Refused([problem(f"$.{field}", f"the {field} may not contain the NUL character")])
    if name is not None or not partial:
        if not isinstance(name, str) or not name.strip():
            problems.append(problem("$.name", "a design needs a name"))
        elif len(name) > 200:
            problems.append(problem("$.name", "the name must be at most 200 characters"))
        else:
            out["name"] = name.strip()
    if description is not None:
        if not isinstance(description, str) or len(description) > 5000:
            problems.append(problem("$.description", "the description must be text of at most 5000 characters"))
        else:
            out["description"] = description
    if tags is not None:
        if not isinstance(tags, list) or len(tags) > MAX_TAGS:
            problems.append(problem("$.tags", f"tags must be a list of at most {MAX_TAGS} words"))
        else:
            cleaned = []
            for i, tag in enumerate(tags):
                word = tag.strip().lower() if isinstance(tag, str) else None
                if word is None or not TAG.match(word):
                    problems.append(problem(f"$.tags[{i}]", "a tag is 1 to 30 lowercase letters, digits, '-' or '_'"))
                elif word not in cleaned:
                    cleaned.append(word)
            out["tags"] = cleaned
    if problems:
        raise Refused(problems)
    return out


def clean_topology(topology: Any) -> dict[str, Any]:
    """The topology as stored: a document the engine accepts (warnings are fine)."""
    if not isinstance(topology, dict):
        raise Refused([problem("$.topology", "the topology must be a JSON object (see docs/topology.md)")])
    # The engine's paths are the document's ("$.nodes[0]"); here they are the body's ("$.topology.nodes[0]").
    problems = [problem("$.topology" + p["path"][1:], p["message"]) for p in check(topology) if p["severity"] == "error"]
    if problems:
        raise Refused(problems)
    return topology


def _set_tags(design: Design, tags: list[str]) -> None:
    design.tags = tags
    design.tags_text = (" " + " ".join(tags) + " ") if tags else ""


@transaction.atomic
def design_create(*, owner: Any, name: Any, topology: Any, description: Any = "", tags: Any = None,
                  message: str = "created") -> Design:
    meta = clean_meta(name=name, description=description, tags=[] if tags is None else tags)
    doc = clean_topology(topology)
    design = Design(owner=owner, name=meta["name"], description=meta.get("description", ""))
    _set_tags(design, meta.get("tags", []))
    design.save()
    _add_revision(design, owner, doc, message)
    return design


def _add_revision(design: Design, author: Any, topology: dict[str, Any], message: str) -> Revision:
    # Lock the design row so two saves at once get numbers n+1 and n+2, not n+1 twice.
    locked = Design.objects.select_for_update().get(pk=design.pk)
    number = locked.latest_revision + 1
    revision = Revision.objects.create(design=locked, number=number, topology=topology, message=message[:200],
                                       author=author if getattr(author, "is_authenticated", False) else None)
    Design.objects.filter(pk=design.pk).update(latest_revision=number)
    design.latest_revision = number
    design.save(update_fields=["updated"])
    return revision


@transaction.atomic
def design_save(*, design: Design, author: Any, topology: Any, message: str = "") -> Revision:
    """Save a new revision (the previous ones stay)."""
    return _add_revision(design, author, clean_topology(topology), message or "saved")


@transaction.atomic
def design_update(*, design: Design, name: Any = None, description: Any = None, tags: Any = None) -> Design:
    meta = clean_meta(name=name, description=description, tags=tags, partial=True)
    if "name" in meta:
        design.name = meta["name"]
    if "description" in meta:
        design.description = meta["description"]
    if "tags" in meta:
        _set_tags(design, meta["tags"])
    design.save()
    return design


@transaction.atomic
def design_restore(*, design: Design, author: Any, number: int) -> Revision:
    """Make an earlier revision the latest again, as a new revision (history is never rewritten)."""
    old = design.revisions.filter(number=number).first()
    if old is None:
        raise Refused([problem("$.number", f"this design has no revision {number}")])
    return _add_revision(design, author, old.topology, f"restored revision {number}")


@transaction.atomic
def design_fork(*, design: Design, owner: Any, name: str | None = None, topology: Any = None) -> Design:
    """Copy a design the user can see into their own, remembering where it came from. With
    `topology` (changes a viewer made in the lab), that becomes the fork's second revision; a
    refused topology leaves no fork behind."""
    latest = design.latest()
    fork = Design(owner=owner, name=(name or f"{design.name} (fork)")[:200], description=design.description,
                  forked_from=design, forked_from_revision=latest.number)
    _set_tags(fork, list(design.tags))
    fork.save()
    _add_revision(fork, owner, latest.topology, f"forked from {design.name} r{latest.number}"[:200])
    Design.objects.filter(pk=design.pk).update(fork_count=F("fork_count") + 1)
    if topology is not None and topology != latest.topology:
        _add_revision(fork, owner, clean_topology(topology), "changed in the lab")
    return fork


@transaction.atomic
def design_share(*, design: Design, visibility: Any) -> Design:
    """Set the visibility. Unlisted and public designs get a share link if they have none."""
    if visibility not in Design.Visibility.values:
        raise Refused([problem("$.visibility", "visibility must be private, unlisted or public")])
    design.visibility = visibility
    if visibility != Design.Visibility.PRIVATE and not design.share_token:
        design.share_token = secrets.token_urlsafe(32)
    design.save()
    return design


@transaction.atomic
def design_revoke_link(*, design: Design) -> Design:
    """The old link stops working at once. An unlisted design becomes private (a public one stays
    listed); sharing again makes a new link."""
    design.share_token = ""
    if design.visibility == Design.Visibility.UNLISTED:
        design.visibility = Design.Visibility.PRIVATE
    design.save()
    return design


def design_delete(*, design: Design) -> None:
    design.delete()

"""The lesson pages: the index linked from the navigation and the lab, a lesson opened in the lab
with its lesson panel, and the pictures of a lesson folder (served as pictures only). The
browser side is in tests/web/test_browser_lessons.py."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.lessons.models import LessonProgress

from .fixtures import LESSON_ID, write_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lessons_dir(tmp_path: Path, settings: Any) -> Path:
    settings.ARCHLAB_EMBEDDED_WORKERS = 0
    root = tmp_path / "lessons"
    write_lesson(root)
    settings.ARCHLAB_LESSONS_DIR = root
    return root


def signed_in(name: str, **extra: Any) -> tuple[User, Client]:
    user = User.objects.create_user(name, f"{name}@example.com", **extra)
    client = Client()
    client.force_login(user)
    return user, client


def test_the_navigation_and_the_labs_first_screen_lead_to_the_lessons(client: Client) -> None:
    page = client.get("/").content.decode()
    assert 'href="/lessons/"' in page and 'data-testid="nav-lessons"' in page
    assert 'data-testid="lab-lessons-link"' in page


def test_the_index_says_what_each_lesson_teaches_how_long_it_takes_and_offers_to_start(client: Client) -> None:
    response = client.get("/lessons/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "When one pool is not enough" in page and "about 10 minutes" in page and "1 step" in page
    assert "utilization and queueing; horizontal scaling" in page
    assert f'href="/lessons/{LESSON_ID}/"' in page and ">Start<" in page


def test_a_signed_in_learner_sees_their_progress_and_continues_where_they_were() -> None:
    user, client = signed_in("alice")
    LessonProgress.objects.create(user=user, lesson=LESSON_ID, current_step="add-instances",
                                  passed_steps=["add-instances"], attempts=2)
    page = client.get("/lessons/").content.decode()
    assert "1 of 1 steps passed" in page
    assert f'href="/lessons/{LESSON_ID}/steps/add-instances/"' in page


def test_a_broken_lesson_is_listed_for_staff_with_its_problems_and_hidden_from_learners(
        client: Client, lessons_dir: Path) -> None:
    write_lesson(lessons_dir, {"designs/reference.json": None}, name="broken-one")
    assert "broken-one" not in client.get("/lessons/").content.decode()
    assert client.get("/lessons/broken-one/").status_code == 404
    _, staff = signed_in("teacher", is_staff=True)
    page = staff.get("/lessons/").content.decode()
    assert "broken-one" in page and "hidden from learners" in page and "designs/reference.json" in page


def test_a_lesson_opens_in_the_lab_with_its_panel_and_without_the_example_picker(client: Client) -> None:
    response = client.get(f"/lessons/{LESSON_ID}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="lesson-panel"' in page and 'id="submit-attempt"' in page
    assert 'id="example"' not in page and "When one pool is not enough · Archlab" in page
    context = json.loads(page.split('id="lab-context" type="application/json">')[1].split("</script>")[0])
    assert context["lesson"] == {"id": LESSON_ID, "title": "When one pool is not enough", "step": None,
                                 "steps": [{"id": "add-instances", "title": "The API is slow at lunchtime"}]}
    step = client.get(f"/lessons/{LESSON_ID}/steps/add-instances/")
    assert step.status_code == 200 and '"step": "add-instances"' in step.content.decode()


@pytest.mark.parametrize("url", ["/lessons/no-such-lesson/", f"/lessons/{LESSON_ID}/steps/no-such-step/",
                                 "/lessons/%E2%80%AE/", f"/lessons/{LESSON_ID}/steps/" + "x" * 500 + "/"])
def test_a_lesson_or_step_that_does_not_exist_is_a_404_page(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


def test_a_picture_of_the_lesson_folder_is_served_as_a_picture_that_can_run_nothing(client: Client) -> None:
    response = client.get(f"/lessons/{LESSON_ID}/files/images/diagram.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "sandbox" in response["Content-Security-Policy"] and "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_svg_picture_is_sandboxed_so_its_script_cannot_run(client: Client, lessons_dir: Path) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="4" height="4"/></svg>'
    write_lesson(lessons_dir, {"images/flow.svg": svg})
    response = client.get(f"/lessons/{LESSON_ID}/files/images/flow.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"] and "script-src" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["lesson.toml", "designs/start.json", "steps/add-instances.md", "images/missing.png",
                                  "../first-lesson/lesson.toml", "images/../../../../etc/passwd", "images",
                                  "%2e%2e/%2e%2e/settings.py"])
def test_nothing_but_the_folders_pictures_is_served(client: Client, path: str) -> None:
    assert client.get(f"/lessons/{LESSON_ID}/files/{path}").status_code == 404


def test_a_link_in_the_folder_that_leads_outside_it_is_not_followed(client: Client, lessons_dir: Path,
                                                                     tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG not the lesson's")
    os.symlink(outside, lessons_dir / LESSON_ID / "images" / "escape.png")
    assert client.get(f"/lessons/{LESSON_ID}/files/images/escape.png").status_code == 404

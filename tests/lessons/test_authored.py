"""Teachers' own lessons: a zip upload read safely (each attack refused with its own sentence),
a valid lesson folder saved and loaded under its key, a challenge document turned into a one-step
lesson whose every problem has the document's path, the challenge proved to teach with real runs
(its reference passes, its start fails), and goals captured from a real run with their margin."""
from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from lab.classroom.services import grant_teacher
from lab.lessons import authored, authored_services, capture, challenge, scenario, selectors
from lab.lessons.grading import grade_step, prove_lesson, run_design
from lab.lessons.loader import load_lesson

from .fixtures import design, files, replaced, write_lesson


def lesson_zip(top: str | None = "my-lesson", changes: dict[str, Any] | None = None) -> bytes:
    content = {**files(), **(changes or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in content.items():
            if data is not None:
                archive.writestr(f"{top}/{name}" if top else name, data)
    return out.getvalue()


def raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return out.getvalue()


def challenge_document(**changes: Any) -> dict[str, Any]:
    """The fixture lesson's situation as a challenge: one API instance at 150 requests a second
    (the start), three (the reference), an instance crashing for 5 s."""
    doc = {
        "title": "Lunchtime <script>alert(1)</script>",
        "narrative": "# Lunchtime\n\nKeep the **p95** under 100 ms while an instance is down.\n",
        "start": design(1), "reference": design(3),
        "scenario": {"duration_s": 20, "warmup_s": 5, "seeds": [1, 2],
                     "traffic": [{"source": "users", "params": {"rate_per_s": 150}}],
                     "faults": [{"id": "one-down", "kind": "crash_instances", "node": "api", "count": 1,
                                 "start_s": 10, "duration_s": 5}]},
        "goals": [
            {"metric": "latency_p95_ms", "scope": {"overall": True}, "span": "measured", "compare": "<=",
             "value": 100, "unit": "ms", "points": 3},
            {"id": "errors-while-down", "metric": "error_rate_pct", "span": {"fault": "one-down"}, "compare": "<",
             "value": 1, "unit": "%", "points": 2},
        ],
        "hints": ["How busy is the API while the p95 climbs?"],
    }
    doc.update(changes)
    return doc


def messages(problems: list[dict[str, str]]) -> str:
    return "\n".join(f"{p['path']}: {p['message']}" for p in problems)


# -- zip uploads ------------------------------------------------------------------------------

def test_a_lesson_folder_in_one_top_folder_is_read_without_it() -> None:
    got, problems = authored.read_zip(lesson_zip())
    assert problems == [] and "lesson.toml" in got and "designs/start.json" in got


def test_a_lesson_folder_at_the_zips_root_is_read_too() -> None:
    got, problems = authored.read_zip(lesson_zip(top=None))
    assert problems == [] and got["lesson.toml"].startswith(b"format")


def test_a_valid_upload_loads_with_no_error() -> None:
    got, _ = authored.read_zip(lesson_zip())
    lesson, problems = authored.check_files(got)
    assert lesson is not None and not [p for p in problems if p["severity"] == "error"]


@pytest.mark.parametrize("name, words", [
    ("../evil.txt", "leads outside the lesson folder"),
    ("lesson/../../evil.txt", "leads outside the lesson folder"),
    ("/etc/passwd", "is an absolute path"),
    ("C:/windows/evil.txt", "is an absolute path"),
    ("designs\\evil.json", "uses '\\'"),
])
def test_a_name_that_leads_out_of_the_folder_is_refused(name: str, words: str) -> None:
    got, problems = authored.read_zip(raw_zip([("lesson.toml", b"x"), (name, b"boom")]))
    assert got == {} and any(words in p["message"] for p in problems), messages(problems)


def test_a_symbolic_link_is_refused() -> None:
    link = zipfile.ZipInfo("designs/start.json")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    got, problems = authored.read_zip(raw_zip([("lesson.toml", b"x"), (link, b"/etc/passwd")]))
    assert got == {} and "is a symbolic link" in messages(problems)


def test_more_than_two_hundred_files_are_refused() -> None:
    entries = [(f"images/{i}.png", b"x") for i in range(authored.MAX_FILES + 1)]
    got, problems = authored.read_zip(raw_zip(entries))
    assert got == {} and f"a lesson has at most {authored.MAX_FILES}" in messages(problems)


def test_a_zip_that_unpacks_past_twenty_megabytes_is_refused() -> None:
    big = b"a" * (authored.MAX_UNCOMPRESSED_BYTES // 2 + 1)
    got, problems = authored.read_zip(raw_zip([("a.md", big), ("b.md", big)]))
    assert got == {} and "unpacks to" in messages(problems) and "at most 20,971,520" in messages(problems)


def test_a_zip_bomb_is_refused_by_its_compression_ratio() -> None:
    got, problems = authored.read_zip(raw_zip([("lesson.toml", b"x"), ("steps/bomb.md", b"\0" * 5_000_000)]))
    assert got == {} and "looks like a zip bomb" in messages(problems)


def test_a_zip_over_five_megabytes_is_refused_before_it_is_opened() -> None:
    got, problems = authored.read_zip(b"PK" + b"\0" * authored.MAX_ZIP_BYTES)
    assert got == {} and "at most 5,242,880" in messages(problems)


def test_a_file_that_is_not_a_zip_is_refused_with_a_sentence() -> None:
    _, problems = authored.read_zip(b"lesson.toml, honest")
    assert "is not a zip file" in messages(problems)


def test_a_name_that_is_not_utf8_is_refused() -> None:
    data = raw_zip([("lesson.toml", b"x"), ("steps/XXXX.md", b"hello")]).replace(b"XXXX", b"\xff\xfe\xfd\xfc")
    got, problems = authored.read_zip(data)
    assert got == {} and "is not UTF-8 text" in messages(problems)


def test_a_zip_with_two_top_folders_and_no_lesson_file_says_where_it_belongs() -> None:
    _, problems = authored.read_zip(raw_zip([("a/lesson.toml", b"x"), ("b/x.md", b"y")]))
    assert "the zip has no lesson.toml" in messages(problems)


def test_every_problem_of_an_uploaded_lesson_is_shown_with_its_path() -> None:
    toml = replaced('metric = "latency_p95_ms"', 'metric = "latency_p95"', files()["lesson.toml"])
    toml = replaced("minutes = 10", "minutes = 10000", toml)
    got, _ = authored.read_zip(lesson_zip(changes={"lesson.toml": toml, "designs/start.json": '{"format": 1}'}))
    lesson, problems = authored.check_files(got)
    paths = {p["path"] for p in problems}
    assert lesson is None
    assert {"lesson.toml: steps[0].goals[0].metric", "lesson.toml: minutes"} <= paths
    assert any(p.startswith("designs/start.json") for p in paths), paths


def test_a_lesson_folder_may_not_take_an_authored_id(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('id = "first-lesson"', 'id = "t-0123456789abcdef"'),
                          name="t-0123456789abcdef")
    with pytest.raises(Exception) as info:
        load_lesson(folder)
    assert "name teachers' uploaded lessons and challenges" in str(info.value.problems)  # type: ignore[attr-defined]


# -- challenge documents ---------------------------------------------------------------------

def test_a_challenge_document_is_a_one_step_lesson() -> None:
    _, lesson, points, problems = challenge.check(challenge_document())
    assert lesson is not None, messages(problems)
    assert [s.id for s in lesson.steps] == ["challenge"] and points == {"g1": 3, "errors-while-down": 2}
    assert lesson.steps[0].goals[0]["text"] == "P95 latency at most 100 ms"


def test_a_challenge_with_bad_goals_gets_every_problem_with_its_path() -> None:
    doc = challenge_document(goals=[
        {"metric": "latency_p95", "compare": "<=", "value": 1, "unit": "ms"},
        {"metric": "latency_p95_ms", "compare": "<=", "value": 1, "unit": "s"},
        {"metric": "error_rate_pct", "scope": {"node": "nope"}, "compare": "<", "value": 1, "unit": "%"},
        {"metric": "hit_ratio_pct", "scope": {"edge": "e1"}, "compare": ">=", "value": 1, "unit": "%"},
        {"metric": "latency_p95_ms", "compare": "about", "value": "fast", "unit": "ms"},
    ])
    _, lesson, _, problems = challenge.check(doc)
    paths = {p["path"] for p in problems if p["severity"] == "error"}
    assert lesson is None
    assert {"$.goals[0].metric", "$.goals[1].unit", "$.goals[2].scope.node", "$.goals[3].scope.edge",
            "$.goals[4].compare", "$.goals[4].value"} <= paths, messages(problems)


def test_a_challenges_design_and_scenario_problems_point_at_their_fields() -> None:
    start = design(1)
    start["nodes"][1]["kind"] = "databse"
    doc = challenge_document(start=start)
    doc["scenario"]["faults"][0]["node"] = "nowhere"
    doc["scenario"]["seeds"] = []
    _, _, _, problems = challenge.check(doc)
    paths = {p["path"] for p in problems}
    assert "$.start.nodes[1].kind" in paths and "$.scenario.seeds" in paths, messages(problems)
    assert any(p.startswith("$.scenario.faults[0]") for p in paths), messages(problems)


def test_a_challenge_without_a_reference_is_saved_with_a_warning() -> None:
    doc = challenge_document()
    del doc["reference"]
    _, lesson, _, problems = challenge.check(doc)
    assert lesson is not None
    assert [p["path"] for p in problems if p["severity"] == "warning"] == ["$.reference"]


def test_a_challenge_document_that_is_not_an_object_or_lacks_fields_is_refused() -> None:
    assert challenge.check([1, 2])[3][0]["path"] == "$"
    paths = {p["path"] for p in challenge.check({"title": 3, "colour": "red"})[3]}
    assert {"$.title", "$.colour", "$.start", "$.scenario", "$.goals", "$.narrative"} <= paths


def test_a_challenges_step_passes_with_its_reference_and_fails_with_its_start() -> None:
    _, lesson, _, problems = challenge.check(challenge_document())
    assert lesson is not None, messages(problems)
    report = prove_lesson(lesson)
    assert report.teaches, report.text()
    step = lesson.steps[0]
    assert grade_step(step, lesson.design(step.reference)).passed
    assert not grade_step(step, lesson.design(step.start)).passed


# -- capture from a run ----------------------------------------------------------------------

def reference_run() -> dict[str, Any]:
    doc = challenge_document()
    topology, problems = scenario.apply(doc["reference"], doc["scenario"])
    assert not problems
    return run_design(topology, 1)


def test_captured_goals_are_passed_by_the_run_they_were_captured_from() -> None:
    run = reference_run()
    found = capture.suggestions(run, margin=0.25)
    doc = challenge_document(goals=[{k: v for k, v in g.items() if k not in ("measured", "measured_text", "margin")}
                                    for g in found])
    doc["scenario"]["seeds"] = [1]
    _, lesson, _, problems = challenge.check(doc)
    assert lesson is not None, messages(problems)
    assert grade_step(lesson.steps[0], doc["reference"]).passed


def test_captured_goals_have_the_stated_margin_rounded_outward() -> None:
    found = {g["id"]: g for g in capture.suggestions(reference_run(), margin=0.25)}
    assert {"p95", "p99", "throughput", "monthly-cost", "errors-during-one-down", "busy-api"} <= set(found)
    for goal in found.values():
        measured = goal["measured"]
        if goal["metric"] == "error_rate_pct" and measured * 1.25 < capture.ERROR_FLOOR_PCT:
            assert goal["value"] == capture.ERROR_FLOOR_PCT
        elif goal["compare"] == "<=":
            assert measured * 1.25 <= goal["value"] <= measured * 1.25 * 1.06 + 1e-9, goal
        else:
            assert measured * 0.75 * 0.94 - 1e-9 <= goal["value"] <= measured * 0.75, goal
        assert goal["margin"] == 0.25 and goal["measured_text"]


def test_readable_numbers_round_outward() -> None:
    assert capture.readable(84 * 1.25, up=True) == 105
    assert capture.readable(4831, up=True) == 4850
    assert capture.readable(197.3, up=False) == 195
    assert capture.readable(0.371, up=True) == 0.375


def test_a_margin_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        capture.suggestions(reference_run(), margin=5)


# -- stored and loaded under a key -----------------------------------------------------------

@pytest.fixture
def teacher(db: Any) -> User:
    user = User.objects.create_user("tina")
    grant_teacher(user=user)
    return user


@pytest.mark.django_db
def test_an_upload_is_stored_and_loaded_under_its_key(teacher: User) -> None:
    row, _ = authored_services.authored_upload(owner=teacher, data=lesson_zip())
    assert authored.KEY_PATTERN.match(row.key) and row.source == "upload"
    lesson = selectors.lesson_get(lesson_id=row.key)
    assert lesson is not None and lesson.id == row.key and lesson.title == "When one pool is not enough"
    assert [x.id for x in selectors.authored_list(owner=teacher)] == [row.key]
    assert all(not x.id.startswith("t-") for x in selectors.lesson_index().lessons)


@pytest.mark.django_db
def test_a_stored_lesson_loads_again_from_the_database_after_the_cache_is_gone(teacher: User) -> None:
    row, _ = authored_services.challenge_create(owner=teacher, document=challenge_document())
    selectors.authored_forget(key=row.key)
    lesson = selectors.lesson_get(lesson_id=row.key)
    assert lesson is not None and lesson.steps[0].id == "challenge" and Path(lesson.folder).is_dir()


@pytest.mark.django_db
def test_authored_lessons_are_listed_newest_first(teacher: User) -> None:
    first, _ = authored_services.challenge_create(owner=teacher, document=challenge_document(title="one"))
    second, _ = authored_services.challenge_create(owner=teacher, document=challenge_document(title="two"))
    assert [x.id for x in selectors.authored_list(owner=teacher)] == [second.key, first.key]


@pytest.mark.django_db
def test_only_a_teacher_uploads(db: Any) -> None:
    student = User.objects.create_user("stu")
    with pytest.raises(authored_services.AuthoredRefused) as info:
        authored_services.authored_upload(owner=student, data=lesson_zip())
    assert info.value.status == 403


@pytest.mark.django_db
def test_an_unknown_authored_key_is_no_lesson(db: Any) -> None:
    assert selectors.lesson_get(lesson_id="t-0000000000000000") is None
    assert selectors.lesson_get(lesson_id="t-../../etc") is None


def test_a_challenge_lesson_file_is_valid_toml_even_with_hostile_text() -> None:
    doc = challenge_document(title='a "quoted" \\ title\twith\x7fcontrol', hints=['"]\n[evil]'])
    got, _, problems = challenge.build(doc)
    lesson, found = authored.check_files(got)
    assert lesson is not None, messages(found)
    assert lesson.title == 'a "quoted" \\ title\twith\x7fcontrol' and lesson.steps[0].hints[0].text == '"]\n[evil]'
    assert json.loads(got["designs/start.json"])["nodes"][1]["id"] == "api"


def test_an_empty_narrative_is_refused_beside_the_lessons_other_problems() -> None:
    _, lesson, _, problems = challenge.check(challenge_document(narrative="  ", title=""))
    assert lesson is None and {"$.narrative", "$.title"} <= {p["path"] for p in problems}, messages(problems)

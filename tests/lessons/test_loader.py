"""The lesson loader against the mistakes a teacher makes: each reported with its path and a
sentence, every one at once, and a broken lesson listed as broken without breaking the index."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab.lessons.format import InvalidLesson
from lab.lessons.loader import check_lesson, load_all, load_lesson

from .fixtures import LESSON_TOML, design, replaced, write_lesson

REPO = Path(__file__).resolve().parents[2]


def errors(folder: Path) -> dict[str, str]:
    """path -> message of every error of the lesson."""
    return {p["path"]: p["message"] for p in check_lesson(folder) if p["severity"] == "error"}


def test_the_fixture_lesson_loads_with_its_step_scenario_and_designs(tmp_path: Path) -> None:
    lesson = load_lesson(write_lesson(tmp_path))
    step = lesson.steps[0]
    assert (lesson.id, lesson.minutes, step.id) == ("first-lesson", 10, "add-instances")
    assert step.scenario.seeds == (1, 2) and step.scenario.seeds_needed == 2
    assert step.scenario.fault_ids == ("one-instance-down",)
    assert [g["id"] for g in step.goals] == ["p95", "errors-while-down"]
    assert [h.text[:4] for h in step.hints] == ["Open", "Each"]
    assert step.predictions[0].metric == "latency_p95_ms"
    assert lesson.design(step.reference)["nodes"][1]["params"]["instances"] == 3
    assert step.narrative_markdown.startswith("# Lunchtime")
    assert check_lesson(write_lesson(tmp_path)) == []


def test_a_toml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('minutes = 10', 'minutes 10'))
    message = errors(folder)["lesson.toml"]
    assert "not valid TOML" in message and "line 6" in message


def test_an_unknown_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('narrative = "steps/', 'narative = "steps/'))
    found = errors(folder)
    assert "did you mean 'narrative'?" in found["lesson.toml: steps[0].narative"]
    assert "needs 'narrative'" in found["lesson.toml: steps[0]"]


def test_a_duplicate_step_id_is_reported(tmp_path: Path) -> None:
    second = LESSON_TOML[LESSON_TOML.index("[[steps]]"):].replace('start = "designs/start.json"', 'start = "previous"')
    folder = write_lesson(tmp_path, toml=LESSON_TOML + "\n" + second)
    assert "two steps have the id 'add-instances'" in errors(folder)["lesson.toml: steps[1].id"]


def test_the_first_step_cannot_start_from_the_previous_step(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('start = "designs/start.json"', 'start = "previous"'))
    assert "first step has no previous step" in errors(folder)["lesson.toml: steps[0].start"]


def test_a_later_step_may_start_from_the_previous_steps_reference(tmp_path: Path) -> None:
    second = (LESSON_TOML[LESSON_TOML.index("[[steps]]"):].replace('id = "add-instances"', 'id = "again"', 1)
              .replace('start = "designs/start.json"', 'start = "previous-reference"'))
    lesson = load_lesson(write_lesson(tmp_path, toml=LESSON_TOML + "\n" + second))
    assert lesson.steps[1].start == "previous-reference"
    assert lesson.start_design(1) == lesson.design("designs/reference.json")


def test_a_missing_file_is_reported_with_a_near_name(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('reference = "designs/reference.json"',
                                                  'reference = "designs/referense.json"'))
    message = errors(folder)["lesson.toml: steps[0].reference"]
    assert "no file 'designs/referense.json'" in message and "did you mean 'designs/reference.json'?" in message


@pytest.mark.parametrize("path", ["../outside.json", "designs/../../outside.json", "/etc/passwd"])
def test_a_path_leaving_the_lesson_folder_is_refused(tmp_path: Path, path: str) -> None:
    (tmp_path / "outside.json").write_text(json.dumps(design(3)))
    folder = write_lesson(tmp_path, toml=replaced('reference = "designs/reference.json"', f'reference = "{path}"'))
    message = errors(folder)["lesson.toml: steps[0].reference"]
    assert "outside the lesson folder" in message or "absolute path" in message


def test_a_symlink_out_of_the_lesson_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.json").write_text(json.dumps(design(3)))
    folder = write_lesson(tmp_path)
    (folder / "designs" / "reference.json").unlink()
    (folder / "designs" / "reference.json").symlink_to(tmp_path / "outside.json")
    assert "link that leads outside" in errors(folder)["lesson.toml: steps[0].reference"]


def test_an_invalid_reference_topology_is_reported_at_its_json_path(tmp_path: Path) -> None:
    broken = design(3)
    broken["nodes"][2]["kind"] = "databse"
    folder = write_lesson(tmp_path, {"designs/reference.json": json.dumps(broken)})
    message = errors(folder)["designs/reference.json: $.nodes[2].kind"]
    assert "did you mean 'database'?" in message


def test_a_hint_with_no_text_is_reported(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('text = "Each instance serves', 'text = "  "\nold = "Each instance serves'))
    found = errors(folder)
    assert found["lesson.toml: steps[0].hints[1].text"] == "text must not be empty"


def test_a_step_without_a_hollow_design_is_reported(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('hollow = ["designs/hollow-faster-db.json"]', 'hollow = []'))
    assert "at least one hollow design" in errors(folder)["lesson.toml: steps[0].hollow"]


def test_an_unknown_metric_in_a_goal_is_reported(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('metric = "latency_p95_ms"', 'metric = "latency_p95"'))
    assert "unknown metric 'latency_p95'" in errors(folder)["lesson.toml: steps[0].goals[0].metric"]


@pytest.mark.parametrize("key, written", [("metric", "[1, 2]"), ("metric", "{ a = 1 }"), ("compare", "[]"),
                                          ("compare", "{ node = \"api\" }")])
def test_a_list_or_a_table_where_a_name_goes_is_reported_not_raised(tmp_path: Path, key: str, written: str) -> None:
    old = 'metric = "latency_p95_ms"' if key == "metric" else 'compare = "<="'
    folder = write_lesson(tmp_path, toml=replaced(old, f"{key} = {written}"))
    assert f"lesson.toml: steps[0].goals[0].{key}" in errors(folder)


def test_a_goal_span_naming_a_fault_the_scenario_lacks_is_reported(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('span = { fault = "one-instance-down" }', 'span = { fault = "zone-b" }'))
    assert "no fault 'zone-b'" in errors(folder)["lesson.toml: steps[0].goals[1].span.fault"]


def test_a_traffic_source_missing_from_the_designs_is_reported(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('source = "users"', 'source = "visitors"'))
    assert "the reference design has no traffic source 'visitors'" in errors(folder)[
        "lesson.toml: steps[0].scenario.traffic[0].source"]


def test_traffic_parameters_are_checked_like_the_topologys(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('pattern = "steady"', 'pattern = "constant"'))
    assert "pattern" in errors(folder)["lesson.toml: steps[0].scenario.traffic[0].params.pattern"]


def test_a_fault_on_a_node_the_reference_lacks_is_reported(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('node = "api"', 'node = "apy"'))
    message = errors(folder)["lesson.toml: steps[0].scenario.faults[0].node"]
    assert "which the reference design does not have" in message and "did you mean 'api'?" in message


def test_a_fault_field_unknown_to_the_topology_format_is_reported(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('duration_s = 10\n', 'end_s = 25\n'))
    assert "end_s" in errors(folder)["lesson.toml: steps[0].scenario.faults[0].end_s"]


def test_a_palette_that_cannot_build_the_reference_is_reported(tmp_path: Path) -> None:
    with_cache = design(3)
    with_cache["nodes"].append({"id": "cache", "kind": "cache"})
    with_cache["edges"] = [{"from": "users", "to": "api"}, {"from": "api", "to": "cache"}, {"from": "cache", "to": "db"}]
    folder = write_lesson(tmp_path, {"designs/reference.json": json.dumps(with_cache)})
    assert "uses cache" in errors(folder)["lesson.toml: steps[0].palette"]


def test_a_raw_html_narrative_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, {"steps/add-instances.md": "# Title\n\nText\n\n<script>alert(1)</script>\n"})
    assert "raw HTML is not allowed" in errors(folder)["steps/add-instances.md: line 5"]


def test_every_problem_of_a_lesson_is_reported_at_once(tmp_path: Path) -> None:
    toml = replaced('metric = "latency_p95_ms"', 'metric = "p95"')
    toml = replaced('hollow = ["designs/hollow-faster-db.json"]', 'hollow = []', toml)
    toml = replaced('start = "designs/start.json"', 'start = "previous"', toml)
    toml = replaced('text = "Open the API', 'text = ""\nx = "Open the API', toml)
    folder = write_lesson(tmp_path, {"designs/alt-bigger-pool.json": "{ not json"}, toml=toml)
    with pytest.raises(InvalidLesson) as caught:
        load_lesson(folder)
    paths = {p["path"] for p in caught.value.problems}
    assert {"lesson.toml: steps[0].goals[0].metric", "lesson.toml: steps[0].hollow", "lesson.toml: steps[0].start",
            "lesson.toml: steps[0].hints[0].text", "lesson.toml: steps[0].hints[0].x",
            "designs/alt-bigger-pool.json: $"} <= paths
    assert all(p["message"] and p["severity"] in ("error", "warning") for p in caught.value.problems)


def test_the_lesson_id_must_be_its_folder_name(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, name="other-name")
    assert "must be the folder's name, 'other-name'" in errors(folder)["lesson.toml: id"]


def test_a_lesson_cannot_take_an_id_the_lessons_api_uses_for_itself(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, toml=replaced('id = "first-lesson"', 'id = "progress"'), name="progress")
    assert "a name the lab's addresses use" in errors(folder)["lesson.toml: id"]


def test_a_broken_lesson_is_listed_as_broken_while_a_good_one_loads(tmp_path: Path) -> None:
    write_lesson(tmp_path)
    write_lesson(tmp_path, name="broken-one", toml="not toml =")
    (tmp_path / "empty-folder").mkdir()
    index = load_all(tmp_path)
    assert [lesson.id for lesson in index.lessons] == ["first-lesson"]
    assert [b.id for b in index.broken] == ["broken-one", "empty-folder"]
    assert "no lesson.toml" in index.broken[1].problems[0]["message"]
    assert index.get("first-lesson") is index.lessons[0] and index.get("broken-one") is None


def test_lessons_are_listed_in_their_order(tmp_path: Path) -> None:
    write_lesson(tmp_path)
    toml = replaced('id = "first-lesson"', 'id = "a-second"', replaced("order = 1", "order = 2"))
    write_lesson(tmp_path, name="a-second", toml=toml)
    assert [lesson.id for lesson in load_all(tmp_path).lessons] == ["first-lesson", "a-second"]


def test_the_lessons_package_imports_no_django() -> None:
    code = ("import sys; import lab.lessons.loader, lab.lessons.render, lab.lessons.schema, lab.lessons.format; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'channels', 'daphne')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

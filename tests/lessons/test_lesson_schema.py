"""The JSON Schema of lesson.toml: generated from the loader's own field tables, checked in,
and kept current by this test (as tests/sim/test_schema.py keeps the topology's)."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import lab.lessons
from lab.lessons.schema import lesson_schema, schema_text

from .fixtures import LESSON_TOML, replaced

SCHEMA_FILE = Path(lab.lessons.__file__).parent / "lesson.schema.json"
CONTENT = Path(lab.lessons.__file__).parent / "content"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def errors(validator: Draft202012Validator, toml: str) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(tomllib.loads(toml))]


def test_the_checked_in_schema_is_what_the_code_generates() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "lab/lessons/lesson.schema.json is out of date; regenerate it with "
        "`python -m lab.lessons.schema > lab/lessons/lesson.schema.json`")


def test_the_schema_is_a_valid_draft_2020_12_schema_of_plain_json() -> None:
    Draft202012Validator.check_schema(lesson_schema())
    assert json.loads(json.dumps(lesson_schema(), allow_nan=False)) == lesson_schema()


def test_the_fixture_lesson_validates(validator: Draft202012Validator) -> None:
    assert errors(validator, LESSON_TOML) == []


@pytest.mark.parametrize("path", sorted(CONTENT.glob("*/lesson.toml")), ids=lambda p: p.parent.name)
def test_every_shipped_lesson_validates(validator: Draft202012Validator, path: Path) -> None:
    assert errors(validator, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("old", "new"), [
    ('narrative = "steps/', 'narative = "steps/'),           # an unknown key
    ('compare = "<="', 'compare = "=<"'),                     # not a comparison
    ('seeds = [1, 2]', 'seeds = []'),                         # no seed
    ('hollow = ["designs/hollow-faster-db.json"]', 'hollow = []'),
    ('reference = "designs/reference.json"', 'reference = "../x.json"'),
    ('id = "add-instances"', 'id = "Add Instances"'),
    ('palette = ["service_pool"', 'palette = ["service_pol"'),
    ('kind = "crash_instances"', 'kind = "crash_instance"'),
    ('span = "measured"\ncompare', 'span = "sometimes"\ncompare'),
])
def test_the_schema_rejects_a_mistake(validator: Draft202012Validator, old: str, new: str) -> None:
    assert errors(validator, replaced(old, new))

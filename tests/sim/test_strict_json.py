"""The one strict JSON reader: what it accepts, what it refuses and how it says so, and the
scrub that keeps documents stored before it readable."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.sim.strict_json import MAX_DEPTH, JsonRefused, check_size, loads, scrub

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"
LIMIT = 10_000


def refusal(data: str | bytes, **kw: object) -> JsonRefused:
    with pytest.raises(JsonRefused) as caught:
        loads(data, max_bytes=kw.pop("max_bytes", LIMIT), **kw)  # type: ignore[arg-type]
    problem = caught.value.problems
    assert len(problem) == 1 and problem[0]["severity"] == "error" and problem[0]["message"]
    # The refusal itself must be sendable as UTF-8, whatever the input held.
    json.dumps(problem, ensure_ascii=False).encode("utf-8")
    return caught.value


def test_it_reads_what_json_means_from_text_bytes_and_buffers() -> None:
    text = '{"a": [1, 2.5, true, null, "x\\u00e9\\ud83d\\ude00"], "b": {}}'
    expected = {"a": [1, 2.5, True, None, "x\u00e9\U0001F600"], "b": {}}
    for data in (text, text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        assert loads(data, max_bytes=LIMIT) == expected


def test_every_example_topology_reads_the_same_as_with_pythons_json() -> None:
    for path in EXAMPLES.glob("*.json"):
        assert loads(path.read_bytes(), max_bytes=2_000_000) == json.loads(path.read_text())


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_it_refuses_the_constants_json_does_not_have(constant: str) -> None:
    exc = refusal(f'{{"x": {constant}}}')
    assert exc.status == 400 and constant in str(exc)


def test_it_reads_a_number_too_large_for_a_float_as_infinity_for_validation_to_name() -> None:
    # The topology's validation reports the field ("must be finite"), which says more than "$".
    assert loads("[1e999]", max_bytes=LIMIT) == [float("inf")]


def test_it_refuses_an_integer_of_thousands_of_digits_in_words() -> None:
    exc = refusal("1" * 5000)
    assert "5,000 digits" in str(exc) and "set_int_max_str_digits" not in str(exc)
    assert loads("9" * 400, max_bytes=LIMIT) == int("9" * 400)


@pytest.mark.parametrize("text, path", [
    ('"\\ud800"', "$"),
    ('{"nodes": [{"id": "a"}, {"label": "x\\udfff"}]}', "$.nodes[1].label"),
    ('{"ok": 1, "\\udc00": 2}', '$["\ufffd"]'),
    ('["\\ude00\\ud83d"]', "$[0]"),  # a pair in the wrong order is two lone halves
])
def test_it_refuses_a_lone_surrogate_and_says_where_it_is(text: str, path: str) -> None:
    exc = refusal(text)
    assert exc.status == 400 and f"surrogate at {path} " in str(exc) and exc.problems[0]["path"] == "$"


def test_it_refuses_a_lone_surrogate_in_text_handed_over_as_a_python_string() -> None:
    assert "surrogate at $.a " in str(refusal('{"a": "\ud800"}'))


def test_an_escaped_backslash_before_u_d800_is_just_text() -> None:
    assert loads('["\\\\ud800"]', max_bytes=LIMIT) == ["\\ud800"]


@pytest.mark.parametrize("data", [b"\xff\xfe{}", b'{"a": "\xc3\x28"}', b'"\xed\xa0\x80"', b'"\xc0\xaf"'])
def test_it_refuses_bytes_that_are_not_utf8_including_encoded_surrogates(data: bytes) -> None:
    assert "not UTF-8" in str(refusal(data))


def test_it_skips_a_byte_order_mark_as_notepad_writes_it() -> None:
    assert loads(b'\xef\xbb\xbf{"a": 1}', max_bytes=LIMIT) == {"a": 1}


def test_it_refuses_a_key_twice_in_one_object_even_a_surrogate_one() -> None:
    assert "'a' appears twice" in str(refusal('{"a": 1, "b": {"c": 2}, "a": 3}'))
    assert "'\ufffd' appears twice" in str(refusal('{"\\ud800": 1, "\\ud800": 2}'))


def test_it_refuses_nesting_deeper_than_the_limit_before_parsing_it() -> None:
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH, max_bytes=LIMIT) is not None
    assert "nested more than" in str(refusal("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)))
    assert "nested more than" in str(refusal('{"a":' * 5000, max_bytes=10**6))
    started = time.perf_counter()
    refusal("[" * 1_000_000, max_bytes=2_000_000)
    assert time.perf_counter() - started < 1


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"s": "[{" * 500, "t": 'a"\\[' * 100})
    assert loads(text, max_bytes=LIMIT)["s"] == "[{" * 500


def test_it_refuses_input_over_the_limit_with_413_and_both_sizes() -> None:
    exc = refusal(b" " * (LIMIT + 1), what="the file")
    assert exc.status == 413 and str(exc) == "the file is 10,001 bytes; the limit is 10,000 bytes"
    # A string is measured in UTF-8 bytes, not characters.
    assert refusal("\u00e9" * (LIMIT // 2 + 1)).status == 413
    assert loads(" " * (LIMIT - 2) + "{}", max_bytes=LIMIT) == {}


def test_check_size_words_a_known_length_like_the_reader() -> None:
    check_size(LIMIT, max_bytes=LIMIT)
    with pytest.raises(JsonRefused) as caught:
        check_size(LIMIT + 1, max_bytes=LIMIT)
    assert caught.value.status == 413 and str(caught.value) == "the request body is 10,001 bytes; the limit is 10,000 bytes"


def test_an_empty_input_is_refused_unless_given_a_value() -> None:
    assert "is empty" in str(refusal(b"  \n"))
    assert loads(b"", max_bytes=LIMIT, empty=None) is None


def test_broken_json_is_refused_with_where_it_breaks() -> None:
    exc = refusal('{"a": 1,\n "b": [}', what="the message")
    assert str(exc).startswith("the message is not valid JSON") and "line 2" in str(exc)


def test_scrub_replaces_each_lone_surrogate_in_values_and_keys() -> None:
    stored = {"name": "caf\u00e9 \ud800!", "nodes": [{"label": "\udc00\udc01", "\ud800": 1}], "n": 2.5}
    assert scrub(stored) == {"name": "caf\u00e9 \ufffd!", "nodes": [{"label": "\ufffd\ufffd", "\ufffd": 1}], "n": 2.5}
    json.dumps(scrub(stored), ensure_ascii=False).encode("utf-8")


def test_scrub_returns_a_clean_document_itself_without_copying() -> None:
    doc = json.loads((EXAMPLES / "reference.json").read_text())
    assert scrub(doc) is doc
    assert scrub("plain") == "plain"


def test_the_reader_imports_nothing_but_the_standard_library() -> None:
    code = "import sys, lab.sim.strict_json; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"

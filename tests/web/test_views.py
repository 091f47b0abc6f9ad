"""The lab page. (What it asks of the REST API is tested in tests/api/test_api_lab.py.)"""
from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.test import Client


from .conftest import EXAMPLES

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: object) -> object:
    return client.post(url, data=json.dumps(body) if not isinstance(body, (bytes, str)) else body,
                       content_type="application/json")


def test_the_lab_page_lists_the_examples_and_carries_the_catalogue_as_json(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "One WordPress VM and its database" in html
    assert 'id="catalogue-data" type="application/json"' in html
    assert "csrftoken" in response.cookies


def test_no_example_in_the_picker_is_named_as_a_step_of_a_story(client: Client) -> None:
    # The picker sorts examples by file name, so "Step 1", "Step 3"... read out of order there;
    # the numbered story is the startup-growth lesson's.
    html = client.get("/").content.decode()
    picker = html[html.index('<select id="example">'):]
    names = [unescape(n) for n in re.findall(r'<option value="[^"]+" title="[^"]*">([^<]*)</option>',
                                            picker[:picker.index("</select>")])]
    assert len(names) == len(list(EXAMPLES.glob("*.json")))
    assert [n for n in names if re.match(r"Step \d", n)] == []


def test_pages_answer_head_requests_like_get_without_a_body(client) -> None:
    # Link checkers and uptime monitors ask with HEAD.
    for path in ("/", "/gallery"):
        response = client.head(path)
        assert response.status_code == 200 and response.content == b""

"""Narrative Markdown renders to HTML a page can insert as it is: what a teacher writes in
Markdown shows, and nothing in a lesson file can run script in a learner's browser."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from lab.lessons.render import markdown_problems, render

from .fixtures import write_lesson

PREFIX = "/lessons/first-lesson/files/"


def html_of(folder: Path, text: str) -> str:
    return render(text, folder=folder, source="steps/add-instances.md", image_prefix=PREFIX)


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of the HTML as a browser's parser sees it: (tag, attributes)."""
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_lesson(tmp_path)


def test_headings_lists_code_tables_and_links_render(folder: Path) -> None:
    html = html_of(folder, "# Title\n\n- one\n- two\n\n`x = 1`\n\n```\nprint(1)\n```\n\n"
                           "| a | b |\n|--:|---|\n| 1 | 2 |\n\n[docs](https://example.org/a)\n")
    for part in ("<h1>Title</h1>", "<li>one</li>", "<code>x = 1</code>", "<pre><code>print(1)",
                 '<th style="text-align:right">a</th>', "<td>2</td>"):
        assert part in html
    assert '<a href="https://example.org/a" rel="noopener noreferrer">docs</a>' in html


def test_a_script_tag_is_shown_as_text(folder: Path) -> None:
    html = html_of(folder, "<script>alert(1)</script>\n")
    assert [tag for tag, _ in elements(html)] == ["p"] and "&lt;script&gt;" in html


def test_raw_html_is_shown_as_text(folder: Path) -> None:
    html = html_of(folder, 'Some <b>bold</b> and <iframe src="https://evil.example"></iframe> <style>p{}</style>\n')
    assert [tag for tag, _ in elements(html)] == ["p"]


def test_an_onerror_attribute_never_reaches_the_page(folder: Path) -> None:
    html = html_of(folder, '<img src="x" onerror="alert(1)">\n\n![a](../images/diagram.png "t\\" onerror=\\"alert(1)")\n')
    assert [tag for tag, _ in elements(html)] == ["p", "p", "img"]
    assert not [name for _, attrs in elements(html) for name in attrs if name.startswith("on")]


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>x</b>",
                                  "vbscript:x", "other.md"])
def test_a_link_to_anything_but_the_web_or_mail_is_dropped(folder: Path, href: str) -> None:
    html = html_of(folder, f"[click]({href})\n")
    assert "href" not in html and "click" in html


def test_an_image_from_the_lesson_folder_is_rewritten_to_the_callers_prefix(folder: Path) -> None:
    html = html_of(folder, "![the design](../images/diagram.png)\n")
    assert f'<img src="{PREFIX}images/diagram.png" alt="the design">' in html


@pytest.mark.parametrize("src", ["https://example.org/x.png", "/etc/x.png", "../../outside.png",
                                 "data:image/png;base64,AAAA", "../images/missing.png", "../lesson.toml"])
def test_an_image_from_outside_the_lesson_folder_is_dropped_and_reported(folder: Path, src: str) -> None:
    (folder.parent / "outside.png").write_bytes(b"x")
    text = f"Before\n\n![alt text]({src})\n"
    html = html_of(folder, text)
    assert "<img" not in html and "alt text" in html
    problems = markdown_problems(text, folder=folder, source="steps/add-instances.md")
    assert [p["path"] for p in problems] == ["steps/add-instances.md: line 3"]


def test_what_would_be_dropped_is_reported_with_its_line(folder: Path) -> None:
    text = "# Title\n\n<div>hi</div>\n\nA [bad](javascript:alert(1)) link and <b>bold</b>.\n"
    problems = markdown_problems(text, folder=folder, source="steps/a.md")
    assert {p["path"] for p in problems} == {"steps/a.md: line 3", "steps/a.md: line 5"}
    assert any("javascript:" in p["message"] for p in problems)


def test_plain_markdown_has_no_problems(folder: Path) -> None:
    text = (folder / "steps" / "add-instances.md").read_text()
    assert markdown_problems(text, folder=folder, source="steps/add-instances.md") == []

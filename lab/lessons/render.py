"""A step's Markdown narrative, rendered to HTML a page can insert, and checked at load time.

Two walls: markdown-it-py renders with raw HTML off (a `<script>` is shown as text), and nh3
(the Ammonia sanitizer) then keeps only the tags and attributes a narrative needs, so a bug or
a future option in the renderer still cannot let script, style, iframes or event handlers
through. Links may go to http(s), mailto or an anchor; images only to files of the lesson
folder, rewritten to a URL prefix the caller serves them from. Whatever the renderer drops,
`markdown_problems` reports when the lesson loads, so the author learns why it vanished.
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from lab.sim.problems import Problem, problem

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
LINK_SCHEMES = ("http", "https", "mailto")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

_md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
# Only to find raw HTML so it can be reported; never used to render.
_md_html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "em", "strong", "code", "pre", "a", "img",
         "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "s", "del"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"},
               "th": {"style"}, "td": {"style"}}


def image_path(src: str, *, folder: Path, source: str) -> tuple[str | None, str | None]:
    """The path inside the lesson folder an image `src` names (relative to the Markdown file
    `source`, as a Markdown previewer reads it), or None and the reason it is refused."""
    src = unquote(src)
    if not src or _SCHEME.match(src) or src.startswith(("/", "\\")) or "\\" in src:
        return None, (f"the image {src!r} is not a file of the lesson folder; images must be relative paths "
                      "such as ../images/diagram.png")
    if "?" in src or "#" in src:
        return None, f"the image {src!r} has a query or fragment; name the file only"
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(source), src))
    if rel == ".." or rel.startswith("../"):
        return None, f"the image {src!r} is outside the lesson folder"
    if not rel.lower().endswith(IMAGE_SUFFIXES):
        return None, f"the image {src!r} is not a picture file ({', '.join(IMAGE_SUFFIXES)})"
    full = folder / rel
    try:
        inside = full.resolve().is_relative_to(folder.resolve())
    except OSError:
        inside = False
    if not inside:
        return None, f"the image {src!r} is a link that leads outside the lesson folder"
    if not full.is_file():
        return None, f"the image {src!r} does not exist (looked for {rel} in the lesson folder)"
    return rel, None


def _link_ok(href: str) -> bool:
    if href.startswith("#"):
        return True
    match = _SCHEME.match(href)
    return match is not None and match.group(0)[:-1].lower() in LINK_SCHEMES and not href.startswith("//")


def _inline_children(tokens: list[Token]) -> list[tuple[Token, int]]:
    """Every inline token's children, with the 1-based line of its block."""
    found: list[tuple[Token, int]] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            line = token.map[0] + 1 if token.map else 0
            found.extend((child, line) for child in token.children)
    return found


def _as_text(token: Token, text: str) -> None:
    token.type, token.tag, token.attrs, token.children, token.content, token.nesting = "text", "", {}, None, text, 0


def render(text: str, *, folder: Path, source: str, image_prefix: str) -> str:
    """Safe HTML for the Markdown `text` of file `source` (a path inside `folder`). Images
    become `image_prefix` + their path in the folder; refused images become their alt text,
    refused links their text."""
    tokens = _md.parse(text)
    children = [child for child, _ in _inline_children(tokens)]
    dropping_link = False
    for child in children:
        if child.type == "image":
            rel, _ = image_path(str(child.attrGet("src") or ""), folder=folder, source=source)
            if rel is None:
                _as_text(child, child.content)
            else:
                child.attrSet("src", image_prefix + quote(rel))
        elif child.type == "link_open" and not _link_ok(str(child.attrGet("href") or "")):
            _as_text(child, "")
            dropping_link = True
        elif child.type == "link_close" and dropping_link:
            _as_text(child, "")
            dropping_link = False
    html = _md.renderer.render(tokens, _md.options, {})
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=set(LINK_SCHEMES),
                     link_rel="noopener noreferrer", filter_style_properties={"text-align"},
                     strip_comments=True)


def markdown_problems(text: str, *, folder: Path, source: str) -> list[Problem]:
    """Every part of the Markdown that `render` would drop, each with its file and line."""
    problems: list[Problem] = []
    raw = _md_html.parse(text)
    for token in raw:
        if token.type == "html_block":
            line = token.map[0] + 1 if token.map else 0
            problems.append(problem(f"{source}: line {line}", "raw HTML is not allowed (it is shown as plain text); "
                                                             "write it in Markdown instead"))
    for child, line in _inline_children(raw):
        if child.type == "html_inline":
            problems.append(problem(f"{source}: line {line}", f"raw HTML {child.content[:40]!r} is not allowed "
                                                             "(it is shown as plain text); write it in Markdown instead"))
    for child, line in _inline_children(_md.parse(text)):
        if child.type == "image":
            _, reason = image_path(str(child.attrGet("src") or ""), folder=folder, source=source)
            if reason:
                problems.append(problem(f"{source}: line {line}", reason))
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if not _link_ok(href):
                problems.append(problem(f"{source}: line {line}", f"the link {href[:60]!r} is not allowed: links go to "
                                                                 "http(s) or mailto addresses, or to #anchors"))
        elif child.type == "text" and re.search(r"\]\((?:javascript|data|vbscript):", child.content, re.I):
            # markdown-it refuses such a link and leaves its source as text: say so.
            problems.append(problem(f"{source}: line {line}", "a javascript:, data: or vbscript: link is not allowed"))
    return problems

"""The front end's modules keep to STYLE.md rule 11 (no bundler, one small module per concern,
textContent for user strings): read as text, no browser needed. static/vendor is not ours."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[2] / "static" / "js"
MODULES = sorted(JS.rglob("*.js"))
MAX_LINES = 220
# The one module that may touch these DOM calls: everything else imports its helpers.
DOM = JS / "dom.js"
CATALOGUE = JS / "catalogue.js"
OWN_HELPER = re.compile(
    r"\bconst\s+\$\s*=|\bfunction\s+\$\s*\(|\bfunction\s+el\s*\(|\bconst\s+el\s*=\s*\("
    r"|document\.getElementById\s*\(|document\.createElement\s*\("
)
IMPORT = re.compile(r"""(?:\bfrom\s+|\bimport\s*\(\s*)["'](\.{1,2}/[^"']+)["']""")


def name(path: Path) -> str:
    return str(path.relative_to(JS))


def test_there_are_modules_to_check() -> None:
    assert DOM in MODULES and len(MODULES) > 20


@pytest.mark.parametrize("module", MODULES, ids=name)
def test_a_module_stays_small(module: Path) -> None:
    lines = len(module.read_text().splitlines())
    assert lines <= MAX_LINES, f"{name(module)} has {lines} lines: split it by concern (STYLE.md rule 11)"


@pytest.mark.parametrize("module", [m for m in MODULES if m != DOM], ids=name)
def test_a_module_uses_the_shared_dom_helpers_instead_of_its_own(module: Path) -> None:
    found = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(module.read_text().splitlines(), 1)
        if OWN_HELPER.search(line)
    ]
    assert not found, f"{name(module)}: import $ / el from ./dom.js instead of\n" + "\n".join(found)


@pytest.mark.parametrize("module", MODULES, ids=name)
def test_html_goes_into_the_page_only_where_the_server_sanitised_it(module: Path) -> None:
    # User strings go in as textContent; the only HTML is the server's rendered Markdown.
    for number, line in enumerate(module.read_text().splitlines(), 1):
        if re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", line):
            assert "sanitised on the server" in line, f"{name(module)}:{number}: {line.strip()}"


@pytest.mark.parametrize("module", [m for m in MODULES if m != CATALOGUE], ids=name)
def test_only_the_catalogue_module_reads_the_catalogue(module: Path) -> None:
    assert "catalogue-data" not in module.read_text(), f"{name(module)}: use catalogue.js"


@pytest.mark.parametrize("module", MODULES, ids=name)
def test_every_relative_import_names_a_module_that_exists(module: Path) -> None:
    # No bundler checks this for us: a module moved or renamed without its importers is a
    # page that stops at its first import.
    for target in IMPORT.findall(module.read_text()):
        assert (module.parent / target).resolve().is_file(), f"{name(module)} imports {target}, which does not exist"

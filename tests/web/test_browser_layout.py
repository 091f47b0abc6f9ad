"""The lab page laid out for learning, in Debian's Chromium at a laptop's and a tablet's size: the
canvas takes most of the screen with labels readable at the fitted zoom, the side and bottom
panels collapse and stay so, the JSON view is one click away, nothing overflows sideways.
Screenshots go to test-artifacts/layout-*.png."""
from __future__ import annotations

import json

import pytest

from .test_browser import open_lab, shot

pytestmark = pytest.mark.browser

# The rendered size of a node's label: its CSS font size times the canvas zoom, as on screen.
LABEL_PX = """(id) => {
    const text = document.querySelector(`#canvas [model-id="${id}"] text`);
    return parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a;
}"""
AREA = "(el) => { const r = el.getBoundingClientRect(); return r.width * r.height; }"
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def first_node(page: object) -> str:
    page.wait_for_selector("#canvas .joint-element")
    return page.eval_on_selector("#topology", "t => JSON.parse(t.value).nodes[0].id")


@pytest.mark.parametrize("width,height", [(1280, 800), (1024, 768)])
def test_the_canvas_takes_most_of_the_screen_with_readable_labels_and_nothing_overflows(
        live_lab: str, browser: object, width: int, height: int) -> None:
    page, errors = open_lab(browser, live_lab, width=width, height=height)
    node = first_node(page)
    shot(page, f"layout-{width}x{height}-opened")
    assert page.evaluate(OVERFLOW) <= 0
    canvas = page.eval_on_selector("#canvas", AREA)
    charts = page.eval_on_selector("#panel-charts", AREA)
    inspector = page.eval_on_selector("#panel-inspector", AREA)
    assert canvas > charts and canvas > inspector, (canvas, charts, inspector)
    assert page.locator("#canvas").bounding_box()["y"] < height / 4  # the canvas starts near the top
    assert page.evaluate(LABEL_PX, node) >= 11

    # The widest examples too: shown at a readable zoom, the rest a drag away.
    page.select_option("#example", "api_gateway_spa")
    page.wait_for_function("document.getElementById('topology').value.includes('An API gateway for a single-page app')")
    node = first_node(page)
    assert page.evaluate(LABEL_PX, node) >= 11
    page.click("#fit")
    assert page.evaluate(LABEL_PX, node) >= 11
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, f"layout-{width}x{height}-wide-example")
    assert errors == []


def test_a_large_screen_has_no_overflow_either(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab)  # 1500 x 1100
    first_node(page)
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "layout-1500x1100-opened")
    assert errors == []


def test_panels_collapse_and_expand_from_mouse_or_keyboard_and_stay_so_after_a_reload(
        live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab, width=1280, height=800)
    first_node(page)
    canvas_before = page.eval_on_selector("#canvas", AREA)
    for name in ("inspector", "charts", "details"):
        toggle = page.locator(f"#{name}-toggle")
        assert toggle.get_attribute("aria-expanded") == "true"
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.is_visible("#inspector") and not page.is_visible("#chart-throughput")
    assert not page.is_visible("#nodes")
    shot(page, "layout-1280x800-collapsed")

    page.reload()
    first_node(page)
    assert page.get_attribute("#inspector-toggle", "aria-expanded") == "false"
    assert not page.is_visible("#inspector") and not page.is_visible("#chart-throughput")
    assert page.eval_on_selector("#canvas", AREA) >= canvas_before  # the canvas never loses room

    # The keyboard opens them again: a toggle is a button, Enter and Space work on it.
    page.focus("#inspector-toggle")
    page.keyboard.press("Enter")
    page.focus("#charts-toggle")
    page.keyboard.press(" ")
    assert page.is_visible("#inspector") and page.is_visible("#chart-throughput")
    assert page.get_attribute("#charts-toggle", "aria-expanded") == "true"
    page.reload()
    first_node(page)
    assert page.is_visible("#inspector") and page.is_visible("#chart-throughput") and not page.is_visible("#nodes")
    assert errors == []


def test_the_json_view_opens_with_one_click_and_shows_the_topology(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab, width=1280, height=800)
    node = first_node(page)
    assert not page.is_visible("#topology")
    assert page.get_attribute("#json-toggle", "aria-expanded") == "false"
    page.click("#json-toggle")
    assert page.is_visible("#topology") and page.get_attribute("#json-toggle", "aria-expanded") == "true"
    assert f'"{node}"' in page.input_value("#topology")
    assert page.is_visible("#apply-json")
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "layout-1280x800-json")
    page.click("#json-view button.close")
    assert not page.is_visible("#topology")
    assert errors == []


# Every node's text inside its box: the widest line of its label against the box's width.
TEXT_FITS = """() => [...document.querySelectorAll('#canvas .joint-element')].filter((el) => el.querySelector('rect'))
    .map((el) => [el.getAttribute('model-id'), el.querySelector('text').getBBox().width, el.querySelector('rect').getBBox().width])"""


def test_node_labels_stay_inside_their_boxes_with_a_long_name_and_while_a_run_shows_its_load(
        live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab, width=1280, height=800)
    node = first_node(page)
    page.click(f"#canvas [model-id='{node}']")
    page.fill("#inspector input[name='label']", "A very long name for the users of the whole company")
    page.press("#inspector input[name='label']", "Enter")
    # The box shows the start of it; the tooltip keeps it whole.
    assert "A very long name" in page.text_content(f"#canvas [model-id='{node}'] text")
    assert "A very long name for the users of the whole company" in page.text_content(f"#canvas [model-id='{node}'] title")
    page.select_option("#speed", "0")
    page.click("#run")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Run ')", timeout=60_000)
    shot(page, "layout-1280x800-labels-running")
    for node_id, text_width, box_width in page.evaluate(TEXT_FITS):
        assert text_width <= box_width, (node_id, text_width, box_width)
    assert errors == []


# The most common laptop screen. Its canvas is about 880 px wide: the first example (api_gateway_spa,
# about 1050 px of design) is shown whole at 0.8x, the smallest readable zoom.
LAPTOP = {"width": 1366, "height": 768}
# How far inside the canvas each node's box is, on each side (left, right, top, bottom), on screen.
MARGINS = """() => { const c = document.getElementById('canvas').getBoundingClientRect();
    return [...document.querySelectorAll('#canvas .joint-element')].filter((el) => el.querySelector('rect')).map((el) => {
        const b = el.querySelector('rect').getBoundingClientRect();
        return [el.getAttribute('model-id'), b.left - c.left, c.right - b.right, b.top - c.top, c.bottom - b.bottom]; }); }"""
WHOLE = f"() => ({MARGINS})().every(([id, ...margins]) => Math.min(...margins) >= 0)"
ZOOM = "() => document.querySelector('#canvas .joint-element rect').getScreenCTM().a"
# A resize is seen (ResizeObserver) before the next frame is painted.
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def assert_every_node_is_in_view(page: object) -> None:
    for node, *margins in page.evaluate(MARGINS):
        assert min(margins) >= 0, (node, margins)


def pick_example(page: object, example: str) -> None:
    """Choose an example and wait for it to be on the canvas (its name in the JSON view)."""
    name = page.eval_on_selector("#topology", "t => JSON.parse(t.value).name")
    page.select_option("#example", example)
    page.wait_for_function(f"JSON.parse(document.getElementById('topology').value).name !== {json.dumps(name)}")


def test_a_wide_example_is_shown_whole_on_a_laptop_when_the_lab_opens_and_when_another_is_picked(
        live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab, **LAPTOP)
    node = first_node(page)
    assert page.input_value("#example") == "api_gateway_spa"
    shot(page, "layout-1366x768-opened")
    assert_every_node_is_in_view(page)
    assert page.evaluate(LABEL_PX, node) >= 11
    for wide in ("two_regions_geo_routing", "order_events"):
        pick_example(page, wide)
        assert_every_node_is_in_view(page)
    assert errors == []


def test_the_view_stays_fitted_as_the_canvas_grows_until_the_user_zooms_and_fit_hands_it_back(
        live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab, width=1280, height=800)  # too narrow to show it whole
    first_node(page)
    page.set_viewport_size(LAPTOP)  # the window made larger once the page is open
    page.wait_for_function(WHOLE)

    # The user zooms in on the background: the view is theirs, and a resize leaves it alone.
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.move(canvas["x"] + 6, canvas["y"] + 6)
    page.mouse.wheel(0, -100)
    page.evaluate(TWO_FRAMES)
    zoom = page.evaluate(ZOOM)
    assert zoom != pytest.approx(0.8)
    left_top = [(m[1], m[3]) for m in page.evaluate(MARGINS)]
    page.set_viewport_size({"width": LAPTOP["width"], "height": 900})  # a taller canvas
    page.evaluate(TWO_FRAMES)
    assert page.evaluate(ZOOM) == zoom
    assert [(m[1], m[3]) for m in page.evaluate(MARGINS)] == left_top

    # Fit shows the whole design again, and the view follows the canvas again.
    page.click("#fit")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate(TWO_FRAMES)
    page.set_viewport_size(LAPTOP)
    page.wait_for_function(WHOLE)
    assert page.evaluate(ZOOM) == pytest.approx(0.8)
    assert errors == []

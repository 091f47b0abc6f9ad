"""The scrubber over a whole run, chart export and print, in Debian's Chromium against a live lab:
a short run of the one-VM WordPress example (a ramp, and MySQL crashed for a few seconds) is
scrubbed to an early and a late window, by mouse and by keyboard, and the canvas, the node
table and the chart cursor show those windows; a sampled request of the moment opens on its
hops; every chart saves as PNG and SVG. Screenshots go to test-artifacts/."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .test_browser import POINTS, fill_topology, open_lab, shot

pytestmark = pytest.mark.browser
EXAMPLE = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "single_vm_wordpress.json"
CRASH = {"id": "db-down", "kind": "crash", "node": "mysql", "start_s": 14, "duration_s": 3}


def topology(window_s: float = 1.0) -> str:
    doc = json.loads(EXAMPLE.read_text())
    doc["settings"].update({"warmup_s": 0, "window_s": window_s})
    doc["nodes"][0]["params"].update({"rate_per_s": 30, "ramp_to_per_s": 260, "ramp_start_s": 0, "ramp_duration_s": 12})
    doc["faults"] = [CRASH]
    return json.dumps(doc)


def run_to_the_end(page: Any, duration: int, window_s: float = 1.0) -> str:
    """Run the test's topology as fast as possible; the run's id once it is over."""
    page.select_option("#example", "single_vm_wordpress")
    page.wait_for_function("document.getElementById('topology').value.includes('One WordPress VM')")
    fill_topology(page, topology(window_s))
    page.click("#apply-json")
    page.fill("#duration", str(duration))
    page.select_option("#speed", "0")
    page.click("#run")
    page.wait_for_selector("#downloads:not([hidden])", timeout=60_000)
    expect(page.locator("#scrubber")).to_be_visible()
    return page.get_attribute("#download-json", "href").split("/")[4]


def windows(page: Any, run_id: str) -> list[dict[str, Any]]:
    return page.evaluate("""async (id) => {
      const out = [];
      for (let page = 1; ; page++) {
        const body = await (await fetch(`/api/v1/runs/${id}/windows?page_size=1000&page=${page}`)).json();
        out.push(...body.results.map((r) => r.window));
        if (!body.next) return out;
      }
    }""", run_id)


# What the canvas shows of node `node` (its box's fill and stroke, its text), the node table's
# utilization and where the charts' cursor stands.
SHOWN = """(node) => {
  const box = document.querySelector(`#canvas [model-id="${node}"]`);
  const body = box.querySelector('[joint-selector="body"]');
  const row = document.querySelector(`#nodes tr[data-node="${node}"]`);
  const cursor = document.querySelector('.chart-box:has(#chart-latency) .chart-cursor');
  return { fill: body.getAttribute('fill'), stroke: body.getAttribute('stroke'),
           text: Array.from(box.querySelectorAll('[joint-selector="label"] tspan')).map((t) => t.textContent),
           util: row ? row.children[3].textContent : null,
           cursor: cursor && !cursor.hidden ? Number(cursor.dataset.t) : null,
           index: Number(document.getElementById('scrubber').dataset.index) };
}"""


def expected(window: dict[str, Any], node: str) -> dict[str, Any]:
    m = window["nodes"][node]
    return {"load": f"{m['arrival_rate_per_s']:.0f}/s · {round(m['utilization'] * 100)}%", "util": f"{m['utilization']:.2f}"}


def scrub_to(page: Any, index: int) -> None:
    page.eval_on_selector("#scrub", "(s, i) => { s.value = String(i); s.dispatchEvent(new Event('input')); }", index)
    page.wait_for_function("(i) => document.getElementById('scrubber').dataset.index === String(i)", arg=index)


def test_a_finished_run_is_scrubbed_to_an_early_and_a_late_window(live_lab: str, browser: Any) -> None:
    page, errors = open_lab(browser, live_lab, width=1500, height=1100)
    run_id = run_to_the_end(page, 20)
    stored = windows(page, run_id)
    assert len(stored) == 20
    assert page.get_attribute("#scrub", "max") == "19"

    early, late = stored[2], stored[15]  # 15-16 s: MySQL is down (14 s to 17 s)
    shown = {}
    for window in (early, late):
        scrub_to(page, window["index"])
        now = page.evaluate(SHOWN, "wordpress")
        want = expected(window, "wordpress")
        assert now["text"][1] == want["load"], now
        assert now["util"] == want["util"]
        assert now["cursor"] == window["t_end"]
        u = window["nodes"]["wordpress"]["utilization"]
        assert now["fill"] == page.evaluate(f"`hsl(${{120 - 120 * Math.min(1, {u})}}, 70%, 85%)`")
        shown[window["index"]] = now
        assert f"{window['t_start']:g}–{window['t_end']:g} s of 20 s" in page.inner_text("#scrub-time")
        shot(page, f"scrub-{window['index']}")
    assert shown[2]["fill"] != shown[15]["fill"] and shown[2]["text"] != shown[15]["text"]
    # The crashed database is outlined in red at 15 s, not at 2 s.
    assert page.evaluate(SHOWN, "mysql")["stroke"] == "#a1261a"
    assert "crash" in " ".join(page.evaluate(SHOWN, "mysql")["text"])
    scrub_to(page, 2)
    assert page.evaluate(SHOWN, "mysql")["stroke"] == "#2457d6"

    # The moment the page keeps of each window it was sent is the API's moment of it (less the
    # faults and targets out of rotation, which the page reads from the timeline, as above).
    kept, served = page.evaluate("""async (id) => {
      const lab = document.querySelector('script[type="module"][src*="/js/lab"]').src;
      const { momentOf } = await import(new URL("window-store.js", lab));  // as lab.js imports it
      const get = async (query) => (await (await fetch(`/api/v1/runs/${id}/windows?${query}`)).json()).results;
      return [(await get('page_size=100')).map((r) => momentOf(r.window)), (await get('seq_from=0&seq_to=19&fields=moment')).map((r) => r.window)];
    }""", run_id)
    assert len(kept) == len(served) == 20
    for mine, theirs in zip(kept, served):
        assert {k: v for k, v in theirs.items() if k not in ("faults", "unhealthy")} == mine
    assert any(w["faults"] for w in served)  # (the crash, which the page takes from the timeline)
    assert errors == []


def test_the_keyboard_moves_the_scrubber_and_a_sampled_request_opens_on_its_hops(live_lab: str, browser: Any) -> None:
    page, errors = open_lab(browser, live_lab)
    run_id = run_to_the_end(page, 40)  # (the results keep the latest 50 traces, about 25 s of them)
    stored = windows(page, run_id)
    page.focus("#scrub")
    page.keyboard.press("Home")
    page.wait_for_function("document.getElementById('scrubber').dataset.index === '0'")
    assert page.evaluate(SHOWN, "wordpress")["cursor"] == stored[0]["t_end"]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.getElementById('scrubber').dataset.index === '2'")
    assert page.evaluate(SHOWN, "wordpress")["text"][1] == expected(stored[2], "wordpress")["load"]
    assert "window 3 of 40" in page.get_attribute("#scrub", "aria-valuetext")
    page.keyboard.press("End")
    page.wait_for_function("document.getElementById('scrubber').dataset.index === '39'")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("document.getElementById('scrubber').dataset.index === '38'")

    # The latest sampled request: the keyboard goes back to its moment, and it opens on its hops.
    results = page.evaluate("async (id) => (await (await fetch(`/api/v1/runs/${id}/results`)).json()).results", run_id)
    traces = results["traces"]["sampled"] + sum(results["traces"]["failed"].values(), [])
    trace = results["traces"]["sampled"][-1]
    at = next(w["index"] for w in stored if w["t_start"] <= trace["start_s"] < w["t_end"])
    page.keyboard.press("End")
    for _ in range(39 - at):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"document.getElementById('scrubber').dataset.index === '{at}'")
    item = page.locator(f"#moment-traces details.trace[data-request='{trace['request']}']")
    item.locator("summary").click()
    rows = item.locator("table.hops tbody tr")
    expect(rows).to_have_count(len(trace["hops"]))
    for i, hop in enumerate(trace["hops"]):
        expect(rows.nth(i).locator("td")).to_have_text([hop["node"], f"{hop['arrived_s']:.3f}", f"{hop['queue_ms']:.1f} ms",
                                                        f"{hop['service_ms']:.1f} ms", ""])
    shot(page, "scrub-trace")
    # A moment with no sampled request offers the nearest one.
    empty = [w for w in stored if not any(w["t_start"] <= t["start_s"] < w["t_end"] for t in traces)]
    assert empty  # (the first seconds of the run)
    scrub_to(page, empty[0]["index"])
    # The offer is shown whole, not cut off by the canvas above it.
    assert page.evaluate("(b) => b.scrollHeight <= b.clientHeight", page.query_selector("#moment-traces"))
    page.click("#moment-traces button")
    page.wait_for_function(f"document.getElementById('scrubber').dataset.index !== '{empty[0]['index']}'")
    expect(page.locator("#moment-traces details.trace").first).to_be_visible()
    assert errors == []


def test_every_chart_saves_as_png_and_svg_and_the_run_prints(live_lab: str, browser: Any, tmp_path: Path) -> None:
    page, errors = open_lab(browser, live_lab)
    run_to_the_end(page, 10)
    for chart in ("chart-throughput", "chart-latency", "chart-errors", "chart-utilization", "chart-cost"):
        for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<svg")):
            with page.expect_download() as download:
                page.click(f".chart-box:has(#{chart}) button[data-export={fmt}]")
            name = download.value.suggested_filename
            assert name.endswith(f".{fmt}") and chart.replace("chart-", "") in name, name
            path = tmp_path / name
            download.value.save_as(path)
            data = path.read_bytes()
            assert data.startswith(magic) and len(data) > 2000, (name, len(data))
    # On paper: the design, the headline figures and the charts; not the tools.
    expect(page.locator("#headline")).to_contain_text("requests/s")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # what printing does first
    page.emulate_media(media="print")
    expect(page.locator(".toolbar")).to_be_hidden()
    expect(page.locator("#palette")).to_be_hidden()
    expect(page.locator(".print-picture [model-id='wordpress']")).to_be_visible()
    expect(page.locator("#headline")).to_be_visible()
    expect(page.locator("#chart-latency")).to_be_visible()
    shot(page, "scrub-print")
    assert len(page.pdf()) > 10_000
    assert errors == []


def test_a_long_run_is_condensed_and_every_window_it_sent_is_scrubbed_to_without_a_request(live_lab: str, browser: Any) -> None:
    # 1,500 windows of 20 ms (more than the charts' 600 points), MySQL down from 14 s to 17 s
    # (windows 700 to 849): the page keeps the moment of every window the run sent, so no move
    # waits for the server, watched live or opened afterwards by its link.
    page, errors = open_lab(browser, live_lab)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/windows?" in r.url else None)
    run_id = run_to_the_end(page, 30, window_s=0.02)
    count = int(page.get_attribute("#scrub", "max")) + 1
    assert count >= 1500  # (and a last sliver of a window, 30 s being 1,500 windows of 20 ms in floating point)
    assert page.evaluate("document.getElementById('chart-latency').data[0].x.length") == -(-count // 3)
    stored = windows(page, run_id)
    asked.clear()  # (windows() read them all for the test)

    def check(index: int, down: bool) -> None:
        scrub_to(page, index)
        assert page.evaluate("window.lastScrub.fetched") is False
        now, want = page.evaluate(SHOWN, "wordpress"), expected(stored[index], "wordpress")
        assert (now["text"][1], now["util"], now["cursor"]) == (want["load"], want["util"], stored[index]["t_end"])
        mysql = page.evaluate(SHOWN, "mysql")
        assert (mysql["stroke"] == "#a1261a") is down and ("crash" in " ".join(mysql["text"])) is down

    for opened in ("live", "by its link"):
        if opened == "by its link":
            page.goto(f"{live_lab}/?run={run_id}")
            expect(page.locator("#scrubber")).to_be_visible(timeout=60_000)
        page.evaluate("document.getElementById('scrubber').addEventListener('scrubbed', (e) => { window.lastScrub = e.detail; })")
        for index, down in ((3, False), (760, True), (150, False), (1490, False), (840, True)):
            check(index, down)
        assert asked == [], opened
    assert errors == []


def test_a_jump_far_back_in_a_long_finished_run_fetches_that_block_of_moments_and_shows_it(live_lab: str, browser: Any) -> None:
    # 1,500 windows of 20 ms, MySQL down from 2 s to 4 s (windows 100 to 199), on a page whose
    # store may keep the moments of only 1,200 windows (as one of a design of many nodes would):
    # it keeps the last 1,200, so a jump to window 150 waits for its block of 50 moments, faults and all.
    page, errors = open_lab(browser, live_lab)
    cells = 1200 * (1 + 3 + 2)  # a moment weighs one cell, and one for each of its 3 nodes and 2 edges
    page.evaluate("(cells) => { document.getElementById('scrubber').dataset.momentCells = String(cells); }", cells)
    doc = json.loads(topology(window_s=0.02))
    doc["faults"] = [{**CRASH, "start_s": 2, "duration_s": 2}]
    page.select_option("#example", "single_vm_wordpress")
    page.wait_for_function("document.getElementById('topology').value.includes('One WordPress VM')")
    fill_topology(page, json.dumps(doc))
    page.click("#apply-json")
    page.fill("#duration", "30")
    page.select_option("#speed", "0")
    page.click("#run")
    page.wait_for_selector("#downloads:not([hidden])", timeout=60_000)
    run_id = page.get_attribute("#download-json", "href").split("/")[4]
    stored = windows(page, run_id)
    assert {(len(w["nodes"]), len(w["edges"])) for w in stored} == {(3, 2)}  # as `cells` counted
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/windows?" in r.url else None)
    page.evaluate("document.getElementById('scrubber').addEventListener('scrubbed', (e) => { window.lastScrub = e.detail; })")

    scrub_to(page, 150)
    assert page.evaluate("window.lastScrub.fetched") is True
    assert asked[0].split("?")[1] == "seq_from=150&seq_to=199&fields=moment"
    now = page.evaluate(SHOWN, "wordpress")
    want = expected(stored[150], "wordpress")
    assert now["text"][1] == want["load"] and now["util"] == want["util"] and now["cursor"] == stored[150]["t_end"]
    mysql = page.evaluate(SHOWN, "mysql")
    assert mysql["stroke"] == "#a1261a" and "crash" in " ".join(mysql["text"])  # down at 3 s
    shot(page, "scrub-jump-far")
    # Once the slider rests, the blocks either side follow in the background.
    page.wait_for_timeout(600)
    assert {url.split("?")[1] for url in asked[1:3]} == {"seq_from=100&seq_to=149&fields=moment",
                                                        "seq_from=200&seq_to=249&fields=moment"}
    # The rest of its block came with it: no second wait there.
    scrub_to(page, 170)
    assert page.evaluate("window.lastScrub.fetched") is False
    assert page.evaluate(SHOWN, "wordpress")["text"][1] == expected(stored[170], "wordpress")["load"]
    # Further back, before the crash: another block, and MySQL as it was.
    scrub_to(page, 20)
    assert page.evaluate("window.lastScrub.fetched") is True
    assert page.evaluate(SHOWN, "wordpress")["util"] == expected(stored[20], "wordpress")["util"]
    assert page.evaluate(SHOWN, "mysql")["stroke"] == "#2457d6"

    # Aiming at the track fetches the block under the pointer (250 to 299, not fetched so far), so
    # the click that follows does not wait.
    box = page.locator("#scrub").bounding_box()
    x = box["x"] + box["width"] * 275 / int(page.get_attribute("#scrub", "max"))
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    for _ in range(50):
        if "seq_from=250&seq_to=299&fields=moment" in {url.split("?")[1] for url in asked}:
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"the block under the pointer was not fetched: {asked}")
    page.wait_for_timeout(500)  # its answer is in
    page.mouse.click(x, y)
    page.wait_for_function("() => { const i = Number(document.getElementById('scrubber').dataset.index); "
                           "return i >= 250 && i <= 299; }")
    index = int(page.evaluate("document.getElementById('scrubber').dataset.index"))
    assert page.evaluate("window.lastScrub.fetched") is False
    assert page.evaluate(SHOWN, "wordpress")["text"][1] == expected(stored[index], "wordpress")["load"]
    assert errors == []


def test_a_paused_run_can_be_scrubbed_and_follows_the_run_again_on_resume(live_lab: str, browser: Any) -> None:
    page, errors = open_lab(browser, live_lab)
    page.select_option("#example", "single_vm_wordpress")
    page.wait_for_function("document.getElementById('topology').value.includes('One WordPress VM')")
    fill_topology(page, topology())
    page.click("#apply-json")
    page.fill("#duration", "120")
    page.select_option("#speed", "1")
    page.click("#run")
    page.wait_for_function(f"{POINTS} >= 3", timeout=30_000)
    expect(page.locator("#scrubber")).to_be_hidden()  # live, the page follows the run
    page.click("#pause")
    expect(page.locator("#scrubber")).to_be_visible()
    page.wait_for_timeout(1500)  # the pause reaches the worker within a window; one more may come
    scrub_to(page, 0)
    assert page.evaluate(SHOWN, "wordpress")["cursor"] == 1.0
    expect(page.locator("#moment-traces")).to_contain_text("come with the results")
    page.click("#pause")  # Resume
    expect(page.locator("#scrubber")).to_be_hidden()
    page.click("#stop")
    page.wait_for_selector("#downloads:not([hidden])", timeout=30_000)
    expect(page.locator("#scrubber")).to_be_visible()
    assert errors == []

"""A newcomer's first minutes, in Debian's Chromium driven by Playwright against a live Daphne
with its own embedded simulation workers. Screenshots of each step go to test-artifacts/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# Playwright evaluates its wait conditions as strings, which the site's Content-Security-Policy
# forbids (no eval); these tests check behaviour, so they lift it for their own page. The policy
# itself is checked in tests/web/test_browser_designs.py, without lifting it.

# Points on the throughput chart (0 before the first run draws it).
POINTS = "((document.getElementById('chart-throughput').data || [{x: []}])[0].x.length)"


def open_lab(browser: object, live_lab: str, width: int = 1500, height: int = 1100) -> tuple[object, list[str]]:
    """The lab page in a new page, and the list its script errors are collected in."""
    page = browser.new_page(bypass_csp=True, viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_lab + "/")
    return page, errors


def fill_topology(page: object, text: str) -> None:
    """Type a topology into the JSON view, opening it first as a user does (it starts closed)."""
    if not page.is_visible("#topology"):
        page.click("#json-toggle")
    page.fill("#topology", text)


def points(page: object, chart: str) -> int:
    return page.evaluate(POINTS)


def test_a_new_user_runs_an_example_watches_it_live_scales_it_and_downloads_the_results(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab, width=1400, height=1000)
    shot(page, "1-opened")

    # The one-VM WordPress example, pushed past what its PHP workers can take.
    page.select_option("#example", "single_vm_wordpress")
    page.wait_for_function("document.getElementById('topology').value.includes('One WordPress VM')")
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    doc["nodes"][0]["params"].update({"pattern": "steady", "rate_per_s": 400})
    doc["nodes"][1]["params"]["timeout_ms"] = 1000
    fill_topology(page, __import__("json").dumps(doc))
    page.fill("#duration", "300")
    page.select_option("#speed", "10")
    page.click("#run")

    # Charts and the node table come alive window by window.
    page.wait_for_function(f"{POINTS} >= 10", timeout=20_000)
    assert page.locator("#nodes tbody tr[data-node='wordpress']").count() == 1
    errors_before = page.evaluate("document.getElementById('chart-throughput').data[1].y.slice(-3).reduce((a, b) => a + b, 0)")
    assert errors_before > 0, "400 requests/s must overload 8 PHP workers"
    shot(page, "2-overloaded")

    # Scale the pool up live: more instances, and the errors fall.
    assert page.is_enabled("#edit-apply"), page.inner_text("#status")
    page.select_option("#edit-node", "wordpress")
    page.select_option("#edit-param", "instances")
    page.fill("#edit-value", "4")
    page.click("#edit-apply")
    page.select_option("#edit-node", "mysql")
    page.select_option("#edit-param", "workers")
    page.fill("#edit-value", "16")
    page.click("#edit-apply")
    page.wait_for_function("(document.getElementById('chart-throughput').layout.shapes || []).length >= 2",
                           timeout=20_000)
    marked = points(page, "chart-throughput")
    page.wait_for_function(f"{POINTS} >= {marked + 8}", timeout=20_000)
    errors_after = page.evaluate("document.getElementById('chart-throughput').data[1].y.slice(-3).reduce((a, b) => a + b, 0)")
    assert errors_after < errors_before / 4
    # The cost rate follows: three more VMs cost more per hour.
    cost = page.evaluate("document.getElementById('chart-cost').data[0].y")
    assert len(cost) >= marked and all(c > 0 for c in cost)
    assert sum(cost[-5:]) / 5 > sum(cost[2:7]) / 5 + 0.05
    shot(page, "3-scaled-up")

    # At the end: the summary of why requests failed, and the results to download.
    page.select_option("#speed", "0")
    page.wait_for_selector("#downloads:not([hidden])", timeout=30_000)
    assert "Run done" in page.inner_text("#status")
    assert "timeout" in page.inner_text("#failures") or "overloaded" in page.inner_text("#failures")
    with page.expect_download() as download:
        page.click("#download-csv")
    assert download.value.suggested_filename.endswith(".csv")
    shot(page, "4-done")
    # The run's report page, opened from the run view, has the same run's figures.
    report = page.get_attribute("#run-report-link", "href")
    run_id = page.get_attribute("#download-json", "href").split("/")[4]
    assert report == f"/runs/{run_id}/report"
    page.goto(live_lab + report)
    assert page.inner_text("#report-title").startswith("Run of")
    assert "Errors by cause" in page.inner_text("main")
    assert errors == []


def drop(page: object, kind: str, x: float, y: float) -> None:
    """Drag a kind from the palette onto the canvas at (x, y), as fractions of its size."""
    box = page.locator("#canvas").bounding_box()
    page.drag_and_drop(f"#palette [data-kind='{kind}']", "#canvas",
                       target_position={"x": box["width"] * x, "y": box["height"] * y})


def connect(page: object, source: str, target: str) -> None:
    """Drag from the source node's port to the target node, as a user does with the mouse."""
    port = page.locator(f"#canvas [model-id='{source}'] .joint-port circle").bounding_box()
    box = page.locator(f"#canvas [model-id='{target}']").bounding_box()
    page.mouse.move(port["x"] + port["width"] / 2, port["y"] + port["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()


def test_a_new_user_builds_a_topology_on_the_canvas_runs_it_and_scales_it_live(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab)
    page.click("#new")
    drop(page, "traffic_source", 0.18, 0.3)
    drop(page, "service_pool", 0.5, 0.3)
    drop(page, "database", 0.82, 0.3)
    connect(page, "traffic_source-1", "service_pool-1")
    connect(page, "service_pool-1", "database-1")
    shot(page, "canvas-1-built")
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    assert [n["kind"] for n in doc["nodes"]] == ["traffic_source", "service_pool", "database"]
    assert [(e["from"], e["to"]) for e in doc["edges"]] == [("traffic_source-1", "service_pool-1"),
                                                            ("service_pool-1", "database-1")]

    # Connections the engine would refuse are refused on the canvas: nothing calls a source,
    # and a database calls nothing (it has no port to drag from).
    connect(page, "service_pool-1", "traffic_source-1")
    assert len(page.eval_on_selector("#topology", "t => JSON.parse(t.value)")["edges"]) == 2
    assert "'traffic_source-1' is a traffic source: nothing can call it" in page.inner_text("#canvas-message")
    assert page.locator("#canvas [model-id='database-1'] .joint-port").count() == 0

    # Set the users' rate in the inspector: more than 2 instances x 4 workers at 20 ms can serve.
    page.click("#canvas [model-id='traffic_source-1']")
    page.wait_for_selector("#inspector svg.rate-preview polyline", state="attached")  # drawn by the engine
    page.fill("#inspector input[name='rate_per_s']", "900")
    page.press("#inspector input[name='rate_per_s']", "Enter")
    page.fill("#inspector input[name='rate_per_s']", "-5")
    page.press("#inspector input[name='rate_per_s']", "Enter")
    assert "at least 0" in page.inner_text("#inspector")  # refused inline, not applied
    assert page.eval_on_selector("#topology", "t => JSON.parse(t.value)")["nodes"][0]["params"]["rate_per_s"] == 900

    page.fill("#duration", "300")
    page.select_option("#speed", "10")
    page.click("#run")
    page.wait_for_function(f"{POINTS} >= 8", timeout=20_000)
    label = page.text_content("#canvas [model-id='service_pool-1']")
    assert "%" in label and "err" in label, label  # the canvas shows utilization and errors
    assert "/s" in page.text_content("#canvas .joint-link")  # and the request rate on the edges
    shot(page, "canvas-2-overloaded")

    page.select_option("#edit-node", "service_pool-1")
    page.select_option("#edit-param", "instances")
    page.fill("#edit-value", "8")
    page.click("#edit-apply")
    page.wait_for_function("(document.getElementById('chart-throughput').layout.shapes || []).length >= 1",
                           timeout=20_000)
    marked = points(page, "chart-throughput")
    page.wait_for_function(f"{POINTS} >= {marked + 6}", timeout=20_000)
    recent_errors = page.evaluate("document.getElementById('chart-throughput').data[1].y.slice(-3).reduce((a, b) => a + b, 0)")
    assert recent_errors == 0
    assert "err" not in page.text_content("#canvas [model-id='service_pool-1']")
    shot(page, "canvas-3-scaled")
    page.click("#stop")
    page.wait_for_selector("#downloads:not([hidden])", timeout=20_000)
    assert errors == []


def test_editing_on_the_canvas_can_be_undone_checked_laid_out_and_exported(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab)
    # The palette is the registry, grouped, with a search box.
    assert page.locator("#palette h3").all_text_contents() == ["edge", "compute", "data", "messaging", "external"]
    page.fill("#palette input[type='search']", "cach")
    assert [i.get_attribute("data-kind") for i in page.locator("#palette [data-kind]:visible").all()] == ["cache"]
    page.fill("#palette input[type='search']", "")
    page.click("#new")
    drop(page, "traffic_source", 0.2, 0.3)
    drop(page, "load_balancer", 0.5, 0.3)
    nodes = lambda: [n["id"] for n in page.eval_on_selector("#topology", "t => JSON.parse(t.value)")["nodes"]]  # noqa: E731
    assert nodes() == ["traffic_source-1", "load_balancer-1"]

    page.keyboard.press("Control+z")
    assert nodes() == ["traffic_source-1"]
    page.click("#redo")
    assert nodes() == ["traffic_source-1", "load_balancer-1"]

    # A balancer with no targets: the check says so, on the node itself.
    page.click("#validate")
    page.wait_for_selector("#problems li")
    assert "nowhere to send requests" in page.inner_text("#problems")
    assert page.get_attribute("#canvas [model-id='load_balancer-1'] rect", "stroke") == "#a1261a"

    # A problem with an edge shows on the edge: here, a latency past the limit, set in the JSON.
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    doc["nodes"].append({"id": "app", "kind": "service_pool", "position": {"x": 300, "y": 300}})
    doc["edges"] = [{"from": "load_balancer-1", "to": "app", "latency_ms": 1e9}]
    fill_topology(page, json.dumps(doc))
    page.click("#apply-json")
    page.click("#validate")
    page.wait_for_function("document.getElementById('problems').textContent.includes('latency_ms')")
    assert page.get_attribute("#canvas .joint-link path[joint-selector='line']", "stroke") == "#a1261a"
    page.click("#undo")  # back to the two nodes before the JSON was applied
    page.click("#validate")

    # Delete with the keyboard, then lay out what is left.
    page.click("#canvas [model-id='load_balancer-1']")
    page.keyboard.press("Delete")
    assert nodes() == ["traffic_source-1"]
    page.click("#layout")
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    assert doc["nodes"][0]["position"] == {"x": 40, "y": 40}

    with page.expect_download() as svg:
        page.click("#export-svg")
    assert svg.value.suggested_filename == "topology.svg"
    with page.expect_download() as png:
        page.click("#export-png")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert errors == []


def test_a_node_can_be_crashed_from_the_canvas_while_a_run_goes_on(live_lab: str, browser: object) -> None:
    page, _ = open_lab(browser, live_lab)
    page.select_option("#example", "reference")  # no faults of its own
    page.wait_for_function("document.getElementById('topology').value.includes('Benchmark reference')")
    page.fill("#duration", "120")
    page.select_option("#speed", "10")
    page.click("#run")
    page.wait_for_function(f"{POINTS} >= 3", timeout=20_000)
    page.click("#canvas [model-id='app1']")
    # The node's fault menu offers the kinds that hit a node; crash is the first.
    kinds = page.locator("#inspector select[name='fault-kind'] option").evaluate_all("os => os.map(o => o.value)")
    assert kinds[0] == "crash" and {"crash_instances", "latency", "slow", "error_rate"} <= set(kinds)
    page.click("#inject-fault")
    page.wait_for_function(
        "(document.getElementById('chart-errors').data.find(t => t.name === 'fault') || {y: []}).y.some(v => v > 0)",
        timeout=20_000)
    shot(page, "canvas-4-crash")
    # The node's own charts, from the windows so far.
    page.click("#canvas [model-id='app2']")
    page.wait_for_selector("#inspector .node-panel[data-node='app2'] .main-svg")
    page.click("#stop")


def test_zones_are_drawn_as_labelled_groups_and_a_node_can_move_between_them(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab)
    page.select_option("#example", "three_zones_failover")
    page.wait_for_function("document.getElementById('topology').value.includes('three zones')")
    labels = page.locator("#canvas .joint-element").all_text_contents()
    for zone in ("us-west-a", "us-west-b", "us-west-c"):
        assert any(text.strip() == zone for text in labels), labels
    page.click("#canvas [model-id='api-c']")
    page.select_option("#inspector select[name='zone']", "us-west-b")
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    assert next(n for n in doc["nodes"] if n["id"] == "api-c")["zone"] == "us-west-b"
    assert all("isGroup" not in json.dumps(n) for n in doc["nodes"])  # groups are drawing, not topology
    assert not any(text.strip() == "us-west-c" for text in page.locator("#canvas .joint-element").all_text_contents())
    assert errors == []


def test_several_nodes_can_be_selected_copied_pasted_and_deleted(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab)
    page.click("#new")
    drop(page, "service_pool", 0.2, 0.3)
    drop(page, "cache", 0.55, 0.3)
    connect(page, "service_pool-1", "cache-1")
    page.click("#canvas [model-id='service_pool-1']")
    page.click("#canvas [model-id='cache-1']", modifiers=["Shift"])
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    assert sorted(n["id"] for n in doc["nodes"]) == ["cache-1", "cache-2", "service_pool-1", "service_pool-2"]
    assert sorted((e["from"], e["to"]) for e in doc["edges"]) == [("service_pool-1", "cache-1"),
                                                                  ("service_pool-2", "cache-2")]
    page.keyboard.press("Delete")  # the pasted copies are the selection
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    assert sorted(n["id"] for n in doc["nodes"]) == ["cache-1", "service_pool-1"]
    assert len(doc["edges"]) == 1

    # Work in progress survives a reload.
    page.reload()
    page.wait_for_selector("#canvas [model-id='cache-1']")
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    assert sorted(n["id"] for n in doc["nodes"]) == ["cache-1", "service_pool-1"] and len(doc["edges"]) == 1
    assert errors == []


def test_selected_nodes_move_together_and_an_edge_gets_classes_and_a_resilience_policy(live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab)
    page.click("#new")
    drop(page, "service_pool", 0.2, 0.3)
    drop(page, "cache", 0.55, 0.3)
    connect(page, "service_pool-1", "cache-1")
    doc = lambda: page.eval_on_selector("#topology", "t => JSON.parse(t.value)")  # noqa: E731
    before = {n["id"]: n["position"] for n in doc()["nodes"]}

    # Drag one of two selected nodes: both move by the same amount.
    page.click("#canvas [model-id='service_pool-1']")
    page.click("#canvas [model-id='cache-1']", modifiers=["Shift"])
    box = page.locator("#canvas [model-id='service_pool-1']").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 80, steps=6)
    page.mouse.up()
    after = {n["id"]: n["position"] for n in doc()["nodes"]}
    moved = {i: (after[i]["x"] - before[i]["x"], after[i]["y"] - before[i]["y"]) for i in before}
    assert moved["service_pool-1"][0] > 20 and moved["service_pool-1"][1] > 20
    assert moved["cache-1"] == moved["service_pool-1"]

    # Two request classes, so the edge can carry one of them.
    topology = doc()
    topology["workload"] = {"classes": [{"name": "read"}, {"name": "write", "operation": "write"}]}
    fill_topology(page, json.dumps(topology))
    page.click("#apply-json")
    page.click("#canvas .joint-link path[joint-selector='line']", force=True)
    latency = page.locator("#inspector input[name='latency_ms']")
    assert latency.input_value() == "" and "auto" in latency.get_attribute("placeholder")
    page.uncheck("#inspector input[name='class-write']")
    page.click("#inspector .edge-policy summary")
    page.fill("#inspector input[name='policy-timeout_ms']", "300")
    page.press("#inspector input[name='policy-timeout_ms']", "Tab")
    page.fill("#inspector input[name='policy-retries']", "2")
    page.press("#inspector input[name='policy-retries']", "Tab")
    page.fill("#inspector input[name='policy-retries']", "99")  # past the limit: flagged, not applied
    page.press("#inspector input[name='policy-retries']", "Tab")
    assert "at most 10" in page.inner_text("#inspector .edge-policy")
    edge = doc()["edges"][0]
    assert edge["classes"] == ["read"]
    assert edge["policy"] == {"timeout_ms": 300, "retries": 2}
    assert "latency_ms" not in edge  # it follows from placement
    assert errors == []


def test_a_start_over_the_visitors_allowance_leaves_the_current_run_going_and_says_when_to_retry(
        live_lab: str, browser: object) -> None:
    page, errors = open_lab(browser, live_lab)
    page.select_option("#speed", "1")
    page.fill("#duration", "600")
    page.click("#run")
    page.wait_for_function(f"{POINTS} >= 2", timeout=20_000)
    # Two more runs from the same browser fill its allowance (1 running, 2 waiting).
    statuses = page.evaluate("""async () => {
        const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const body = JSON.stringify({topology: JSON.parse(document.getElementById('topology').value), speed: 1});
        const out = [];
        for (let i = 0; i < 2; i++) {
            const r = await fetch('/api/v1/runs', {method: 'POST', body,
                                                headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}});
            out.push([r.status, (await r.json()).id]);
        }
        return out;
    }""")
    assert [status for status, _ in statuses] == [201, 201]
    before = points(page, "throughput")
    page.click("#run")
    notice = page.locator("#problems li")
    notice.first.wait_for(timeout=10_000)
    assert "Not started: you already have 3 runs going or waiting" in notice.first.inner_text()
    assert "Try again in about" in notice.first.inner_text()
    page.wait_for_function(f"{POINTS} >= {before + 2}", timeout=20_000)  # the run on screen goes on
    shot(page, "limits-refused")
    assert not errors
    page.click("#stop")
    page.evaluate("""async (ids) => {  // the two waiting runs too: the next tests share the server
        const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
        for (const id of ids) await fetch(`/api/v1/runs/${id}/commands`, {method: 'POST', body: '{"op": "stop"}',
                                          headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}});
    }""", [run_id for _, run_id in statuses])

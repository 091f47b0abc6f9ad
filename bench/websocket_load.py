"""Live-run load: 100 websocket clients on loopback watching 4 concurrent runs at 10 frames a
second, against a real Daphne with its embedded simulation workers. Reports the frame delay
(from the worker closing a window to its frame arriving at a client) as p50 / p95 / p99 / max,
lost frames, and the lab page's load time and transferred size in Chromium.

    .venv/bin/python bench/websocket_load.py                 # 100 clients, 4 runs, 20 s of wall time
    .venv/bin/python bench/websocket_load.py --clients 20 --seconds 5
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/livelab.py
from bench.stream_client import start_runs, watch  # noqa: E402
from livelab import CHROMIUM, CHROMIUM_ARGS, free_port, start_lab  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
def page_load(base: str) -> dict[str, float] | None:
    """Time to interactive and bytes transferred for the lab page, in Debian's Chromium."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(bypass_csp=True)  # its waits are evaluated strings, which the CSP forbids
        page.goto(base + "/", wait_until="domcontentloaded")
        # Interactive: the example is loaded into the editor and Run can be pressed.
        page.wait_for_function("document.getElementById('topology').value.length > 0")
        ready = page.evaluate("performance.now()")
        page.wait_for_function("window.Plotly !== undefined")  # then the charts' library, in the background
        timing = page.evaluate("""(ready) => {
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource');
            return {interactive_ms: nav.domInteractive, load_ms: nav.loadEventEnd,
                    ready_ms: ready, charts_ms: performance.now(),
                    transferred_bytes: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
                    decoded_bytes: nav.decodedBodySize + resources.reduce((s, r) => s + r.decodedBodySize, 0)};
        }""", ready)
        browser.close()
        return timing


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0, help="wall seconds to watch (at 10x: 10 frames/s)")
    args = parser.parse_args()
    port = free_port()
    base, origin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = start_lab(port, Path(tmp) / "load.sqlite3", workers=args.runs,
                           ARCHLAB_MAX_ACTIVE_RUNS=str(args.runs), ARCHLAB_VISITOR_RUNNING=str(args.runs),
                           ARCHLAB_VISITOR_QUEUED=str(args.runs))
        try:
            page = page_load(base)
            run_ids, session = start_runs(base, args.runs, duration_s=args.seconds * 10 + 20)
            delays: list[float] = []
            stats = {"frames": 0, "gaps": 0}
            until = time.time() + args.seconds

            async def everyone() -> None:
                await asyncio.gather(*(watch(f"ws://127.0.0.1:{port}/ws/runs/{run_ids[i % len(run_ids)]}/", origin, session,
                                             delays, stats, until) for i in range(args.clients)))

            asyncio.run(everyone())
        finally:
            server.terminate()
            server.wait(10)
    ms = [d * 1000 for d in delays]
    print(f"{args.clients} clients watching {args.runs} runs at 10 frames/s for {args.seconds:g} s: "
          f"{stats['frames']} frames, {stats['gaps']} gaps")
    if ms:
        print(f"frame delay ms: p50 {statistics.median(ms):.1f}  p95 {percentile(ms, 0.95):.1f}  "
              f"p99 {percentile(ms, 0.99):.1f}  max {max(ms):.1f}   (targets: p50 <= 100, p99 <= 300)")
    if page:
        print(f"lab page: DOM interactive {page['interactive_ms']:.0f} ms, example loaded and usable "
              f"{page['ready_ms']:.0f} ms (target <= 1000), chart library in {page['charts_ms']:.0f} ms; "
              f"transferred {page['transferred_bytes'] / 1024:.0f} KiB ({page['decoded_bytes'] / 1024:.0f} KiB decoded, "
              f"of which Plotly 4,703 KiB)")


if __name__ == "__main__":
    main()

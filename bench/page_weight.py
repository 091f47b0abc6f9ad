"""Figure 10: what the lab page costs a class. Starts a real lab server (tests.livelab.start_lab, as
scripts/start.sh runs it), opens the lab page in Debian's Chromium and counts the bytes that
crossed the network (Chrome DevTools Protocol: the sum of Network.loadingFinished
encodedDataLength, i.e. compressed bodies plus headers) on a first visit with an empty cache,
until the page and the chart library it fetches in the background have loaded, and again on a
reload of the same page.

    .venv/bin/python bench/page_weight.py            # prints a table and one JSON line
    .venv/bin/python bench/page_weight.py --path /gallery

Targets (issue 9): under 2 MB on a first load, under 100 kB on a reload.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/livelab.py
from livelab import CHROMIUM, CHROMIUM_ARGS, free_port, start_lab  # noqa: E402

FIRST_LOAD_TARGET = 2_000_000
RELOAD_TARGET = 100_000


class Transfer:
    """Bytes and requests seen by one CDP session, by URL."""

    def __init__(self, cdp: Any) -> None:
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.cached: set[str] = set()
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes[event["requestId"]] = int(event["encodedDataLength"])

    def reset(self) -> None:
        self.urls.clear()
        self.bytes.clear()
        self.cached.clear()

    def total(self) -> int:
        return sum(self.bytes.values())

    def largest(self, n: int = 5) -> list[tuple[str, int]]:
        rows = sorted(((self.urls.get(rid, rid), size) for rid, size in self.bytes.items()), key=lambda r: -r[1])
        return rows[:n]

    def requests(self) -> int:
        return len(self.urls)


def load(page: Any, transfer: Transfer, action: Any) -> dict[str, Any]:
    transfer.reset()
    action()
    # The lab fetches Plotly after the load event; wait for it, then for the network to settle.
    page.wait_for_function("() => window.Plotly !== undefined", timeout=60_000)
    page.wait_for_load_state("networkidle")
    return {"bytes": transfer.total(), "requests": transfer.requests(),
            "from_cache": len(transfer.cached), "largest": transfer.largest()}


def measure(base: str, path: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        transfer = Transfer(cdp)
        first = load(page, transfer, lambda: page.goto(base + path, wait_until="load"))
        again = load(page, transfer, lambda: page.reload(wait_until="load"))
        browser.close()
    return {"first": first, "reload": again}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/", help="the page to load (default: the lab)")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_lab(port, Path(tmp) / "weight.sqlite3", workers=0)
        try:
            result = measure(f"http://127.0.0.1:{port}", args.path)
        finally:
            server.terminate()
            server.wait(10)
    for name, target in (("first", FIRST_LOAD_TARGET), ("reload", RELOAD_TARGET)):
        row = result[name]
        verdict = "ok" if row["bytes"] < target else "OVER"
        print(f"{name:7s} {row['bytes']:>10,d} bytes  {row['requests']:3d} requests "
              f"({row['from_cache']} from cache)  target < {target:,d}: {verdict}")
        for url, size in row["largest"]:
            print(f"          {size:>10,d}  {url.replace(f'http://127.0.0.1:{port}', '')}")
    print(json.dumps({"path": args.path, "first_load_bytes": result["first"]["bytes"],
                      "reload_bytes": result["reload"]["bytes"]}))


if __name__ == "__main__":
    main()

"""Weight (bytes transferred) and load time of each public page, measured in headless chromium.

    python scripts/measure_web_pages.py http://127.0.0.1:8414 [REQUEST_ID]

For each page at 390 px and at 1280 px, in a fresh browser context (empty cache): the
Navigation and Resource Timing entries once the network is idle; bytes are the sum of their
transferSize (headers and bodies as received), load is the navigation's loadEventEnd, idle is
the wall time until no request was in flight for 500 ms (the map's tiles included)."""

import json
import sys
import time

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TIMING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  return {bytes: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
          requests: 1 + resources.length, load_ms: Math.round(nav.loadEventEnd)};
}"""


def main() -> None:
    base = sys.argv[1].rstrip("/")
    request_id = sys.argv[2] if len(sys.argv) > 2 else "1"
    pages = {"report": "/report", "request": f"/requests/{request_id}", "map": "/map",
             "dashboard": "/dashboard"}
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for viewport, size in VIEWPORTS.items():
            for name, path in pages.items():
                context = browser.new_context(viewport=size)
                page = context.new_page()
                started = time.perf_counter()
                page.goto(base + path, wait_until="networkidle")
                idle_ms = round((time.perf_counter() - started) * 1000) - 500
                results.append({"page": name, "viewport": viewport, **page.evaluate(TIMING),
                                "idle_ms": idle_ms})
                context.close()
        browser.close()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

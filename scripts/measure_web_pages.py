"""Weight (bytes transferred) and load time of each public page, measured in headless chromium.

    python scripts/measure_web_pages.py http://127.0.0.1:8414 [REQUEST_ID]

For each page at 390 px and at 1280 px, in a fresh browser context (empty cache), until no
request was in flight for 500 ms: bytes are the response headers and bodies of every request
the page made, as the browser received them (Playwright's request.sizes(); this counts the
tiles MapLibre fetches from its worker, which the page's Resource Timing does not see); load is
the navigation's loadEventEnd; idle is the wall time to that quiet moment."""

import json
import sys
import time

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LOAD = "Math.round(performance.getEntriesByType('navigation')[0].loadEventEnd)"


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
                finished: list = []
                page.on("requestfinished", lambda done: finished.append(done))
                started = time.perf_counter()
                page.goto(base + path, wait_until="networkidle")
                idle_ms = round((time.perf_counter() - started) * 1000) - 500
                sizes = [request.sizes() for request in finished]
                results.append({
                    "page": name, "viewport": viewport,
                    "bytes": sum(s["responseBodySize"] + s["responseHeadersSize"]
                                 for s in sizes),
                    "requests": len(sizes),
                    "tiles": sum("/tiles/" in request.url for request in finished),
                    "load_ms": page.evaluate(LOAD), "idle_ms": idle_ms,
                })
                context.close()
        browser.close()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

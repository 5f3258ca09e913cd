"""``/docs`` (Swagger UI) and ``/redoc`` in a real headless browser (Debian's chromium, driven by selenium through
chromium-driver), from the gateway served by uvicorn on loopback: each page renders the merged document's
operations, and every request it makes goes to the gateway (chromium resolves no other host, and its network log
names only the gateway), so the pages work on a machine without internet."""

import asyncio
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
# Not skipped when missing: `make test` installs them (deploy/infra.sh), so a missing browser is a failed set-up.
pytestmark = pytest.mark.timeout(90)
PAGE_WAIT = 20  # seconds the browser may take to render a page: a bound on a busy machine, not a timing assertion


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    assert CHROMIUM and CHROMEDRIVER, "chromium and chromium-driver are missing: deploy/infra.sh installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # tests may run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        # No host but loopback resolves: a page that needs a CDN fails to render.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def network_log(driver: webdriver.Chrome) -> tuple[list[str], dict[str, str]]:
    """Every URL the page asked for, and why each blocked one was blocked, from chromium's DevTools network log
    (``Network.requestWillBeSent``, ``Network.loadingFailed``)."""
    urls, ids, blocked = [], {}, {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
            ids[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked[params["requestId"]] = params["blockedReason"]
    return urls, {ids[r]: reason for r, reason in blocked.items() if r in ids}


def assert_nothing_left_the_machine(urls: list[str], blocked: dict[str, str], base: str) -> None:
    """Each request went to the gateway, or was stopped by the page's Content-Security-Policy before it was sent
    (ReDoc's menu always asks cdn.redoc.ly for Redocly's logo)."""
    outside = [u for u in urls if not (u.startswith(base + "/") or u.startswith(("data:", "blob:")))]
    assert {u: blocked.get(u) for u in outside} == dict.fromkeys(outside, "csp")


def load_swagger_ui(base: str) -> tuple[set[str], list[str], dict[str, str]]:
    with chromium() as driver:
        driver.get(base + "/docs")
        WebDriverWait(driver, PAGE_WAIT).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock .opblock-summary-path")) > 20
        )
        paths = {e.get_attribute("data-path") for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        return paths, *network_log(driver)


def load_redoc(base: str) -> tuple[str, list[str], dict[str, str]]:
    with chromium() as driver:
        driver.get(base + "/redoc")
        WebDriverWait(driver, PAGE_WAIT).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-section-id*='operation/']")) > 20
        )
        text = driver.find_element(By.CSS_SELECTOR, ".api-content").text
        return text, *network_log(driver)


async def test_swagger_ui_renders_the_operations_offline(gateway_url):
    paths, urls, blocked = await asyncio.to_thread(load_swagger_ui, gateway_url)
    assert {"/v1/customers", "/v1/invoices", "/v1/auth/token", "/v1/strategies"} <= paths
    assert gateway_url + "/openapi.json" in urls
    assert gateway_url + "/docs-assets/swagger-ui-bundle.js" in urls
    assert_nothing_left_the_machine(urls, blocked, gateway_url)


async def test_redoc_renders_the_operations_offline(gateway_url):
    text, urls, blocked = await asyncio.to_thread(load_redoc, gateway_url)
    assert "/v1/customers" in text and "/v1/strategies" in text
    assert gateway_url + "/openapi.json" in urls
    assert gateway_url + "/docs-assets/redoc.standalone.js" in urls
    assert_nothing_left_the_machine(urls, blocked, gateway_url)

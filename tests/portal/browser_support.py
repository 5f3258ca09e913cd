"""The harness of the portal's browser test (issue 17, "Done when"): Debian's chromium as a phone, screenshots kept
under ``test-artifacts/portal/``, the PSP stub served in process on loopback, the portal and messaging pointed at the
gateway's real URL, every worker run until the system is quiet, and the portal's link read from an email."""

import asyncio
import base64
import email.message
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from services.portal.stubs.psp import PspStub
from services.portal.worker import WorkerSettings as PortalWorker
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from services.webhooks.worker import WorkerSettings as WebhooksWorker
from tests.alarms.support import alarms_worker, relay
from tests.messaging.support import Mailbox, deliver, settings
from tests.platform.test_docs_browser import CHROMEDRIVER, CHROMIUM
from tests.platform.test_isolation import dunning_worker
from tests.support import SCHEMAS, Stack, free_port, run_worker, serve_on_loopback

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "portal"
PAGE_WAIT = 30  # seconds a page may take on a busy 2-core machine: a bound, not a timing assertion
PSP_TOKEN = "TEST-e2e-access-token"  # the local stub's
PSP_SECRET = "e2e-psp-webhook-secret"  # the local stub's
# A phone: most debtors open the link from WhatsApp or SMS (issue 17).
PHONE = {
    "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "mobile": True, "touch": True},
    "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
}


class Phone:
    """Chromium with a phone's viewport and Spanish as its language; each step waits for what it needs."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    def open(self, url: str, ready: str = "main") -> None:
        self.driver.get(url)
        self.wait_for(ready)

    def wait_for(self, css: str) -> WebElement:
        """The element, once on the page; else a failure that says which page came instead (and its screenshot)."""
        try:
            return WebDriverWait(self.driver, PAGE_WAIT).until(lambda d: d.find_element(By.CSS_SELECTOR, css))
        except TimeoutException:
            shot = self.screenshot("failed")
            body = self.driver.find_element(By.TAG_NAME, "body").text[:3000]
            raise AssertionError(f"{css} is not on {self.driver.current_url} ({shot}):\n{body}") from None

    def text(self, css: str = "body") -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def click(self, css: str, then: str = "main") -> None:
        """Click (a link, a submit button) and wait for the next page's ``then``."""
        before = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, css).click()
        WebDriverWait(self.driver, PAGE_WAIT).until(lambda d: _gone(before))
        self.wait_for(then)

    def check(self, css: str) -> None:
        box = self.driver.find_element(By.CSS_SELECTOR, css)
        if not box.is_selected():
            box.click()

    def fill(self, name: str, value: str) -> None:
        """Type into a text field; date and time fields get their value set (typing follows the browser's locale)."""
        field = self.driver.find_element(By.NAME, name)
        if field.get_attribute("type") in ("date", "datetime-local", "time"):
            self.driver.execute_script("arguments[0].value = arguments[1]", field, value)
        else:
            field.clear()
            field.send_keys(value)

    def fill_or_choose(self, name: str, value: str) -> None:
        """A free text field gets ``value``; a select gets its first real option."""
        if self.driver.find_element(By.NAME, name).tag_name == "select":
            self.choose(name)
        else:
            self.fill(name, value)

    def choose(self, name: str, value: str | None = None) -> str:
        """Pick an option of a select by its value, or the first after the prompt; the value picked."""
        select = Select(self.driver.find_element(By.NAME, name))
        if value is None:
            select.select_by_index(1)
        else:
            select.select_by_value(value)
        return str(select.first_selected_option.get_attribute("value"))

    def attach(self, name: str, path: Path) -> None:
        self.driver.find_element(By.NAME, name).send_keys(str(path))

    def screenshot(self, name: str) -> Path:
        """The whole page (not just the viewport) as a PNG under ``test-artifacts/portal/``."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )
        path = ARTIFACTS / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


def _gone(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except WebDriverException:  # stale, or "node does not belong to the document": the page was replaced
        return True
    return False


def start_chromium() -> webdriver.Chrome:
    """Debian's chromium (tests/platform/test_docs_browser.py's options: headless, no sandbox, loopback only) with a
    phone's screen and Spanish as its language."""
    assert CHROMIUM and CHROMEDRIVER, "chromium and chromium-driver are missing: deploy/infra.sh installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=es-AR",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.add_experimental_option("mobileEmulation", PHONE)
    options.add_experimental_option("prefs", {"intl.accept_languages": "es-AR,es"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_WAIT)
    return driver


@asynccontextmanager
async def phone() -> AsyncIterator[Phone]:
    driver = await asyncio.to_thread(start_chromium)
    try:
        yield Phone(driver)
    finally:
        await asyncio.to_thread(driver.quit)


@asynccontextmanager
async def psp_stub() -> AsyncIterator[tuple[str, PspStub]]:
    """The PSP stub (Checkout Pro's shape) on a loopback port, in this process: its notifications reach the gateway
    served in the same event loop."""
    stub = PspStub(PSP_TOKEN, PSP_SECRET, retry_base_seconds=0.2)
    async with serve_on_loopback(stub.app, free_port()) as url:
        try:
            yield url, stub
        finally:
            stub.forget()  # its pending notifications end before the server stops


@contextmanager
def portal_pointed_at(app: FastAPI, gateway_url: str, psp_url: str, receipts: Path) -> Iterator[None]:
    """The portal's settings for this run (read per request): links and the provider's back_urls on the gateway's
    real URL, the PSP stub (its access token and signing secret; the page's Content-Security-Policy lets the pay form
    lead to its checkout), receipts kept in the test's own directory."""
    before = app.state.settings
    app.state.settings = before.model_copy(
        update={
            "public_base_url": gateway_url,
            "psp_base_url": psp_url,
            "psp_access_token": PSP_TOKEN,
            "psp_webhook_secret": PSP_SECRET,
            "psp_checkout_origin": None,
            "storage_dir": str(receipts),
        }
    )
    try:
        yield
    finally:
        app.state.settings = before


@dataclass
class System:
    """The whole system on loopback: the gateway's URL, the SMTP server's mailbox, the PSP stub."""

    stack: Stack
    gateway_url: str
    mailbox: Mailbox
    psp_url: str
    psp: PspStub

    async def settle(self, rounds: int = 2) -> None:
        """Relay every outbox and let every worker take what reached its queue, ``rounds`` times (answers to
        answers): messaging sends through the SMTP server, with links on the gateway's URL."""
        messaging = settings(smtp_port=self.mailbox.port, public_base_url=self.gateway_url)
        for _ in range(rounds):
            await relay(self.stack, *SCHEMAS)
            await run_worker(ReceivablesWorker)
            await dunning_worker(self.stack)
            await alarms_worker(self.stack)
            await deliver(self.stack, messaging)
            await run_worker(PortalWorker)
            await run_worker(WebhooksWorker)

    def mail_to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.mailbox.messages() if address in str(m["To"])]  # type: ignore[misc]


def portal_links(message: email.message.EmailMessage, base: str) -> list[str]:
    """The portal's links an email carries (in its text part, or its HTML part's hrefs)."""
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            body = part.get_content()
            found += re.findall(re.escape(base) + r"/portal/[A-Za-z0-9_\-]+", body)
    return list(dict.fromkeys(found))


def small_pdf() -> bytes:
    """A real one-page PDF (a transfer receipt), its cross-reference table at the right offsets."""
    text = b"BT /F1 12 Tf 40 100 Td (Comprobante de transferencia 000123) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


async def in_browser(step: Any, *args: Any) -> Any:
    """A browser step runs in a thread: the servers it talks to run in this event loop."""
    return await asyncio.to_thread(step, *args)

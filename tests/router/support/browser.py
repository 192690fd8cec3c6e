"""Headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium, offline: every host name
but 127.0.0.1 fails to resolve, and the page's network log is kept so a test can prove nothing left loopback.

Selenium is synchronous: async tests call these methods through `asyncio.to_thread`, so the subgraphs served
in the test's own event loop keep answering while the browser waits.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}
# GraphiQL 3 keeps each editor's CodeMirror 5 instance on its `.CodeMirror` element.
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window .CodeMirror"
DEBOUNCE = 0.4


def require_chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skip (locally) / fail (CI) when they are not installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        msg = (
            "the GraphiQL browser test needs Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver; make test runs tools/ensure-chromium.sh)"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return chromium, driver


class Browser:
    def __init__(self) -> None:
        chromium, driver = require_chromium()
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for arg in (
            "--headless=new",
            "--no-sandbox",  # tests run as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1400,900",
            OFFLINE,
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        # Both paths given: Selenium Manager has nothing to look up or download.
        self.driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
        self.driver.set_page_load_timeout(30)
        self.requested: list[str] = []  # every URL the page asked for, WebSockets included

    def close(self) -> None:
        self.driver.quit()

    def open(self, url: str) -> None:
        self.driver.get(url)
        self.wait(lambda d: d.execute_script(f"return !!document.querySelector('{QUERY_EDITOR}')"))

    def wait(self, until: Any, timeout: float = 20.0) -> Any:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(until)

    def _set(self, selector: str, text: str) -> None:
        self.driver.execute_script(
            "document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1])", selector, text
        )

    def set_query(self, text: str) -> None:
        self._set(QUERY_EDITOR, text)
        # GraphiQL re-reads the operation names from the editor after a debounce (150 ms) of its change event;
        # a person clicking at once would run the previous operation name too.
        time.sleep(DEBOUNCE)

    def set_headers(self, headers: dict[str, str]) -> None:
        self._set(HEADERS_EDITOR, json.dumps(headers))

    def result_text(self) -> str:
        value: str = self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.CodeMirror.getValue() : ''", RESULT
        )
        return value

    def run(self) -> None:
        self.driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()

    def run_until(self, accept: Any, timeout: float = 20.0) -> dict[str, Any]:
        """Clicks run (a fresh result each time) and returns the first displayed result `accept` takes."""
        self._set(RESULT, "")
        self.run()
        return self.next_result(accept, timeout)

    def next_result(self, accept: Any, timeout: float = 20.0) -> dict[str, Any]:
        def shown(_: Any) -> dict[str, Any] | None:
            try:
                result: dict[str, Any] = json.loads(self.result_text())
            except ValueError:
                return None
            return result if accept(result) else None

        found: dict[str, Any] = self.wait(shown, timeout)
        return found

    def screenshot(self, path: str) -> None:
        self.driver.save_screenshot(path)

    def collect_network(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
            elif message["method"] == "Network.webSocketCreated":
                self.requested.append(message["params"]["url"])

    def off_loopback(self) -> list[str]:
        """URLs the page asked for that would leave the machine (none, when the explorer is offline)."""
        self.collect_network()
        return [
            u
            for u in self.requested
            if urlsplit(u).scheme not in LOCAL_SCHEMES and urlsplit(u).hostname not in ("127.0.0.1",)
        ]

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

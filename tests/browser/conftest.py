"""Browser tests: Debian's Chromium (its headless shell), driven by Playwright, against a
real server.

The server is uvicorn in a thread of this process, on the test database. Pages are checked
with axe-core (from the npm registry, ``node_modules/axe-core``, only its violations
collected: the passes are never read). ``CIVITAS_TEST_SCREENSHOTS=1`` writes a screenshot
of every page a test visits to ``var/screenshots/`` (git-ignored; ``make screenshots``).
A screenshot is for people to look at, never an assertion, and a quarter to a third of a
browser test's time, so ``make test`` takes none."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import serving
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}


def _chromium() -> str:
    """Debian's chromium-headless-shell: the same engine as the chromium package without
    its browser shell (the one Playwright itself runs headless), at two thirds of the CPU
    (the browser tests on SQLite: 277 s of CPU with chromium, 187 s with the shell)."""
    found = shutil.which("chromium-headless-shell")
    if not found:
        raise pytest.UsageError(
            "Debian's chromium-headless-shell is needed for the browser tests: "
            "bash scripts/ensure-chromium.sh"
        )
    return found


class _Chromium:
    """This process's Chromium and its pool of contexts, started by the first browser test
    and stopped after the last one of a run of them (the test modules are handed out in
    an order that keeps them together): an idle Chromium with its kept contexts still
    costs a few hundredths of a core, the rest of the run long."""

    def __init__(self) -> None:
        self.running = ExitStack()
        self.pool: ContextPool | None = None

    def start(self) -> ContextPool:
        if self.pool is None:
            from playwright.sync_api import sync_playwright

            base = self.running.enter_context(serving())  # one address: contexts keep theirs
            playwright = self.running.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
            self.running.callback(browser.close)
            self.pool = ContextPool(browser, base)
        return self.pool

    def stop(self) -> None:
        self.running.close()  # the browser, Playwright, then the server
        self.pool = None


_CHROMIUM = _Chromium()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Chromium stopped once the next test of this process is not a browser test."""
    yield
    if nextitem is None or Path(__file__).parent not in Path(str(nextitem.path)).parents:
        _CHROMIUM.stop()


@pytest.fixture
def _pool(engine: Any) -> ContextPool:
    return _CHROMIUM.start()


@pytest.fixture
def live_server(_pool: ContextPool) -> str:
    """The server the browser tests share while they run one after the other."""
    return _pool.base


@pytest.fixture
def browser(_pool: ContextPool) -> Any:
    return _pool.browser


class ContextPool:
    """Browser contexts kept while Chromium runs (_Chromium), by their options, and lent to
    one test at a time. A new context costs Chromium ¾ s of CPU (a renderer process
    started, a second of its work), ninety-five times a run; a kept one costs a page
    (0.2 s). Each keeps one blank page open, so that its renderer process stays. Lent
    back, a context forgets the test: its other pages closed, cookies, storage, caches
    and service workers cleared, online again, its permissions as created."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser = browser
        self.base = base
        self.free: dict[str, list[Any]] = {}
        self.options: dict[int, dict[str, Any]] = {}  # a context's, by its id

    def take(self, **options: Any) -> Any:
        key = json.dumps(options, sort_keys=True)
        free = self.free.setdefault(key, [])
        if free:
            return free.pop()
        context = self.browser.new_context(base_url=self.base, **options)
        context.new_page()  # the blank page that keeps the renderer process
        self.options[id(context)] = options
        return context

    def give_back(self, context: Any) -> None:
        options = self.options[id(context)]
        keep, *others = context.pages
        for page in others:
            page.close()
        context.set_offline(False)
        context.clear_cookies()
        context.clear_permissions()
        if options.get("permissions"):
            context.grant_permissions(options["permissions"])
        cdp = context.new_cdp_session(keep)
        try:
            cdp.send("Storage.clearDataForOrigin", {"origin": self.base, "storageTypes": "all"})
            cdp.send("Network.clearBrowserCache")
        finally:
            cdp.detach()
        self.free[json.dumps(options, sort_keys=True)].append(context)


class Pages:
    """A browser context with helpers: screenshots by name, axe checks, console errors."""

    def __init__(
        self, pool: ContextPool, context: Any, base: str, test_name: str, shots: bool = True
    ) -> None:
        self.pool = pool
        self.context = context
        self.shots = shots
        self.base = base
        self.test = re.sub(r"[^a-z0-9_]+", "_", test_name.lower())
        self.errors: list[str] = []
        self.extra: list[Any] = []

    def new_context(self, **options: Any) -> Any:
        """Another browser (e.g. a member of staff at a desk), with the same checks."""
        context = self.pool.take(**options)
        self.extra.append(context)
        return _Watched(context, self)

    def new(self) -> Any:
        return self.watch(self.context.new_page())

    def staff(self, username: str, city: str = "trujillo") -> Any:
        """A member of staff at a desk (a second browser), signed in through the form."""
        page = self.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"/{city}/login?lang=en")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/{city}/staff**")
        return page

    def watch(self, page: Any) -> Any:
        # each error with the page it came from (a walk of many pages says which)
        page.on(
            "console",
            lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return page

    def shot(self, page: Any, name: str) -> None:
        if not self.shots:
            return
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = str(SHOTS / f"{self.test}__{name}.png")
        try:
            page.screenshot(path=path, full_page=True)
        except PlaywrightError:
            # a loaded machine's Chromium now and then cannot capture at once; the
            # screenshot is for people to look at, the checks are the assertions
            page.wait_for_timeout(500)
            page.screenshot(path=path, full_page=False)

    def axe(self, page: Any) -> list[dict[str, Any]]:
        """Serious and critical WCAG 2.1 A/AA violations on the page (none is the aim)."""
        page.evaluate(AXE.read_text(encoding="utf-8"))
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag',
                    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                    resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' '))}));
            }"""
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def check(self, page: Any, name: str) -> None:
        """Screenshot, then assert no serious or critical accessibility violation, and
        that a page no wider than a phone does not scroll sideways (wide tables and charts
        scroll or shrink in their own box)."""
        self.shot(page, name)
        bad = self.axe(page)
        assert bad == [], f"{name}: " + json.dumps(bad, indent=1, ensure_ascii=False)
        wide = page.evaluate(
            "() => window.innerWidth <= 480 && document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth"
        )
        assert not wide or wide <= 1, f"{name}: {wide} px wider than the phone"


class _Watched:
    """A second context whose pages are watched like the first's."""

    def __init__(self, context: Any, pages: Pages) -> None:
        self.context = context
        self.pages = pages

    def new_page(self) -> Any:
        return self.pages.watch(self.context.new_page())


def _screenshots() -> bool:
    return os.environ.get("CIVITAS_TEST_SCREENSHOTS", "") == "1"


@pytest.fixture
def pages(_pool: ContextPool, live_server: str, request: pytest.FixtureRequest) -> Iterator[Pages]:
    context = _pool.take(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-PE")
    helper = Pages(_pool, context, live_server, request.node.name, _screenshots())
    yield helper
    for extra in helper.extra:
        _pool.give_back(extra)
    _pool.give_back(context)
    csp = [e for e in helper.errors if "Content Security Policy" in e]
    assert csp == [], csp

"""The web viewer (web/) in a real headless browser: Debian's Chromium, driven by Playwright
from PyPI (no browser is downloaded), against the local stack that serves it at /app/.
Screenshots of the session and progress pages are saved under artifacts/web/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.local.accounts import PASSWORD
from shared import demo
from shared.adapters.repository import Repository
from shared.adapters.storage import Storage
from tests.cloud.fixtures import RESULT, SAMPLE

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "web"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: make install puts it there (infra/local/install_chromium.sh)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--mute-audio"])
        yield launched
        launched.close()


@pytest.fixture
def open_as(browser, api, people):
    """open_as(uid, hash) -> a signed-in page of the viewer."""
    contexts = []

    def open_page(uid: str, hash_: str = "#/sessions", width: int = 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{api.url}/app/{hash_}")
        page.fill("input[name=email]", f"{uid}@liftlab.test")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#signed-in")
        return page

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_lift(page) -> None:
    page.click("a[href='#/session/lift1']")
    page.wait_for_selector("figure[data-chart='Bar speed']")
    page.wait_for_function("document.querySelector('#lift-video').readyState >= 1")


def test_the_lifter_signs_in_sees_the_sessions_and_opens_the_sample(open_as, lift):
    page = open_as("lifter")
    assert "lifter@liftlab.test" in page.inner_text("#signed-in") and "lifter" in page.inner_text("#signed-in")
    page.wait_for_selector("a[href='#/session/lift1']")
    assert page.locator(".cards li").count() == 1
    open_lift(page)
    assert page.locator(".timeline button").count() == len(RESULT["phases"])
    shot(page, "session")


def test_the_chart_cursor_follows_the_video(open_as, lift):
    page = open_as("lifter")
    open_lift(page)
    for t in (0.5, 1.2, 2.0):
        page.evaluate(f"v => {{ v.currentTime = {t}; }}", page.query_selector("#lift-video"))
        page.wait_for_function(
            f"document.querySelector(\"figure[data-chart='Bar speed']\").dataset.cursorT === '{t:.3f}'"
        )
    page.evaluate("v => v.play()", page.query_selector("#lift-video"))
    page.wait_for_function("document.querySelector('#lift-video').currentTime > 2.2", timeout=20_000)
    cursor = float(page.get_attribute("figure[data-chart='Bar speed']", "data-cursor-t"))
    now = page.evaluate("document.querySelector('#lift-video').currentTime")
    assert cursor > 2.0 and abs(now - cursor) < 0.5


def test_clicking_the_catch_phase_seeks_into_the_catch(open_as, lift):
    page = open_as("lifter")
    open_lift(page)
    page.click(".timeline button[data-phase='catch']")
    catch = next(p for p in RESULT["phases"] if p["name"] == "catch")
    page.wait_for_function("document.querySelector('#lift-video').seeking === false")
    t = page.evaluate("document.querySelector('#lift-video').currentTime")
    assert catch["start_s"] <= t < catch["end_s"]


def test_the_units_switch_changes_the_numbers(open_as, lift):
    page = open_as("lifter")
    open_lift(page)
    speed = RESULT["metrics"]["max_bar_speed"]
    assert page.inner_text("td[data-metric=max_bar_speed]") == f"{speed:.2f} m/s"
    page.select_option("select[aria-label=Units]", "imperial")
    page.wait_for_selector("td[data-metric=max_bar_speed]:has-text('ft/s')")
    assert page.inner_text("td[data-metric=max_bar_speed]") == f"{speed * 3.28084:.2f} ft/s"
    page.select_option("select[aria-label=Units]", "metric")


def test_the_coach_sees_the_orgs_lifters_and_the_other_coach_does_not(open_as, lift):
    coach = open_as("coach")
    coach.wait_for_selector("a[href='#/session/lift1']")
    assert "lifter" in coach.locator("select[name=user] option").all_inner_texts()
    rival = open_as("rival-coach")
    rival.wait_for_selector(".cards li")
    assert rival.locator("a[href='#/session/lift1']").count() == 0
    assert "lifter" not in rival.locator("select[name=user] option").all_inner_texts()


def test_uploading_the_sample_through_the_page_reaches_done(open_as, people):
    page = open_as("lifter", "#/upload")
    page.set_input_files("input[name=video]", str(SAMPLE))
    page.fill("input[name=mass]", "100")
    page.fill("input[name=title]", "From the browser")
    page.click("form button[type=submit]")
    page.wait_for_selector("progress[aria-label='Analysis progress'], #lift-video")
    page.wait_for_selector("figure[data-chart='Bar speed']", timeout=300_000)  # the job ran the engine
    assert page.inner_text("h1").startswith("From the browser")


def test_the_progress_page_shows_the_demo_lifters_profile(open_as, people):
    demo.install(Repository(), Storage())
    page = open_as("admin", "#/progress?user=demo-lifter&exercise=snatch")
    page.wait_for_selector("#lv-status")
    assert page.inner_text("#lv-status").startswith("Estimated max")
    assert page.locator("text=Heaviest made").count() == 1
    shot(page, "progress")


def test_every_control_takes_the_keyboard_and_every_picture_has_a_text(open_as, lift):
    page = open_as("lifter", width=390)  # a phone's width
    open_lift(page)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('img, canvas, figure[role=img], video')]
        .filter(e => !(e.getAttribute('alt') || e.closest('[aria-label]'))).map(e => e.outerHTML.slice(0, 80))""")
    assert unlabelled == []
    controls = page.evaluate("""() => [...document.querySelectorAll('a, button, select, input')]
        .filter(e => e.tabIndex < 0 || e.disabled).map(e => e.outerHTML.slice(0, 80))""")
    assert controls == []
    reached = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.dataset.phase || document.activeElement.tagName"))
    assert "catch" in reached and "SELECT" in reached and "A" in reached
    page.focus(".timeline button[data-phase='catch']")
    page.keyboard.press("Enter")
    catch = next(p for p in RESULT["phases"] if p["name"] == "catch")
    page.wait_for_function(f"document.querySelector('#lift-video').currentTime >= {catch['start_s']}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, "the page scrolls sideways on a phone"


def test_a_coach_asks_for_the_coaching_and_reads_it(open_as, lift):
    page = open_as("lifter")
    open_lift(page)
    page.click("text=Write the coaching")
    page.wait_for_selector("#summary-text", timeout=60_000)  # the built-in coach, through the task queue
    assert "m/s" in page.inner_text("#summary-text")

"""The page's own behaviour in a real browser: a clean console across reloads, language switches and the live
camera; plots, galleries and the model picker that show all they hold; examples that suit the chosen model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, RUN_ID, open_tab
from test_browser_camera import CAMERA_ARGS

from cnnapp.ui.i18n import say

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def camera_browser():
    """Headless Chromium with a fake camera that needs no permission prompt."""
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS + CAMERA_ARGS)
        yield chromium
        chromium.close()


def watch_console(page) -> list[str]:
    """Every console error and warning and every page error from now on, also those of a page being unloaded."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: seen.append(f"page error: {exc}"))
    return seen


def reload_as_a_person(page) -> None:
    """A reload the way the browser's button does it (unload events included), then wait for the page."""
    page.evaluate("() => window.location.reload()")
    page.wait_for_load_state()
    expect(page.locator("#data-summary")).to_contain_text("400", timeout=60_000)
    page.wait_for_timeout(1500)  # anything the old page logged while leaving has arrived


def test_reloads_language_switches_and_the_live_camera_leave_the_console_clean(live_app, camera_browser):
    page = camera_browser.new_context(viewport=DESKTOP).new_page()
    seen = watch_console(page)
    page.goto(live_app.url)
    expect(page.locator("#data-summary")).to_contain_text("400", timeout=60_000)

    open_tab(page, "2 · Train")  # a long training (the whole network, 50 epochs): the page polls its progress
    page.get_by_label(say("train.freeze")).uncheck()
    epochs = page.locator("#epochs input[type=number]")
    epochs.fill("50")
    epochs.press("Enter")
    page.locator("#start-training").click()
    status = page.locator("#train-status")
    expect(status).to_contain_text(RUN_ID, timeout=60_000)
    run_id = RUN_ID.search(status.inner_text()).group(0)
    expect(page.locator("#train-progress")).to_contain_text("batch", timeout=120_000)
    page.wait_for_timeout(2000)
    reload_as_a_person(page)
    after = {"reload during a training": len(seen)}
    for language in ("Español", "English"):
        page.locator("#lang-switch").get_by_text(language, exact=True).click()
        page.wait_for_timeout(1000)
        reload_as_a_person(page)  # the switch reloads the page in the new language
        after[f"switch to {language}"] = len(seen)
    live_app.jobs.stop(run_id)

    open_tab(page, "3 · Predict")  # the live camera, classifying with the ImageNet model
    page.locator("#live").get_by_text("Live camera").first.click()
    camera = page.locator("#live-cam")
    camera.get_by_text("Click to Access Webcam").click()
    page.wait_for_function("document.querySelector('#live-cam video').videoWidth > 0", timeout=30_000)
    camera.locator("button[aria-label='capture photo']").click()
    expect(page.locator("#live-label")).to_contain_text(re.compile(r"\d+%"), timeout=120_000)
    page.wait_for_timeout(3000)
    reload_as_a_person(page)
    after["reload after the live camera"] = len(seen)
    assert seen == [], f"console messages (count after each step: {after}):\n" + "\n".join(seen[:10])

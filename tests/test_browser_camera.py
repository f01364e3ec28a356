"""In headless Chromium with a fake camera, on a phone-sized page: make a 2-class dataset from snapshots and a
burst, train on it, and watch the live camera's label update at least 5 times in 2 seconds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, RUN_ID, open_tab

from cnnapp.jobs.worker import JobManager
from cnnapp.ui import build_app, launch_options
from cnnapp.ui.i18n import say

playwright = pytest.importorskip("playwright.sync_api")
CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
PHONE = {"width": 390, "height": 844}
WINDOW_MS = 2000
TRIES = 6  # the machine may be busy: the best of a few 2-second windows must show 5 updates
COUNT_UPDATES = """(ms) => new Promise((resolve) => {
  const label = document.querySelector("#live-label");
  const bar = (meter) => meter.getAttribute("aria-label") + "=" + meter.getAttribute("value");
  const shown = () => Array.from(label.querySelectorAll("meter"), bar).join("|");
  let last = shown(), updates = 0;
  const observer = new MutationObserver(() => { const now = shown(); if (now !== last) { last = now; updates += 1; } });
  observer.observe(label, { subtree: true, childList: true, characterData: true, attributes: true });
  setTimeout(() => { observer.disconnect(); resolve(updates); }, ms);
})"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
def page(workspace: Path):
    jobs = JobManager(workspace)
    demo = build_app(workspace, jobs)
    demo.launch(prevent_thread_lock=True, **launch_options(quiet=True))
    try:
        with playwright.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS + CAMERA_ARGS)
            page = chromium.new_page(viewport=PHONE)
            page.goto(demo.local_url)
            yield page
            chromium.close()
    finally:
        demo.close()
        jobs.shutdown(timeout=5)


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"


def test_make_a_dataset_with_the_camera_train_and_classify_live(page):
    expect = playwright.expect
    expect(page.locator("#data-summary")).to_contain_text("10 classes", timeout=60_000)
    builder = page.locator("#builder")
    builder.get_by_text(say("builder.title")).click()
    classes = page.locator("#builder-classes")
    for name in ("red", "blue"):
        builder.get_by_label(say("builder.new_class")).fill(name)
        page.locator("#builder-add-class").click()
        expect(classes).to_contain_text(f"{name} · 0", timeout=30_000)

    camera = page.locator("#builder-cam")
    camera.get_by_text("Click to Access Webcam").click()
    expect(camera.locator("video")).to_be_visible(timeout=30_000)
    page.wait_for_function("document.querySelector('#builder-cam video').videoWidth > 0", timeout=30_000)
    for n in range(1, 7):  # one click, one picture (into "blue", picked when added)
        page.locator("#builder-snapshot").click()
        expect(classes).to_contain_text(f"blue · {n}", timeout=30_000)

    classes.get_by_text("red").click()
    record = camera.locator("button[aria-label='capture photo']")
    record.click()  # a burst while the camera records
    expect(classes).to_contain_text(re.compile(r"red · ([6-9]|\d\d+)"), timeout=60_000)
    record.click()
    expect(page.locator("#builder-gallery img").first).to_be_visible()
    fits(page)

    page.locator("#builder-use").click()
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("my-dataset", timeout=60_000)
    expect(summary).to_contain_text("2 classes")

    open_tab(page, "2 · Train")
    expect(page.locator("#train-data")).to_contain_text("my-dataset: 2 classes", timeout=30_000)
    epochs = page.locator("#epochs input[type=number]")
    epochs.fill("2")
    epochs.press("Enter")
    page.locator("#start-training").click()
    status = page.locator("#train-status")
    expect(status).to_contain_text(RUN_ID, timeout=30_000)
    expect(status).to_contain_text("completed", timeout=300_000)

    open_tab(page, "3 · Predict")
    picked = re.compile(r"EfficientNet-Lite0 · my-dataset · frozen · \d+\.\d% · \d{4}-")  # the run just trained
    expect(page.locator("#predict-model input")).to_have_value(picked, timeout=30_000)
    page.locator("#live").get_by_text(say("predict.live_title")).click()
    live = page.locator("#live-cam")
    live.get_by_text("Click to Access Webcam").click()
    page.wait_for_function("document.querySelector('#live-cam video').videoWidth > 0", timeout=30_000)
    live.locator("button[aria-label='capture photo']").click()
    expect(page.locator("#live-label")).to_contain_text(re.compile("red|blue"), timeout=60_000)
    windows = []
    for _ in range(TRIES):
        windows.append(page.evaluate(COUNT_UPDATES, WINDOW_MS))
        if windows[-1] >= 5:
            break
    print(f"live label updates per 2 s: {windows}")
    assert max(windows) >= 5, f"the live label updated {windows} times in successive 2-second windows"
    fits(page)
    assert "Traceback" not in page.content()

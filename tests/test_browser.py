"""End to end in headless Chromium: choose data, train, watch it from a second page, classify, screenshot.

Set CNNAPP_SCREENSHOT=assets/screenshot.png to refresh the README's screenshot.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from cnnapp.ui import build_app, launch_options
from cnnapp.worker import JobManager

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RUN_ID = re.compile(r"\d{8}-\d{6}-tf_efficientnet_lite0-[0-9a-f]{4}")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
def app(workspace: Path):
    jobs = JobManager(workspace)
    demo = build_app(workspace, jobs)
    demo.launch(prevent_thread_lock=True, **launch_options(quiet=True))
    try:
        yield demo.local_url, jobs
    finally:
        demo.close()
        jobs.shutdown(timeout=5)


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_choose_data_train_watch_and_classify(app, browser, small_dataset, demo_dir, tmp_path):
    expect = playwright.expect
    app_url, jobs = app
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("10 classes · 400 images", timeout=30_000)

    page.locator("#upload-folder input[type=file]").set_input_files(str(small_dataset))
    expect(summary).to_contain_text("3 classes · 36 images", timeout=30_000)
    page.locator("#use-example").click()
    expect(summary).to_contain_text("10 classes · 400 images")

    open_tab(page, "2 · Train")
    expect(page.locator("#train-data")).to_contain_text("Fashion-MNIST mini (example): 10 classes, 400 images")
    expect(page.locator("#train-status")).to_contain_text("No training running")
    epochs = page.locator("#epochs input[type=number]")
    epochs.fill("3")
    epochs.press("Enter")
    blocker = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1000})  # keeps the next run queued
    page.locator("#start-training").click()
    status = page.locator("#train-status")
    expect(status).to_contain_text(RUN_ID, timeout=30_000)
    expect(status).to_contain_text("queued")
    run_id = RUN_ID.search(status.inner_text()).group(0)

    watcher = browser.new_page(viewport={"width": 390, "height": 844})
    watcher.goto(app_url)
    expect(watcher.locator("#data-summary")).to_contain_text("10 classes", timeout=30_000)
    assert watcher.evaluate("document.documentElement.scrollWidth") <= 390, "the Data tab is wider than a phone"
    open_tab(watcher, "2 · Train")
    expect(watcher.locator("#train-status")).to_contain_text(run_id, timeout=30_000)
    expect(watcher.locator("#train-status")).to_contain_text("queued")
    assert watcher.evaluate("document.documentElement.scrollWidth") <= 390, "the Train tab is wider than a phone"
    jobs.stop(blocker.id)
    expect(watcher.locator("#train-status")).to_contain_text("running", timeout=60_000)

    expect(status).to_contain_text("completed", timeout=240_000)
    expect(page.locator("#train-progress")).to_contain_text("finished 3 epoch(s)")
    expect(watcher.locator("#train-status")).to_contain_text("completed", timeout=30_000)
    page.wait_for_timeout(1500)
    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    if os.environ.get("CNNAPP_SCREENSHOT"):  # a 256-colour copy keeps the README's image small
        Image.open(shot).convert("RGB").quantize(256).save(os.environ["CNNAPP_SCREENSHOT"], optimize=True)

    open_tab(page, "3 · Predict")
    expect(page.locator("#predict-model input")).to_have_value(re.compile(run_id), timeout=30_000)
    picture = tmp_path / "bag.png"
    shutil.copy(sorted((demo_dir / "bag").iterdir())[0], picture)
    page.locator("#predict-image input[type=file]").set_input_files(str(picture))
    classes = "|".join(sorted(p.name for p in demo_dir.iterdir()))
    expect(page.locator("#predict-label")).to_contain_text(re.compile(classes), timeout=60_000)

    open_tab(page, "4 · Runs")
    expect(page.locator("#runs-table")).to_contain_text(run_id)
    assert "Traceback" not in page.content() and "Traceback" not in watcher.content()

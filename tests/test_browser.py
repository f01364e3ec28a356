"""End to end in headless Chromium: choose data, train, watch it from a second page, classify, screenshot;
every tab fits a phone; no request leaves the server; visitors' runs stay apart with CNNAPP_SESSION_RUNS=1.

(The README's screenshots come from tests/test_browser_ux.py.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from cnnapp.runs import RunDir
from cnnapp.ui import TABS

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_ID = re.compile(r"\d{8}-\d{6}-tf_efficientnet_lite0-[0-9a-f]{4}")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]


@pytest.fixture
def app(serve):
    """The app training on all threads, as a visitor's browser finds it."""
    with serve(threads=None) as live:
        yield live.url, live.jobs


def open_tab(page, name: str) -> None:
    """Click a tab, through the "More tabs" menu when the page is too narrow to show it."""
    tab = page.get_by_role("tab", name=name)
    more = page.get_by_role("button", name="More tabs")
    tab.first.or_(more.first).first.wait_for(state="visible", timeout=30_000)  # the page may still be loading
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    else:
        page.get_by_role("button", name="More tabs").first.click()
        page.locator(".overflow-dropdown button", has_text=name).first.click()


def watch_requests(page, requests: list[str]) -> None:
    page.on("request", lambda request: requests.append(request.url))


def outside(requests: list[str]) -> list[str]:
    """The requests that left the machine (anything but 127.0.0.1, data: and blob: URLs)."""
    return [
        url
        for url in requests
        if urlparse(url).scheme not in ("data", "blob") and urlparse(url).hostname != "127.0.0.1"
    ]


def fits_a_phone(page) -> None:
    """Every tab, opened in turn, is no wider than the 390 px screen."""
    for tab in TABS:
        open_tab(page, tab.TITLE)
        page.wait_for_timeout(1500)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {tab.TITLE} tab is {width} px wide on a 390 px phone"


def test_choose_data_train_watch_and_classify(app, browser, small_dataset, demo_dir, tmp_path, monkeypatch):
    expect = playwright.expect
    app_url, jobs = app
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch_requests(page, requests)
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
    monkeypatch.setenv("CNNAPP_MAX_EPOCHS", "1000")
    blocker = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1000})  # keeps the next run queued
    page.locator("#start-training").click()
    status = page.locator("#train-status")
    expect(status).to_contain_text(RUN_ID, timeout=30_000)
    expect(status).to_contain_text("queued")
    run_id = RUN_ID.search(status.inner_text()).group(0)

    watcher = browser.new_page(viewport={"width": 390, "height": 844})
    watch_requests(watcher, requests)
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

    open_tab(page, "3 · Predict")
    picked = re.compile(r"EfficientNet-Lite0 · Fashion-MNIST mini \(example\) · frozen · \d+\.\d% · \d{4}-")
    expect(page.locator("#predict-model input")).to_have_value(picked, timeout=30_000)  # name · data · acc · date
    picture = tmp_path / "bag.png"
    shutil.copy(sorted((demo_dir / "bag").iterdir())[0], picture)
    page.locator("#predict-image input[type=file]").set_input_files(str(picture))
    classes = "|".join(sorted(p.name for p in demo_dir.iterdir()))
    expect(page.locator("#predict-label")).to_contain_text(re.compile(classes), timeout=60_000)

    open_tab(page, "4 · Runs")
    expect(page.locator("#runs-table")).to_contain_text(run_id)
    fits_a_phone(watcher)
    assert "Traceback" not in page.content() and "Traceback" not in watcher.content()
    assert requests and outside(requests) == [], "the page loaded something from outside the server"


def test_visitors_see_only_their_own_runs(workspace, serve, browser, monkeypatch):
    """Two browsers (separate storage) on a public server: each sees its runs, also after a reload, and no other's."""
    expect = playwright.expect
    # a training left by an earlier app: it holds the slot, so runs stay queued
    blocker = RunDir.create("lenet5", workspace)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", str(blocker.path)])
    blocker.update_status(state="running", pid=sleeper.pid, manager_pid=int(gone), created=time.time())
    monkeypatch.setenv("CNNAPP_SESSION_RUNS", "1")
    try:
        with serve(threads=None) as app:
            alice = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            bob = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            alice.goto(app.url)
            expect(alice.locator("#data-summary")).to_contain_text("10 classes", timeout=30_000)
            open_tab(alice, "2 · Train")
            alice.locator("#start-training").click()
            status = alice.locator("#train-status")
            expect(status).to_contain_text(RUN_ID, timeout=30_000)
            expect(status).to_contain_text("queued")
            run_id = RUN_ID.search(status.inner_text()).group(0)

            bob.goto(app.url)
            expect(bob.locator("#data-summary")).to_contain_text("10 classes", timeout=30_000)
            open_tab(bob, "2 · Train")
            expect(bob.locator("#train-status")).to_contain_text("No training running")
            open_tab(bob, "4 · Runs")
            expect(bob.get_by_text("No runs yet")).to_be_visible(timeout=30_000)

            alice.reload()
            open_tab(alice, "2 · Train")
            expect(alice.locator("#train-status")).to_contain_text(run_id, timeout=30_000)
            open_tab(alice, "4 · Runs")
            expect(alice.locator("#runs-table")).to_contain_text(run_id, timeout=30_000)
            assert run_id not in bob.content() and blocker.id not in alice.content() + bob.content()
            assert "Traceback" not in alice.content() + bob.content()
    finally:
        sleeper.kill()
        sleeper.wait()

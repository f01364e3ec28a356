"""Every screen tells the truth, in a real browser: the Train tab follows its run across reloads and a second tab,
impossible settings are refused in the form, and a new upload replaces the Data tab's old message."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest
from test_browser import CHROMIUM, open_tab

from cnnapp.runs import all_runs
from cnnapp.ui.strings import STRINGS

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]
IDLE = "No training running"
RUN_ID = re.compile(r"\d{8}-\d{6}-[a-z0-9_.]+-[0-9a-f]{4}")


@pytest.fixture
def context(browser):
    """One browser profile (one localStorage: one session) at 1280 px; its pages share the session."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def choose(page, small_dataset: Path, epochs: int) -> None:
    """The small dataset, LeNet-5 and `epochs`, as a person sets them."""
    open_tab(page, "1 · Data")
    page.locator("#upload-folder input[type=file]").set_input_files(str(small_dataset))
    playwright.expect(page.locator("#data-summary")).to_contain_text("3 classes · 36 images", timeout=30_000)
    open_tab(page, "2 · Train")
    arch = page.locator("#arch input")
    arch.click()
    page.get_by_role("option", name="lenet5", exact=True).click()
    playwright.expect(page.locator("#next-run")).to_contain_text("LeNet-5", timeout=30_000)
    field = page.locator("#epochs input[type=number]")
    field.fill(str(epochs))
    field.press("Enter")
    page.wait_for_timeout(500)


def newest(root: Path) -> str:
    return all_runs(root)[0].id


def shows_the_run(page, run_id: str, state: str) -> None:
    """The panel shows `run_id` in `state`, with its log and curves, and stays so (no fall back to idle)."""
    expect = playwright.expect
    status = page.locator("#train-status")
    expect(status).to_contain_text(run_id, timeout=120_000)
    expect(status).to_contain_text(state, timeout=120_000)
    page.wait_for_timeout(4000)  # the panel used to fall back to the idle text about 2 s later
    expect(status).to_contain_text(run_id)
    expect(status).to_contain_text(state)
    expect(status).not_to_contain_text(IDLE)
    assert page.locator(".cnn-log textarea").input_value().strip(), "the log is empty"
    assert page.locator(".cnn-curve img").count() == 2, "the curves are blank"


def test_the_followed_run_stays_across_reloads_until_another_start(live_app, context, small_dataset):
    expect = playwright.expect
    page = context.new_page()
    page.goto(live_app.url)
    choose(page, small_dataset, epochs=3)
    page.locator("#start-training").click()
    status = page.locator("#train-status")
    expect(status).to_contain_text("LeNet-5", timeout=30_000)
    run_id = newest(live_app.jobs.root)
    page.reload()  # during the run
    shows_the_run(page, run_id, "completed")
    page.reload()  # after it
    shows_the_run(page, run_id, "completed")
    page.locator("#start-training").click()  # another run: only now does the panel leave the first one
    expect(status).not_to_contain_text(run_id, timeout=30_000)
    second = newest(live_app.jobs.root)
    assert second != run_id
    shows_the_run(page, second, "completed")
    page.reload()
    shows_the_run(page, second, "completed")


def test_a_stop_from_another_tab_shows_cancelled_in_both(live_app, context, small_dataset):
    """The first tab never showed "cancelled" after its run was stopped from a second tab."""
    expect = playwright.expect
    first = context.new_page()
    first.goto(live_app.url)
    choose(first, small_dataset, epochs=50)  # the form's most: far longer than this test needs
    first.locator("#start-training").click()
    expect(first.locator("#stop-training")).to_be_enabled(timeout=60_000)
    run_id = newest(live_app.jobs.root)
    expect(first.locator("#train-status")).to_contain_text(run_id)
    run = all_runs(live_app.jobs.root)[0]
    deadline = time.monotonic() + 120
    while len(run.metrics()) < 1 and time.monotonic() < deadline:  # an epoch done: there are curves to keep
        time.sleep(0.2)
    live_app.jobs.stop(run_id)  # what another tab's Stop calls: stopped elsewhere than this tab
    second = context.new_page()  # the same browser, as a second tab
    second.goto(live_app.url)
    open_tab(second, "2 · Train")
    for page in (first, second):
        shows_the_run(page, run_id, "cancelled")


def test_a_new_upload_replaces_the_data_tabs_old_message(live_app, context, tmp_path):
    """After a failed empty.zip, a .txt gets the same one-line answer in the panel, naming the .txt, not the zip."""
    expect = playwright.expect
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    notes = tmp_path / "notes.txt"
    notes.write_text("not images")
    page = context.new_page()
    page.goto(live_app.url)
    expect(page.locator("#data-summary")).to_contain_text("10 classes", timeout=30_000)
    notice = page.locator("#data-notice")
    page.locator("#upload-zip input[type=file]").set_input_files(str(empty))
    expect(notice).to_contain_text("empty.zip cannot be used", timeout=30_000)
    page.locator("#upload-zip input[type=file]").set_input_files(str(notes))
    expect(notice).to_contain_text("notes.txt cannot be used", timeout=30_000)
    expect(notice).not_to_contain_text("empty.zip")
    expect(page.get_by_text("Invalid file type")).to_have_count(0)


def test_impossible_settings_are_refused_in_the_page_language(live_app, browser, small_dataset):
    """Epochs 0, image size 5000 and a learning rate of 1000, typed on a Spanish page: each field shows the value
    used, the page says so in Spanish, and the run queued has those values (gradio said "Value 0 is less than minimum
    value 1." in English, the box kept 5000, and a rate of 1000 trained silently to chance)."""
    expect = playwright.expect
    es = STRINGS["es"]
    context = browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_app.url)
    open_tab(page, es["data.title"])
    page.locator("#upload-folder input[type=file]").set_input_files(str(small_dataset))
    expect(page.locator("#data-summary")).to_contain_text("36", timeout=30_000)
    open_tab(page, es["train.title"])
    page.get_by_text(es["train.more"]).click()
    typed = {"train.epochs": ("0", "1"), "train.img_size": ("5000", "320"), "train.lr_head": ("1000", "1")}
    for key, (given, used) in typed.items():
        slider = page.get_by_label(f"number input for {es[key]}", exact=True)
        box = slider if slider.count() else page.get_by_label(es[key], exact=True)
        box.fill(given)
        box.blur()
        said = page.locator('[data-testid="toast-body"]').filter(has_text=es[key])
        expect(said).to_contain_text(f"se usa {used}", timeout=30_000)
        expect(box).to_have_value(used, timeout=10_000)
    page.locator("#start-training").click()
    expect(page.locator("#train-status")).to_contain_text(RUN_ID, timeout=60_000)
    config = all_runs(live_app.jobs.root)[0].config()
    live_app.jobs.stop(all_runs(live_app.jobs.root)[0].id)
    assert (config["epochs"], config["img_size"], config["lr_head"]) == (1, 320, 1.0), config
    shown = page.locator("body").inner_text()
    assert "less than minimum" not in shown and "greater than maximum" not in shown
    assert not page.locator('[data-testid="toast-body"].error').count(), "an error toast"
    context.close()

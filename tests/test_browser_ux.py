"""The app tells the truth, in a real browser: reload keeps the work, failed uploads restore the previous dataset,
impossible settings are refused before queueing, Start queues behind a running run, and the page stays clean
(no console error, no page error, no untranslated key).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from test_browser import ARGS, CHROMIUM, open_tab

from cnnapp.runs import RunDir, list_runs

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]
LONG = {"arch": "lenet5", "epochs": 1000, "batch_size": 8}
UNTRANSLATED = re.compile(
    r"\b(common|upload|dataframe|gallery|image|file|errors|plot|label|checkbox|dropdown)\.[a-z_]+\b"
)

# every text the page ever shows is searched for untranslated keys, also text shown for a moment (e.g. an aria-live
# announcement cleared after a second), not only the text on screen when the test ends
KEY_WATCH = """
window.cnnKeys = [];
const pattern = new RegExp("%s", "g");
new MutationObserver((changes) => {
  for (const change of changes) {
    const nodes = change.type === "characterData" ? [change.target] : [...change.addedNodes];
    for (const node of nodes) {
      // not text in a script or style, such as the page's config (which names the keys gradio translates)
      if (["SCRIPT", "STYLE"].includes(node.nodeName) || ["SCRIPT", "STYLE"].includes(node.parentNode?.nodeName)) {
        continue;
      }
      for (const key of (node.textContent || "").match(pattern) || []) window.cnnKeys.push(key);
    }
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


@pytest.fixture
def app(workspace: Path):
    from cnnapp.jobs.worker import JobManager
    from cnnapp.ui import build_app, launch_options

    jobs = JobManager(workspace, threads=1)
    demo = build_app(workspace, jobs)
    demo.launch(prevent_thread_lock=True, **launch_options(quiet=True))
    try:
        yield demo.local_url, jobs
    finally:
        demo.close()
        jobs.shutdown(timeout=5)


@pytest.fixture
def page():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.problems = problems
        page.add_init_script(KEY_WATCH % UNTRANSLATED.pattern.replace("\\", "\\\\"))
        yield page
        chromium.close()


def clean(page) -> None:
    """No console error, no page error, no untranslated key in the page text, now or at any moment before."""
    text = page.locator("body").inner_text()
    keys = {m.group(0) for m in UNTRANSLATED.finditer(text)} | set(page.evaluate("window.cnnKeys"))
    assert not keys, f"untranslated keys: {keys}"
    assert page.problems == [], "\n".join(page.problems[:10])


def test_reload_keeps_the_work_and_a_second_start_queues(app, page, small_dataset, monkeypatch):
    expect = playwright.expect
    url, jobs = app
    page.goto(url)
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("10 classes · 400 images", timeout=30_000)
    page.locator("#upload-folder input[type=file]").set_input_files(str(small_dataset))
    expect(summary).to_contain_text("3 classes · 36 images", timeout=30_000)
    expect(page.locator("#next-run")).to_contain_text("EfficientNet-Lite0 on uploaded folder (36 files)")

    open_tab(page, "2 · Train")
    epochs = page.locator("#epochs input[type=number]")
    epochs.fill("7")
    epochs.press("Enter")
    monkeypatch.setenv("CNNAPP_MAX_EPOCHS", "1000")  # the blocker's long run, over the default limit
    blocker = jobs.submit({"data": str(small_dataset), **LONG})  # keeps the page's runs queued
    page.locator("#run-name textarea, #run-name input").first.fill("first try")
    page.locator("#start-training").click()
    status = page.locator("#train-status")
    expect(status).to_contain_text("first try", timeout=30_000)
    expect(status).to_contain_text("number 1 in the queue")
    expect(page.locator("#run-name textarea, #run-name input").first).to_have_value("")
    page.locator("#start-training").click()
    expect(status).to_contain_text("number 2 in the queue", timeout=30_000)
    expect(page.locator("#stop-training")).to_be_enabled()  # a queued run can be cancelled from here too
    runs = list_runs(jobs.root).set_index("run_id").drop(blocker.id)
    assert runs["state"].tolist() == ["queued", "queued"]

    page.reload()
    page.problems.clear()  # the reload itself aborts the old page's open connections
    expect(page.get_by_role("tab", name="2 · Train", selected=True)).to_be_visible(timeout=30_000)
    expect(page.locator("#train-data")).to_contain_text(
        "uploaded folder (36 files): 3 classes, 36 images", timeout=30_000
    )
    expect(page.locator("#epochs input[type=number]")).to_have_value("7", timeout=30_000)
    expect(page.locator("#next-run")).to_contain_text("uploaded folder (36 files)")
    expect(status).to_contain_text("number 2 in the queue", timeout=30_000)
    stop = page.locator("#stop-training")
    expect(stop).to_be_enabled(timeout=30_000)  # also after a reload: the queued run can be cancelled from here
    stop.click()
    expect(status).to_contain_text("cancelled", timeout=30_000)
    expect(stop).to_be_disabled()

    open_tab(page, "4 · Runs")
    table = page.locator("#runs-table")
    expect(table).to_contain_text("queued #1", timeout=30_000)
    expect(table).to_contain_text("first try")
    table.get_by_text("first try").click()  # the first run: the name box emptied after its Start
    page.locator("#stop-run").click()
    expect(table).not_to_contain_text("queued", timeout=30_000)
    assert list_runs(jobs.root).set_index("run_id").drop(blocker.id)["state"].tolist() == ["cancelled", "cancelled"]

    jobs.stop(blocker.id)
    assert "error:" not in blocker.log_tail(40)
    clean(page)


def test_a_bad_upload_restores_the_previous_dataset(app, page, small_dataset, tmp_path):
    expect = playwright.expect
    url, _ = app
    one = tmp_path / "oneclass.zip"
    with zipfile.ZipFile(one, "w") as zf:
        for p in (small_dataset / "bag").iterdir():
            zf.write(p, f"bag/{p.name}")
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("not a zip at all")
    page.goto(url)
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("10 classes · 400 images", timeout=30_000)
    notice = page.locator("#data-notice")
    for bad, reason in ((one, "at least two class folders"), (not_zip, "is not a folder or a .zip archive")):
        page.locator("#upload-zip input[type=file]").set_input_files(str(bad))
        expect(notice).to_contain_text(f"{bad.name} cannot be used", timeout=30_000)
        expect(notice).to_contain_text(reason)
        expect(notice).to_contain_text("Still using Fashion-MNIST mini (example)")
        expect(summary).to_contain_text("10 classes · 400 images")
        expect(page.locator("#upload-zip")).not_to_contain_text(bad.name)
    assert page.locator(".error").count() == 0 or not page.locator(".error").first.is_visible()
    open_tab(page, "2 · Train")
    expect(page.locator("#train-data")).to_contain_text("Fashion-MNIST mini (example): 10 classes, 400 images")
    page.problems[:] = [p for p in page.problems if "notes.zip" not in p]  # the toast's own log line
    clean(page)


def test_pretrained_resnet18_is_refused_before_queueing(app, page, workspace):
    expect = playwright.expect
    url, _ = app
    page.goto(url)
    open_tab(page, "2 · Train")
    pretrained = page.locator("#pretrained input[type=checkbox]")
    expect(pretrained).to_be_checked(timeout=30_000)
    arch = page.locator("#arch input")
    arch.click()
    page.get_by_role("option", name="resnet18", exact=True).click()
    expect(pretrained).to_be_disabled(timeout=30_000)
    expect(pretrained).not_to_be_checked()
    expect(page.locator("#pretrained")).to_contain_text(
        "no ImageNet weights available offline for ResNet-18: untick, or pick EfficientNet-Lite0"
    )
    expect(page.locator("#next-run")).to_contain_text("ResNet-18")
    assert list_runs(workspace).empty
    open_tab(page, "Compare")
    plan = page.locator("#compare-plan")
    expect(plan).to_contain_text("skipped: no ImageNet weights available offline for ResNet-18", timeout=30_000)
    expect(page.locator("#compare-plan-text")).to_contain_text("1 of 4 settings can run")
    assert "--" not in page.locator("body").inner_text().replace("---", "")
    clean(page)


def shoot(page, name: str, tmp_path: Path) -> None:
    """With CNNAPP_SCREENSHOTS=assets, the README's picture of a tab: assets/screenshot-<name>.png (256 colours)."""
    folder = os.environ.get("CNNAPP_SCREENSHOTS")
    if not folder:
        return
    page.wait_for_timeout(1500)  # plots and images settle
    page.screenshot(path=str(tmp_path / "shot.png"), style=".toast-wrap { display: none !important; }")
    target = Path(folder) / f"screenshot-{name}.png"
    Image.open(tmp_path / "shot.png").convert("RGB").quantize(256).save(target, optimize=True)
    assert target.stat().st_size < 200_000, f"{target} is {target.stat().st_size} bytes"


def test_the_whole_flow_has_no_console_errors(app, page, small_dataset, demo_dir, tmp_path):
    """Train a quick run, then visit every tab: no console or page error, no untranslated key, names everywhere.

    Set CNNAPP_SCREENSHOTS=assets to refresh the README's screenshots (Data, Train, Predict, Compare) on the way.
    """
    expect = playwright.expect
    url, jobs = app
    page.goto(url)
    expect(page.locator("#data-summary")).to_contain_text("10 classes", timeout=30_000)
    expect(page.locator("#augmented img").first).to_be_visible(timeout=30_000)
    shoot(page, "data", tmp_path)
    open_tab(page, "2 · Train")
    epochs = page.locator("#epochs input[type=number]")
    epochs.fill("3" if os.environ.get("CNNAPP_SCREENSHOTS") else "1")  # curves worth a picture, or a quick test
    epochs.press("Enter")
    page.locator("#start-training").click()
    expect(page.locator("#train-status")).to_contain_text("completed", timeout=240_000)
    expect(page.locator("#train-status")).to_contain_text("EfficientNet-Lite0 · Fashion-MNIST mini (example) · frozen")
    shoot(page, "train", tmp_path)
    open_tab(page, "3 · Predict")
    page.get_by_role("button", name="Classify", exact=True).click()
    expect(page.get_by_text("No picture to classify yet")).to_be_visible(timeout=30_000)
    picture = tmp_path / "bag.png"
    shutil.copy(sorted((demo_dir / "bag").iterdir())[0], picture)
    page.locator("#predict-image input[type=file]").set_input_files(str(picture))
    expect(page.locator("#predict-label")).to_contain_text(re.compile(r"\d+%"), timeout=60_000)
    shoot(page, "predict", tmp_path)
    for title in ("4 · Runs", "Evaluate", "Compare", "Explain", "Export", "1 · Data"):
        open_tab(page, title)
        page.wait_for_timeout(1500)
        if title == "Compare":
            expect(page.locator("#compare-plan-text")).to_contain_text("4 of 4 settings can run", timeout=30_000)
            shoot(page, "compare", tmp_path)
    clean(page)


def test_a_phone_shows_whole_run_ids_and_captions_under_the_thumbnails(app, workspace, small_dataset, tmp_path):
    """At 390 px the Runs table shows each run id in full (it scrolls sideways instead) and the Data tab's sample
    captions sit under their pictures, not over them."""
    expect = playwright.expect
    url, jobs = app
    run = RunDir.create("tf_efficientnet_lite0", workspace)
    run.file("config.json").write_text(json.dumps({"arch": "tf_efficientnet_lite0", "data": str(small_dataset)}))
    run.update_status(state="completed", created=time.time(), name="shoes v2", dataset={"name": "small"})
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2).new_page()
        page.add_init_script(KEY_WATCH % UNTRANSLATED.pattern.replace("\\", "\\\\"))
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
        page.goto(url)
        expect(page.locator("#data-summary")).to_contain_text("10 classes", timeout=30_000)
        samples = page.locator("#data-samples")
        expect(samples.locator("img").first).to_be_visible(timeout=30_000)
        pairs = samples.evaluate(
            """(gallery) => [...gallery.querySelectorAll(".thumbnail-item")].slice(0, 6).map((item) => {
                const img = item.querySelector("img").getBoundingClientRect();
                const caption = item.querySelector(".caption-label");
                return caption ? [img.bottom, caption.getBoundingClientRect().top] : null;
            })"""
        )
        assert pairs and all(pairs), "sample captions missing"
        assert all(top >= bottom - 1 for bottom, top in pairs), f"captions cover the pictures: {pairs}"
        open_tab(page, "4 · Runs")
        cell = page.locator("#runs-table").get_by_text(run.id, exact=True).filter(visible=True).first
        expect(cell).to_be_visible(timeout=30_000)
        width, full, height, tall = cell.evaluate(
            "(el) => [el.clientWidth, el.scrollWidth, el.closest('.cell-wrap').clientHeight, el.scrollHeight]"
        )
        assert full <= width + 1 and tall <= height + 1, f"the run id is cut: {full}×{tall} px in {width}×{height}"
        page.screenshot(path=str(tmp_path / "phone-runs.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the Runs tab is wider than the phone"
        assert not page.evaluate("window.cnnKeys") and not page.problems
        chromium.close()

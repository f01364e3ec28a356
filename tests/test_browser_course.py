"""The course end to end, as a Spanish student meets it on a default install (`python app.py`, default limits):
Data (the example) → Train (a reload mid-run) → Predict → Compare (4 runs) → Learn → Optimizers (7 runs) → Evaluate →
Explain → Export, in Chromium at 1280 px; and the main path (Data → Train → Predict) on a 390 px phone.

At every step the page is read for what a Spanish student must never meet: an error badge or error toast, a page
error, a console error, an i18n key shown raw, an English word left over. Every finding of a walk is collected and
reported at its end, so one run names them all.

With CNNAPP_SCREENSHOTS=assets the walks refresh the README's screenshots: the Spanish page and the phone, then the
English desktop ones (Data, Train, Predict, Compare) from the same runs after the header's switch to English.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import test_browser
from conftest import poll
from test_browser import open_tab
from test_browser_ux import KEY_WATCH, shoot

from cnnapp.runs import ACTIVE, list_runs
from cnnapp.ui.strings import STRINGS

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
ES, EN = STRINGS["es"], STRINGS["en"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
RUN_ID = re.compile(r"\d{8}-\d{6}-[a-z0-9_.]+-[0-9a-f]{4}")
ALL_DONE_S = 600  # the default training, the grid (4 runs) and the race (7 runs) on two busy cores

# English words of the app's English strings that no Spanish text contains (a test checks): on a Spanish page they
# are a text left untranslated. Technical names (Adam, ReLU, softmax, EfficientNet) are the same in both languages.
LEFTOVERS = (
    "completed",
    "queued",
    "running",
    "cancelled",
    "failed",
    "finished",
    "waiting",
    "frozen",
    "from scratch",
    "fine-tuned",
    "unfrozen",
    "no augmentation",
    "(example)",
    "example",
    "Upload",
    "Drop",
    "epoch",
    "epochs",
    "accuracy",
    "validation",
    "images",
    "classes",
    "Classify",
    "Training",
    "Start",
    "Stop",
    "seconds",
    "left",
    "best",
    "Download",
    "Search",
    "Filter",
    "will run",
    "skipped",
    "No runs",
    "Nothing to",
)
LEFTOVER = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in LEFTOVERS) + r")(?![\w-])", re.IGNORECASE)
# an i18n key shown instead of its text: the app's (`train.epochs`) and gradio's (`upload_text.drop_image`), or
# gradio's marker of an untranslated text; a file name (`model.onnx`) is not a key
PREFIXES = sorted({key.split(".")[0] for key in EN} | {"upload_text", "image", "file", "errors", "gallery", "plot"})
FILES = r"(?!(?:png|jpe?g|zip|csv|onnx|json|safetensors|pt)\b)"
RAW_KEY = re.compile(r"(?<![\w.])(?:" + "|".join(PREFIXES) + r")\." + FILES + r"[a-z_]+\b|__i18n__")

# error toasts and error badges seen at any moment, not only those still on screen when the page is read
ERROR_WATCH = """
window.cnnErrors = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll(
    '[data-testid="toast-body"].error, [data-testid="status-tracker"] .error'
  )) {
    const text = (el.innerText || "").trim().replace(/\\s+/g, " ");
    if (!el.dataset.cnnSeen && el.offsetParent !== null) {
      el.dataset.cnnSeen = "1";
      window.cnnErrors.push(text || "(an error badge without text)");
    }
  }
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
"""
# where a line of text is shown: the id of the nearest element with one, around the smallest element holding it
WHERE = """(line) => {
  const holders = [...document.querySelectorAll("body *")].filter(
    (el) => el.offsetParent !== null && (el.innerText || el.value || "").includes(line));
  const smallest = holders[holders.length - 1];
  const named = smallest && smallest.closest("[id]");
  return named ? `#${named.id} <${smallest.tagName.toLowerCase()}>` : "an input's value";
}"""
# the text a person reads: the visible page and the values of its visible boxes (a dropdown shows a run's name)
SHOWN_TEXT = """() => [document.body.innerText,
  ...[...document.querySelectorAll("input:not([type=file]):not([type=hidden]):not([type=radio]), textarea")]
    .filter((el) => el.type !== "checkbox")
    .filter((el) => el.offsetParent !== null).map((el) => el.value)].join("\\n")"""


def walk(test):
    """A walk in Chromium: slow, a browser test, skipped without Chromium (as every test of test_browser)."""
    for mark in test_browser.pytestmark:
        test = mark(test)
    return test


class Student:
    """A Chromium page in `locale` that notes every problem a person would see, step by step."""

    def __init__(self, browser, url: str, locale: str, viewport: dict, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.page = browser.new_context(locale=locale, viewport=viewport).new_page()
        self.spanish = locale.startswith("es")
        self.findings: list[str] = []
        self.step = "opening the page"
        self.page.on("console", lambda m: self.note(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.note(f"page error: {exc}"))
        self.page.on("response", lambda r: self.note(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None)
        self.page.add_init_script(KEY_WATCH % RAW_KEY.pattern.replace("\\", "\\\\"))
        self.page.add_init_script(ERROR_WATCH)
        self.page.goto(url)

    def note(self, finding: str) -> None:
        self.findings.append(f"[{self.step}] {finding}")

    def at(self, step: str) -> None:
        """Read the page as it is now (and all it showed since the last step), then start `step`."""
        page = self.page
        page.wait_for_timeout(1000)  # what the step's events draw has arrived
        text = page.evaluate(SHOWN_TEXT)
        keys = sorted({m.group(0) for m in RAW_KEY.finditer(text)} | set(page.evaluate("window.cnnKeys || []")))
        if keys:
            self.note(f"raw i18n keys shown: {keys}")
        for error in page.evaluate("window.cnnErrors || []"):
            self.note(f"an error badge or toast: {error!r}")
        if self.spanish:
            for line in {line for line in text.splitlines() if LEFTOVER.search(line)}:
                where = page.evaluate(WHERE, line.strip())
                words = sorted(set(LEFTOVER.findall(line)))
                self.note(f"English on the Spanish page: {words} in {line[:160]!r} (in {where})")
        page.evaluate("() => { window.cnnKeys = []; window.cnnErrors = []; }")
        self.step = step

    def reload(self) -> None:
        """A reload as the browser's button does it (unload events included); the page's problems stay noted."""
        self.page.evaluate("() => window.location.reload()")
        self.page.wait_for_load_state()
        expect(self.page.locator("#data-summary")).to_contain_text("400", timeout=60_000)

    def expect_soon(self, predicate, timeout: float, what) -> None:
        """Wait for what the page should show; if it never does, note it (with the errors the page showed meanwhile)
        and walk on, so that one walk reports every defect on the way."""
        try:
            poll(predicate, timeout, what)
        except AssertionError as exc:
            self.note(f"{exc}; errors on the page: {self.page.evaluate('window.cnnErrors')}")

    def check(self) -> None:
        assert not self.findings, f"{len(self.findings)} problem(s) on the page:\n" + "\n".join(self.findings[:40])


def number_input(page, label: str):
    """A slider's number box, found by its (translated) label."""
    return page.get_by_label(f"number input for {label}", exact=True).filter(visible=True).first


def set_number(page, label: str, value: int) -> None:
    box = number_input(page, label)
    box.fill(str(value))
    box.press("Enter")


def run_ids(locator) -> set[str]:
    return set(RUN_ID.findall(locator.inner_text()))


def picture_of_the_example(demo_dir: Path, tmp_path: Path) -> Path:
    picture = tmp_path / "bag.png"
    shutil.copy(sorted((demo_dir / "bag").iterdir())[0], picture)
    return picture


def data_train_predict(student: Student, picture: Path, reload_mid_run: bool) -> str:
    """The main path: the example, a Start with the defaults (a reload while it trains), a prediction; the run id."""
    page = student.page
    expect(page.locator("#data-summary")).to_contain_text("400", timeout=60_000)
    student.at("Data: use the example")
    page.locator("#use-example").click()
    expect(page.locator("#data-summary")).to_contain_text(ES["data.example_name"], timeout=30_000)
    expect(page.locator("#data-samples img").first).to_be_visible(timeout=30_000)

    student.at("Train: Start with the defaults")
    open_tab(page, ES["train.title"])
    expect(page.locator("#train-data")).to_contain_text(ES["data.example_name"], timeout=30_000)
    page.locator("#start-training").click()
    status = page.locator("#train-status")
    expect(status).to_contain_text(RUN_ID, timeout=60_000)
    run_id = RUN_ID.search(status.inner_text()).group(0)
    if reload_mid_run:
        expect(page.locator("#train-progress")).to_contain_text(ES["common.epoch_batch"].split()[0], timeout=180_000)
        student.at("Train: reload mid-run")
        student.reload()
        expect(page.get_by_role("tab", name=ES["train.title"], selected=True)).to_be_visible(timeout=30_000)
        expect(status).to_contain_text(run_id, timeout=30_000)  # the run is still followed
    expect(status).to_contain_text(ES["common.state_completed"], timeout=300_000)
    finished = ES["common.finished_epochs"].split("{epochs}")[-1].strip()
    expect(page.locator("#train-progress")).to_contain_text(finished, timeout=30_000)
    page.wait_for_timeout(3000)  # the final state stays: the tab once fell back to its idle text after about 2 s
    if run_id not in (final := status.inner_text()) or ES["common.state_completed"] not in final:
        after = " (after a reload mid-run)" if reload_mid_run else ""
        student.note(
            f"3 s after run {run_id} completed the Train tab shows {final[:200]!r}, not its final state{after}"
        )
    student.at("Train: the run's final state")
    shoot(page, "phone" if page.viewport_size["width"] < 600 else "es", student.tmp_path)

    open_tab(page, ES["predict.title"])
    page.locator("#predict-image input[type=file]").set_input_files(str(picture))
    expect(page.locator("#predict-label")).to_contain_text(re.compile(r"\d+%"), timeout=120_000)
    student.at("Predict: a picture of the example classified")
    return run_id


def all_finished(root: Path, count: int) -> bool:
    runs = list_runs(root)
    return len(runs) >= count and not runs["state"].isin(ACTIVE).any()


@walk
def test_the_course_on_a_default_install_in_spanish(serve, browser, workspace, demo_dir, tmp_path, wait_for):
    picture = picture_of_the_example(demo_dir, tmp_path)
    with serve(threads=None) as app:  # as `python app.py` builds it: default limits, every core
        student = Student(browser, app.url, "es-ES", DESKTOP, tmp_path)
        page = student.page
        data_train_predict(student, picture, reload_mid_run=True)

        open_tab(page, ES["compare.title"])
        student.at("Compare: the grid at 1 epoch, 64 px")
        set_number(page, ES["compare.epochs"], 1)
        set_number(page, ES["compare.img_size"], 64)
        expect(page.locator("#compare-plan-text")).to_contain_text("4", timeout=30_000)
        page.locator("#compare-queue").click()
        table = page.locator("#compare-table")
        student.expect_soon(
            lambda: len(run_ids(table)) == 4, 30, lambda: f"the grid's 4 runs listed: {table.inner_text()!r}"
        )
        student.at("Learn: its sub-tabs")

        open_tab(page, ES["learn.title"])
        for key in ("conv", "pool", "stack", "layers", "arch", "loss", "mix", "optim"):  # all shown: none in a menu
            page.get_by_role("tab", name=ES[f"learn.tab_{key}"], exact=True).click()
            student.at(f"Learn: {ES[f'learn.tab_{key}']}")
        set_number(page, ES["learn.epochs"], 1)
        page.locator("#learn-queue-optimizers").click()
        race = page.locator("#learn-optimizer-runs")
        student.expect_soon(
            lambda: len(run_ids(race)) == 7, 30, lambda: f"the race's 7 runs listed: {race.inner_text()!r}"
        )
        student.at("Learn: the race's runs train")
        wait_for(
            lambda: all_finished(workspace, 12), ALL_DONE_S, lambda: f"every run finished:\n{list_runs(workspace)}"
        )
        runs = list_runs(workspace)
        assert runs["state"].eq("completed").all(), f"runs that did not complete:\n{runs[runs['state'] != 'completed']}"
        done = ES["compare.state_completed"]
        student.expect_soon(
            lambda: race.inner_text().count(done) == 7, 30, lambda: f"7 × {done!r} in {race.inner_text()!r}"
        )
        open_tab(page, ES["compare.title"])
        student.expect_soon(
            lambda: table.inner_text().count(done) == 4, 30, lambda: f"4 × {done!r} in {table.inner_text()!r}"
        )
        student.at("Evaluate")

        open_tab(page, ES["evaluate.title"])
        expect(page.locator("#evaluate-summary")).to_contain_text(re.compile(r"\d+[.,]\d%"), timeout=60_000)
        expect(page.locator("#evaluate-top-losses img").first).to_be_visible(timeout=60_000)
        student.at("Explain")

        open_tab(page, ES["explain.title"])
        page.locator("#explain-image input[type=file]").set_input_files(str(picture))
        expect(page.locator("#explain-heatmap img")).to_be_visible(timeout=120_000)
        expect(page.locator("#explain-maps img").first).to_be_visible(timeout=120_000)
        student.at("Export")

        open_tab(page, ES["export.title"])
        expect(page.locator("#export-run input")).not_to_have_value("", timeout=30_000)
        page.locator("#export-button").click()
        link = page.locator("#export-file a").first
        expect(link).to_be_visible(timeout=120_000)
        with page.expect_download(timeout=60_000) as download:
            link.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.stat().st_size > 10_000, f"the export {saved.name} is {saved.stat().st_size} bytes"
        student.at("the end")
        if os.environ.get("CNNAPP_SCREENSHOTS"):
            english_screenshots(student, picture)
        student.check()


def english_screenshots(student: Student, picture: Path) -> None:
    """The README's English desktop pictures, from the same page and runs after the header's switch to English."""
    page, student.spanish = student.page, False
    page.locator("#lang-switch").get_by_text("English", exact=True).click()
    data_tab = page.get_by_role("tab", name=EN["data.title"])
    expect(data_tab).to_be_visible(timeout=60_000)
    page.wait_for_timeout(2000)  # the switch redraws the page: a click before it lands on the old tabs
    open_tab(page, EN["data.title"])
    expect(data_tab).to_have_attribute("aria-selected", "true", timeout=30_000)
    expect(page.locator("#augmented img").first).to_be_visible(timeout=30_000)
    shoot(page, "data", student.tmp_path)
    open_tab(page, EN["train.title"])
    expect(page.locator("#train-status")).to_contain_text(EN["common.state_completed"], timeout=30_000)
    shoot(page, "train", student.tmp_path)
    open_tab(page, EN["predict.title"])
    page.locator("#predict-image input[type=file]").set_input_files(str(picture))
    expect(page.locator("#predict-label")).to_contain_text(re.compile(r"\d+%"), timeout=60_000)
    shoot(page, "predict", student.tmp_path)
    open_tab(page, EN["compare.title"])
    expect(page.locator("#compare-plan-text")).to_contain_text("4", timeout=30_000)
    shoot(page, "compare", student.tmp_path)
    student.at("the English page")  # the switch and the English page are read too


@walk
def test_the_main_path_on_a_phone_in_spanish(serve, browser, demo_dir, tmp_path):
    picture = picture_of_the_example(demo_dir, tmp_path)
    with serve(threads=None) as app:
        student = Student(browser, app.url, "es-ES", PHONE, tmp_path)
        data_train_predict(student, picture, reload_mid_run=False)
        width = student.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
        student.check()


def test_the_english_leftovers_are_no_spanish_text():
    """A word of the list found in a Spanish text would fail the walks for a right translation."""
    spanish = re.sub(r"\{[^}]*\}", "", "\n".join(ES.values()))  # not the placeholders' names
    assert not LEFTOVER.findall(spanish), sorted(set(LEFTOVER.findall(spanish)))
    english = "\n".join(EN.values())
    unused = [w for w in LEFTOVERS if not re.search(re.escape(w), english, re.IGNORECASE)]
    assert not unused, f"not words of the English page: {unused}"

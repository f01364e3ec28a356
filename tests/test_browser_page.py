"""The page's own behaviour in a real browser: a clean console across reloads, language switches and the live
camera; plots, galleries and the model picker that show all they hold; examples that suit the chosen model; the
example's, the presets' and gradio's own texts in Spanish on the Spanish page."""

from __future__ import annotations

import re
import shutil

import pytest
import test_browser
from conftest import trained_demo_run
from test_browser import ARGS, CHROMIUM, RUN_ID, open_tab
from test_browser_camera import CAMERA_ARGS

from cnnapp.ui.i18n import say
from cnnapp.ui.strings import STRINGS

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = test_browser.pytestmark  # slow, drives Chromium, skipped without it
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

    def note(m) -> None:  # with the address it concerns: a failed request names its own
        if m.type in ("error", "warning"):
            seen.append(f"{m.type}: {m.text} ({m.location.get('url')})")

    page.on("console", note)
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
    epochs = page.locator("#epochs input[type=number]")
    epochs.fill("50")
    epochs.press("Enter")
    page.get_by_label(say("train.freeze")).uncheck()
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

    # the live camera, classifying with the ImageNet model, reloaded at three moments of its stream (a frame on its
    # way when the page leaves was answered 404 about one reload in 16)
    for wait_ms in (300, 1500, 3000):
        open_tab(page, "3 · Predict")
        page.locator("#live").get_by_text("Live camera").first.click()
        camera = page.locator("#live-cam")
        camera.get_by_text("Click to Access Webcam").click()
        page.wait_for_function("document.querySelector('#live-cam video').videoWidth > 0", timeout=30_000)
        camera.locator("button[aria-label='capture photo']").click()
        expect(page.locator("#live-label")).to_contain_text(re.compile(r"\d+%"), timeout=120_000)
        page.wait_for_timeout(wait_ms)
        reload_as_a_person(page)
        after[f"reload {wait_ms} ms into the live camera"] = len(seen)
    assert seen == [], f"console messages (count after each step: {after}):\n" + "\n".join(seen[:10])


# how much of a gallery's grid is hidden below its box, and whether its label covers the first picture
GALLERY_FIT = """(selector) => {
  const gallery = document.querySelector(selector);
  const grid = gallery.querySelector(".grid-wrap");
  const label = gallery.querySelector("label").getBoundingClientRect();
  const first = gallery.querySelector(".gallery-item").getBoundingClientRect();
  return { hidden: grid.scrollHeight - grid.clientHeight, covered: label.bottom - first.top };
}"""
# where a dropdown's text may run (its input's content box) against where its arrow starts
TEXT_AND_ARROW = """(selector) => {
  const input = document.querySelector(selector + " input[role=combobox]");
  const style = getComputedStyle(input);
  return [input.getBoundingClientRect().right - parseFloat(style.paddingRight),
          document.querySelector(selector + " .icon-wrap").getBoundingClientRect().left];
}"""


def choose_imagenet(page, selector: str) -> None:
    page.locator(f"{selector} input").click()
    page.get_by_role("option", name=re.compile("ImageNet")).first.click()


def test_plots_galleries_and_pickers_show_all_they_hold_and_examples_suit_the_model(
    live_app, browser, workspace, demo_dir, tmp_path
):
    run = trained_demo_run(workspace)  # LeNet-5 on the bundled example: it makes mistakes worth showing
    picture = tmp_path / "bag.png"
    shutil.copy(sorted((demo_dir / "bag").iterdir())[0], picture)
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live_app.url)
    expect(page.locator("#data-summary")).to_contain_text("400", timeout=60_000)

    open_tab(page, "4 · Runs")
    page.locator("#runs-table").get_by_text(run.id, exact=True).filter(visible=True).first.click()
    expect(page.locator(".cnn-curve img")).to_have_count(2, timeout=60_000)
    for plot in page.locator(".cnn-curve").all():
        label, image = plot.locator("label").bounding_box(), plot.locator("img").bounding_box()
        assert label["y"] + label["height"] <= image["y"] + 1, "the plot's label covers its top-left corner"

    open_tab(page, "Evaluate")
    expect(page.locator("#evaluate-top-losses img").first).to_be_visible(timeout=60_000)
    open_tab(page, "Explain")
    page.locator("#explain-image input[type=file]").set_input_files(str(picture))
    expect(page.locator("#explain-maps img").first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)  # the pictures are laid out
    for gallery, width in (("#explain-maps", 1280), ("#evaluate-top-losses", 1280), ("#explain-maps", 390)):
        page.set_viewport_size({**DESKTOP, "width": width})  # on a phone the label takes two lines
        page.wait_for_timeout(500)
        fit = page.evaluate(GALLERY_FIT, gallery)
        assert fit["hidden"] <= 1, f"{gallery} hides {fit['hidden']} px of its pictures below its bottom edge"
        assert fit["covered"] <= 1, f"{gallery}'s label covers its first picture by {fit['covered']:.0f} px ({width})"
    page.set_viewport_size(DESKTOP)
    expect(page.locator("#explain-image-examples")).to_be_visible()  # the model knows the examples' classes
    choose_imagenet(page, "#explain-model")
    expect(page.locator("#explain-image-examples")).to_be_hidden(timeout=30_000)

    open_tab(page, "3 · Predict")
    expect(page.locator("#predict-model input")).to_have_value(re.compile("lenet5 · "), timeout=30_000)
    text_end, arrow = page.evaluate(TEXT_AND_ARROW, "#predict-model")
    assert text_end <= arrow, f"the model's name runs {text_end - arrow:.0f} px into the dropdown's arrow"
    examples = page.locator("#predict-image-examples")
    expect(examples).to_be_visible()
    examples.locator("button").first.click()  # an example is classified by the model trained on its dataset
    expect(page.locator("#predict-label")).to_contain_text(re.compile(r"\d+%"), timeout=60_000)
    choose_imagenet(page, "#predict-model")
    expect(examples).to_be_hidden(timeout=30_000)  # sandals and trousers mean nothing to an ImageNet classifier


def test_the_spanish_page_names_the_example_the_presets_and_gradios_own_texts_in_spanish(live_app, browser):
    es = STRINGS["es"]
    page = browser.new_context(locale="es-ES", viewport=DESKTOP).new_page()
    page.goto(live_app.url)
    example = es["data.example_name"]
    expect(page.locator("#data-summary")).to_contain_text(example, timeout=60_000)
    expect(page.locator("#next-run")).to_contain_text(example)
    expect(page.locator("#data-samples").get_by_label(es["common.download_all"])).to_have_count(1)
    open_tab(page, es["train.title"])
    expect(page.locator("#train-data")).to_contain_text(example)
    augment = page.get_by_label(es["train.augment"], exact=True)
    expect(augment).to_have_value(es["data.preset_none"])
    augment.click()
    for key in ("light", "medium", "strong"):
        expect(page.get_by_role("option", name=es[f"data.preset_{key}"], exact=True)).to_be_visible()
    open_tab(page, es["learn.title"])  # an editable table's column menu: gradio has no Spanish for its filters
    table = page.locator(".table-container").filter(has=page.locator(".drop-hint")).first
    header = table.locator("th").first
    header.hover()
    header.click()
    table.locator("button.cell-menu-button").first.click()
    for key in ("dataframe.filter", "dataframe.clear_filter"):
        expect(page.get_by_text(es[key], exact=True)).to_be_visible(timeout=30_000)
    assert STRINGS["en"]["data.example_name"] not in page.locator("body").inner_text()

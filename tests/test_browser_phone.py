"""The page on a 390 px phone and on a 1280 px desktop, in English and Spanish: a title that fits (no word broken
across lines), a compact language switch, every main tab in view (no hidden "⋯" menu) and the first action on the
first screen."""

from __future__ import annotations

import pytest
import test_browser

from cnnapp.ui import TAB_TEXT, TABS
from cnnapp.ui.strings import STRINGS

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = test_browser.pytestmark  # slow, drives Chromium, skipped without it
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SWITCH_MAX_HEIGHT = 56  # one row of compact choices: no empty block under them

# the words of an element's text that the browser broke across two lines (e.g. "classifi/ers")
SPLIT_WORDS = """(selector) => {
  const split = [];
  const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
      if (tops.size > 1) split.push(word[0]);
    }
  }
  return split;
}"""


def open_page(browser, url: str, locale: str, viewport: dict):
    page = browser.new_context(locale=locale, viewport=viewport).new_page()
    page.goto(url)
    expect(page.locator("#data-summary")).to_contain_text("400", timeout=30_000)  # the example is shown
    page.wait_for_timeout(500)  # gradio places the tabs after a resize observer's frame
    return page


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not on the page"
    return found


def tab_boxes(page, lang: str) -> list[dict]:
    """The main tabs' buttons, each visible (none in an overflow menu)."""
    assert not page.get_by_role("button", name="More tabs").count(), "some tabs are hidden behind the '⋯' menu"
    found = []
    for tab in TABS:
        button = page.get_by_role("tab", name=STRINGS[lang][TAB_TEXT[tab].key], exact=True).first
        expect(button).to_be_visible()
        found.append(button.bounding_box())
    return found


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("es-ES", "es")])
def test_the_first_screen_of_a_phone_shows_the_title_the_switch_the_tabs_and_the_first_action(
    live_app, browser, locale, lang
):
    page = open_page(browser, live_app.url, locale, PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page is wider than the phone"
    assert page.evaluate(SPLIT_WORDS, "#cnn-header h1") == [], "the title breaks words across lines"
    title = box(page, "#cnn-header h1")
    assert title["width"] >= PHONE["width"] * 0.7, f"the title is squeezed into {title['width']:.0f} px"
    switch = box(page, "#lang-switch")
    assert switch["height"] <= SWITCH_MAX_HEIGHT, f"the language switch is {switch['height']:.0f} px tall"
    assert switch["x"] >= 0 and switch["x"] + switch["width"] <= PHONE["width"]
    tabs = tab_boxes(page, lang)
    assert max(t["y"] + t["height"] for t in tabs) <= PHONE["height"], "the tabs are below the first screen"
    example = box(page, "#use-example")
    assert example["y"] + example["height"] <= PHONE["height"], (
        f"the example button starts at {example['y']:.0f} px, below the {PHONE['height']} px first screen"
    )
    page.locator("#lang-switch").get_by_text("English" if lang == "es" else "Español", exact=True).click()
    expect(page.get_by_role("tab", name=STRINGS["en" if lang == "es" else "es"]["train.title"])).to_be_visible(
        timeout=30_000
    )  # the compact switch still switches


def test_on_a_desktop_the_title_and_switch_share_one_row_and_the_tabs_one_line(live_app, browser):
    page = open_page(browser, live_app.url, "es-ES", DESKTOP)
    title, switch = box(page, "#cnn-header h1"), box(page, "#lang-switch")
    assert page.evaluate(SPLIT_WORDS, "#cnn-header h1") == []
    assert title["height"] < 60, "the title takes more than one line on a desktop"
    assert switch["y"] < title["y"] + title["height"] and switch["x"] > title["x"] + title["width"] - 1, (
        "the switch is not beside the title"
    )
    assert switch["height"] <= SWITCH_MAX_HEIGHT
    assert len({round(t["y"]) for t in tab_boxes(page, "es")}) == 1, "the tabs take more than one line"

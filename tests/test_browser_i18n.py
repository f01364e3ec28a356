"""The page in a real browser, in English and Spanish: the browser's language, then the header's switch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import CHROMIUM, open_tab
from test_browser_ux import KEY_WATCH

from cnnapp.ui import TAB_TEXT, TABS
from cnnapp.ui.strings import STRINGS

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install chromium"),
]
# a key shown instead of its text (`train.epochs`), or gradio's marker of an untranslated I18nData
UNTRANSLATED = re.compile(
    r"\b(?:common|data|train|runs|predict|evaluate|compare|explain|export|learn|builder)\.[a-z_]+\b|__i18n__"
)
TRAIN_LABELS = ("train.epochs", "train.img_size", "train.unfreeze", "train.name")


def titles(lang: str) -> list[str]:
    return [STRINGS[lang][TAB_TEXT[tab].key] for tab in TABS]


def page_in(browser, url: str, locale: str):
    page = browser.new_context(locale=locale, viewport={"width": 1400, "height": 900}).new_page()
    page.add_init_script(KEY_WATCH % UNTRANSLATED.pattern.replace("\\", "\\\\"))  # keys shown for a moment too
    page.goto(url)
    return page


def check_page(page, lang: str) -> None:
    """Tab titles, the Train form, the Runs tab and text made on the server in `lang`; no key or marker left
    untranslated, not even for a moment."""
    text = STRINGS[lang]
    for title in titles(lang):
        page.get_by_role("tab", name=title, exact=True).first.wait_for(state="attached", timeout=30_000)
    page.locator("#next-run").get_by_text(text["common.next_start"].split("**")[0].strip()).wait_for()
    assert not UNTRANSLATED.findall(page.inner_text("body")), "the Data tab shows untranslated keys"
    open_tab(page, text["train.title"])
    page.get_by_role("button", name=text["train.start"]).wait_for(state="visible")
    page.locator("#train-status").get_by_text(text["train.idle"].split(".")[0].split(">")[-1]).wait_for()
    body = page.inner_text("body")
    assert all(text[key] in body for key in TRAIN_LABELS), [text[key] for key in TRAIN_LABELS if text[key] not in body]
    assert not UNTRANSLATED.findall(body), "the Train tab shows untranslated keys"
    open_tab(page, text["runs.title"])
    page.get_by_text(text["runs.empty"].split("</b>")[0].split("<b>")[-1]).wait_for()  # "No runs yet."
    assert not UNTRANSLATED.findall(page.inner_text("body")), "the Runs tab shows untranslated keys"
    assert page.evaluate("window.cnnKeys") == [], "the page showed untranslated keys for a moment"


@pytest.mark.parametrize(("locale", "lang"), [("es-ES", "es"), ("en-US", "en")])
def test_the_page_speaks_the_browsers_language(live_app, browser, locale, lang):
    page = page_in(browser, live_app.url, locale)
    check_page(page, lang)
    other = "en" if lang == "es" else "es"
    assert not any(page.get_by_role("tab", name=t, exact=True).count() for t in titles(other) if t not in titles(lang))


def test_the_header_switch_changes_the_language_and_survives_a_reload(live_app, browser):
    page = page_in(browser, live_app.url, "en-US")
    expect(page.locator("#lang-switch input[value='en']")).to_be_checked(timeout=30_000)  # the page has loaded
    page.locator("#lang-switch").get_by_text("Español", exact=True).click()
    check_page(page, "es")
    assert {"name": "cnnapp-lang", "value": "es"}.items() <= next(
        c for c in page.context.cookies() if c["name"] == "cnnapp-lang"
    ).items()
    page.reload()
    check_page(page, "es")
    expect(page.locator("#lang-switch input[value='es']")).to_be_checked()
    page.locator("#lang-switch").get_by_text("English", exact=True).click()
    check_page(page, "en")

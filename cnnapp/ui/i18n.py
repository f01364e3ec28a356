"""The UI's two languages: English (the default) and Spanish, with the course's own terms.

Two kinds of text, one table (`cnnapp.ui.strings`, one module per tab, keys `tab.name`):
- text fixed when the page is built (labels, titles, help, buttons): `T("train.epochs")`, which gradio's `gr.I18n`
  translates in the browser into the browser's language, or the one picked with the header's switch;
- text a handler makes (status lines, summaries, warnings, figure labels): `say("train.queued", run=run_id)`,
  translated on the server into the language of the request being served: the switch's cookie if the browser
  sent one, else its Accept-Language, else English.
The page's language script (`cnnapp.ui.theme.LANG_SCRIPT`, first in the page) makes gradio start in the language
chosen with the header's switch and keeps the cookie equal to the language the page shows, so both kinds agree.
The command line and the HTTP API stay English: their replies never go through `say`.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.context import LocalContext

from cnnapp.ui.strings import STRINGS

LANGS = ("en", "es")
DEFAULT = "en"
COOKIE = "cnnapp-lang"  # set by the header's language switch (and by the page from the browser's language)


def _nested(flat: dict[str, str]) -> dict[str, Any]:
    """`{"train.epochs": …}` → `{"train": {"epochs": …}}`: the shape gradio's translator looks keys up in."""
    tree: dict[str, Any] = {}
    for key, text in flat.items():
        *parents, leaf = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = text
    return tree


I18N = gr.I18n(**{code: _nested(table) for code, table in STRINGS.items()})  # type: ignore[arg-type]


def T(key: str) -> Any:
    """Static text translated in the browser; an unknown key fails when the app is built, not on a visitor's page."""
    if key not in STRINGS[DEFAULT]:
        raise KeyError(f"no UI text {key!r} in cnnapp.ui.strings")
    return I18N(key)


def pick(header: str | None) -> str | None:
    """The first of our languages an Accept-Language header (or a cookie's value) asks for, by its q-order."""
    if not header:
        return None
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().split("-")[0].lower()))
    return next((code for _, _, code in sorted(ranked) if code in LANGS), None)


def lang() -> str:
    """The language of the request being served ("en" outside a request: CLI, tests, start-up)."""
    request = LocalContext.request.get(None)
    if request is None:
        return DEFAULT
    cookies = getattr(request, "cookies", None) or {}
    headers = getattr(request, "headers", None) or {}
    return pick(cookies.get(COOKIE)) or pick(headers.get("accept-language")) or DEFAULT


def say(key: str, lang_code: str | None = None, **values: Any) -> str:
    """Text made by a handler, in the request's language (or `lang_code`), with `values` filled in."""
    table = STRINGS[lang_code or lang()]
    text = table.get(key, STRINGS[DEFAULT][key])
    return text.format(**values) if values else text

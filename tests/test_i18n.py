"""The UI's two languages: complete tables, every key the code uses exists, and how a request's language is found."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from gradio.context import LocalContext

from cnnapp.runs import STATES
from cnnapp.ui import TAB_TEXT, TABS, runs_tab
from cnnapp.ui.common import ENGINE_MESSAGES, run_message
from cnnapp.ui.i18n import COOKIE, T, lang, pick, say
from cnnapp.ui.strings import MODULES, STRINGS

UI = Path(__file__).resolve().parents[1] / "cnnapp" / "ui"
PREFIXES = "|".join(module.__name__.rsplit(".", 1)[-1] for module in MODULES)
USED = re.compile(rf"""["']((?:{PREFIXES})\.[a-z_]*[a-z])["']""")  # a whole key in quotes, as T() and say() take it


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_english_and_spanish_have_the_same_keys_and_placeholders():
    en, es = STRINGS["en"], STRINGS["es"]
    assert en.keys() == es.keys()
    assert [k for k in en if not en[k].strip() or not es[k].strip()] == []
    assert [k for k in en if fields(en[k]) != fields(es[k])] == []


def test_each_module_keeps_to_its_prefix():
    for module in MODULES:
        prefix = module.__name__.rsplit(".", 1)[-1] + "."
        assert module.EN.keys() == module.ES.keys(), module.__name__
        assert [k for k in module.EN if not k.startswith(prefix)] == [], module.__name__


def test_every_key_the_code_names_exists():
    used = {key for path in UI.glob("*.py") for key in USED.findall(path.read_text())}
    assert len(used) > 100  # the pattern finds the calls
    assert sorted(used - STRINGS["en"].keys()) == []
    # keys the code builds from names
    built = {f"common.state_{s}" for s in (*STATES, "stopping", "unknown")}
    built |= {"runs.col_" + c.replace(" ", "_") for c in runs_tab.COLUMNS} | {d.key for d in TAB_TEXT.values()}
    assert sorted(built - STRINGS["en"].keys()) == [] and len(TAB_TEXT) == len(TABS)


def test_an_unknown_key_fails_when_the_app_is_built():
    with pytest.raises(KeyError):
        T("train.no_such_text")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4", "es"),
        ("de;q=1.0, en;q=0.2, es;q=0.7", "es"),
        ("ES", "es"),
        ("fr-FR", None),
        ("es;q=abc,en", "en"),
        ("", None),
        (None, None),
    ],
)
def test_pick_reads_accept_language_by_preference(header, code):
    assert pick(header) == code


@contextmanager
def request(cookies: dict, headers: dict) -> Iterator[None]:
    """Code run as if serving a page's request with these cookies and headers."""
    token = LocalContext.request.set(SimpleNamespace(cookies=cookies, headers=headers))
    try:
        yield
    finally:
        LocalContext.request.reset(token)


def test_the_engines_usual_run_messages_are_said_in_spanish():
    engine = "".join(path.read_text() for path in UI.parent.rglob("*.py"))
    assert [m for m in ENGINE_MESSAGES if f'"{m}' not in engine] == []  # still the engine's words
    with request({COOKIE: "es"}, {}):
        assert run_message("epoch 2/5 (frozen)") == "época 2/5 (congelada)"
        assert run_message("reading the dataset") == "leyendo el conjunto de datos"
        assert run_message("run with --epochs 3") == "run with the number of epochs 3"  # others: in the app's words
    assert run_message("epoch 2/5 (frozen)") == "epoch 2/5 (frozen)"


def test_say_speaks_the_language_of_the_request_being_served():
    assert lang() == "en" and say("train.epochs") == "Epochs"  # outside a request: CLI, tests
    assert say("data.line", "es", name="x", classes=2, images=5) == "**Datos:** x: 2 clases, 5 imágenes."

    def served(cookies: dict, headers: dict) -> str:
        with request(cookies, headers):
            return say("train.epochs")

    assert served({}, {"accept-language": "es-ES,es;q=0.9"}) == "Épocas"
    assert served({COOKIE: "en"}, {"accept-language": "es-ES,es;q=0.9"}) == "Epochs"  # the switch wins
    assert served({COOKIE: "es"}, {"accept-language": "en-US"}) == "Épocas"
    assert served({COOKIE: "xx"}, {}) == "Epochs"

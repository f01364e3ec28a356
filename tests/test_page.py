"""The page's text without a browser: glyphs every system can draw, examples that suit the chosen model, and the
example's, presets' and architectures' names in the page's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import matplotlib
from fontTools.ttLib import TTFont
from gradio.context import LocalContext

from cnnapp.files import write_json
from cnnapp.runs import CONFIG, RunDir
from cnnapp.ui import dataset_state, predict_tab
from cnnapp.ui.common import EXAMPLE_DATASET
from cnnapp.ui.i18n import COOKIE
from cnnapp.ui.strings import STRINGS

# the font a browser falls back to on a system without an emoji font (DejaVu Sans: Debian's, and matplotlib's)
FALLBACK = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


@contextmanager
def spanish_page() -> Iterator[None]:
    """Code run as if serving a request of a page shown in Spanish."""
    token = LocalContext.request.set(SimpleNamespace(cookies={COOKIE: "es"}, headers={}))
    try:
        yield
    finally:
        LocalContext.request.reset(token)


def test_every_character_of_the_page_text_is_in_a_common_font():
    drawn = set(TTFont(FALLBACK).getBestCmap())
    missing = {
        f"{key}: {char} (U+{ord(char):04X})"
        for table in STRINGS.values()
        for key, text in table.items()
        for char in text
        if ord(char) not in drawn and char not in "\n\t"
    }
    assert missing == set(), "characters that show as empty boxes without an emoji font"


def test_the_examples_are_offered_only_for_a_model_trained_on_them(workspace: Path, small_dataset: Path):
    on_example, on_other = RunDir.create("lenet5", workspace), RunDir.create("lenet5", workspace)
    write_json(on_example.file(CONFIG), {"arch": "lenet5", "data": str(EXAMPLE_DATASET)})
    write_json(on_other.file(CONFIG), {"arch": "lenet5", "data": str(small_dataset)})
    shown = {
        model: predict_tab.suited_examples(workspace, model).visible
        for model in (on_example.id, on_other.id, "imagenet:tf_efficientnet_lite0", None, "../elsewhere")
    }
    assert shown == {
        on_example.id: True,
        on_other.id: False,
        "imagenet:tf_efficientnet_lite0": False,
        None: False,
        "../elsewhere": False,
    }
    assert [Path(predict_tab.pick_example(i)).parent.parent for i in range(2)] == [EXAMPLE_DATASET] * 2


def test_the_example_is_named_in_the_pages_language(workspace: Path, small_dataset: Path):
    saved = {"path": str(EXAMPLE_DATASET), "name": "Fashion-MNIST mini (example)"}
    with spanish_page():
        assert dataset_state.default_dataset()["name"] == "Fashion-MNIST mini (ejemplo)"
        assert dataset_state.restore(saved, workspace)["name"] == "Fashion-MNIST mini (ejemplo)"
        found = dataset_state.load_dataset(EXAMPLE_DATASET, workspace)
        assert dataset_state.chosen(found, EXAMPLE_DATASET, dataset_state.EXAMPLE_NAME)["name"].endswith("(ejemplo)")
        other = dataset_state.load_dataset(small_dataset, workspace)
        assert dataset_state.chosen(other, small_dataset, "mine")["name"] == "mine"  # a person's name stays theirs
    assert dataset_state.restore(saved, workspace)["name"] == dataset_state.EXAMPLE_NAME == saved["name"]


def test_presets_and_architectures_are_named_by_key_in_spanish():
    from cnnapp.data.transforms import PRESETS
    from cnnapp.models.registry import get_spec, names

    assert [value for _, value in dataset_state.AUGMENT_CHOICES] == list(PRESETS)
    assert [STRINGS["es"][label.key] for label, _ in dataset_state.AUGMENT_CHOICES] == [
        "ninguno",
        "suave",
        "medio",
        "fuerte",
    ]
    english = {f"arch.{name}": get_spec(name).description for name in names()}
    assert {key: STRINGS["en"].get(key) for key in english} == english  # the card's English is the registry's
    assert STRINGS["es"]["arch.tf_efficientnet_lite0"].startswith("EfficientNet-Lite0: pensada para móviles")


def test_the_augmentation_summary_and_the_architecture_card_follow_the_page_language(workspace):
    """ "Aumento de datos: no augmentation." and English architecture cards were seen on the Spanish page."""
    from test_i18n import request

    from cnnapp.data.transforms import describe_augment
    from cnnapp.ui import train_tab
    from cnnapp.ui.common import engine_text
    from cnnapp.ui.i18n import COOKIE

    with request({COOKIE: "es"}, {}):
        assert engine_text(describe_augment("none")) == "sin aumento de datos"
        assert "rotate (grados máximos 15)" in engine_text(describe_augment("medium"))
        card = train_tab.arch_card("tf_efficientnet_lite0")
        assert "mobile-friendly" not in card and "ImageNet" in card
    assert str(describe_augment("none")) == "no augmentation"
    assert "mobile-friendly" in train_tab.arch_card("tf_efficientnet_lite0")

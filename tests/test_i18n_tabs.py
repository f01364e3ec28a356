"""Predict, Evaluate, Compare, Explain, Export and Learn speak the visitor's language: both tables have the same
keys and placeholders, and handlers answer a Spanish browser in Spanish (an English one, or none, in English)."""

from __future__ import annotations

import string
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import gradio as gr
import pandas as pd
import pytest
from gradio.context import LocalContext

from cnnapp.course import convolution
from cnnapp.ui import compare_tab, evaluate_tab, explain_tab, export_tab, learn, predict_tab
from cnnapp.ui.common import user_errors
from cnnapp.ui.i18n import lang
from cnnapp.ui.learn import architectures, layers, optimizers, pooling, shared, stacking
from cnnapp.ui.learn.convolution import convolve, kernel_table
from cnnapp.ui.strings import compare, evaluate, explain, export, predict
from cnnapp.ui.strings import learn as learn_text

MODULES = {"predict": predict, "evaluate": evaluate, "compare": compare, "explain": explain, "export": export}
MODULES["learn"] = learn_text


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Call handlers as gradio does while serving a browser whose Accept-Language asks for `code`."""
    request = SimpleNamespace(headers={"accept-language": f"{code},en;q=0.5"}, cookies={})
    token = LocalContext.request.set(request)
    try:
        yield
    finally:
        LocalContext.request.reset(token)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_both_languages_have_the_same_keys_and_placeholders(name):
    module = MODULES[name]
    assert set(module.EN) == set(module.ES) and all(k.startswith(f"{name}.") for k in module.EN)
    assert f"{name}.title" in module.EN and all(text.strip() for text in module.ES.values())
    for key, english in module.EN.items():
        assert fields(english) == fields(module.ES[key]), key
    assert sum(module.EN[k] != module.ES[k] for k in module.EN) > 0.8 * len(module.EN)  # translated, not copied


def test_a_request_without_spanish_gets_english():
    assert lang() == "en"
    with speaking("es"):
        assert lang() == "es"
        with speaking("fr"):
            assert lang() == "en"
    assert explain_tab.gradcam(None, None, None, None)[1].startswith("Add a picture")


def test_predict_explain_and_export_answer_in_spanish(tmp_path):
    with speaking("es"), pytest.warns(UserWarning, match="Aún no hay ninguna imagen"):
        predict_tab.warn_no_picture(None)
    with speaking("es"):
        assert explain_tab.gradcam(tmp_path, None, None, None)[1].startswith("Añade una imagen")
        classes, _ = explain_tab.on_model(tmp_path, None)
        assert classes.choices == [("(la clase predicha)", explain_tab.PREDICTED)]
        assert "baja" in explain_tab.colour_bar() and "donde miró el modelo" in explain_tab.colour_bar()
        with pytest.raises(gr.Error, match="no hay ningún entrenamiento elegido"):
            user_errors(export_tab.make_download)(tmp_path, None, "onnx")
        assert "está listo abajo" in export_tab._usage("onnx", "r1", ["a", "b"], 64)


def test_evaluate_and_compare_empty_states_in_spanish(tmp_path):
    with speaking("es"):
        _, empty = evaluate_tab.run_choices(tmp_path, None, None)
        assert "Aún no hay ningún entrenamiento evaluado" in empty and "<b>2 · Entrenar</b>" in empty
        assert evaluate_tab.show(tmp_path, None, None)[1].choices == [("validación", "validation")]
        empty, _, table, *_ = compare_tab.show(tmp_path, [])
        assert "Aún no hay nada que comparar" in empty
        assert list(table.columns)[:3] == ["configuración", "estado", "etapas"]
        _, plan = compare_tab.plan(None, "lenet5", 1, 0, 32, None, "none")
        assert list(plan.columns) == ["configuración", "¿se entrenará?"]
        assert compare_tab._setting("(b) pretrained, frozen backbone") == "(b) preentrenado, red base congelada"
    assert list(compare_tab.show(tmp_path, [])[2].columns)[:3] == ["setting", "state", "stages"]


def test_learn_handlers_answer_in_spanish():
    with speaking("es"):
        assert convolve(None, kernel_table("sobel x"), 0, 1, False)[2].startswith("Añade")
        *_, size = convolve(convolution.shapes_image(), kernel_table("sobel x"), 1, 2, True)
        assert "Tamaño de salida" in size and "mapa de características **48 × 48**" in size
        _, text = pooling.pool_matrix(shared.table(convolution.COURSE_MATRIX), "max", 2, 2)
        assert text.startswith("**agrupación máxima (max-pool), ventanas de 2×2, paso 2")
        figure, slices, text = stacking.stack(shared.table(convolution.COURSE_MATRIX), 0, 1)
        assert "filtros → volumen **4 × 4 × 8**" in text and slices[1][1].startswith("filtro 2: ")
        assert figure.axes[0].get_xlabel() == "filas" and figure.axes[0].get_title().startswith("volumen")
        image, kernels, *_ = learn.starting_values()
        assert ("bordes verticales", "vertical edges") in kernels.choices
        table = architectures.architectures()
        assert "parámetros (calculados)" in table.columns and "primer lugar en 2012" in set(
            table["puesto ILSVRC (curso)"]
        )


def test_figures_made_in_the_ui_are_labelled_in_spanish():
    with speaking("es"):
        figure = layers.flatten_view(2, 2, 2)
        assert any(ax.get_title().startswith("vector aplanado") for ax in figure.axes)
        figure, _ = layers.dropout_view(0.5, 0)
        assert [ax.get_title() for ax in figure.axes][:2] == [
            "mapa de características",
            "máscara (blanco: se conserva)",
        ]
        figure, _ = optimizers.race_view("saddle", None, None, 10, pd.DataFrame())
        assert figure.axes[0].get_title().startswith("silla: ") and figure.axes[1].get_xlabel() == "paso"

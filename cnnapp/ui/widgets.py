"""Gradio components built the same way in several places of the UI."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import gradio as gr

from cnnapp.ui.common import KEEP_LAST
from cnnapp.ui.i18n import T, say


def streaming_camera(label: str, elem_id: str, width: int, height: int) -> gr.Image:
    """A webcam image that streams numpy frames, asking the browser for about `width` × `height` pixels."""
    return gr.Image(
        sources=["webcam"],
        streaming=True,
        type="numpy",
        label=label,
        webcam_options=gr.WebcamOptions(
            constraints={"video": {"width": {"ideal": width}, "height": {"ideal": height}}}
        ),
        elem_id=elem_id,
    )


def image_grid(label: str, columns: int, elem_id: str) -> gr.Gallery:
    """A gallery of whole pictures that wraps to fewer columns at phone width (the `cnn-gallery` style)."""
    return gr.Gallery(
        label=label, columns=columns, height="auto", object_fit="contain", elem_id=elem_id, elem_classes="cnn-gallery"
    )


def _in_range(value: Any, minimum: float | None, maximum: float | None, precision: int | None) -> Any:
    """`value` brought within [minimum, maximum] and rounded as the field shows it (an infinity to the bound on its
    side, NaN to the minimum); a blank or anything not a number as given, for its handler to refuse."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if math.isnan(value):
        return value if minimum is None else minimum
    if minimum is not None:
        value = max(value, minimum)
    if maximum is not None:
        value = min(value, maximum)
    return value if math.isinf(value) else gr.Number.round_to_precision(value, precision)


def _say_used(label_key: str, minimum: float | None, maximum: float | None, precision: int | None) -> Callable:
    """The handler of a bounded field's own input: a value out of its range is replaced by the nearest one allowed,
    and the page says so in its language (gradio's check says it in English and leaves the box as typed)."""

    def used(value: Any) -> Any:
        kept = _in_range(value, minimum, maximum, precision)
        if kept is value or kept == value:
            return gr.skip()
        shown = {"given": value, "low": minimum, "high": maximum, "used": kept}
        gr.Warning(say("common.value_used", field=say(label_key), **{k: f"{v:g}" for k, v in shown.items()}))
        return kept

    return used


class BoundedSlider(gr.Slider):
    """A slider whose value, out of range, is brought in range rather than refused: gradio refuses it in English
    whatever the page's language. (gradio writes a typing stub, widgets.pyi, beside a component class: git ignores
    it.)"""

    is_template = True  # drawn as gradio's slider

    def preprocess(self, payload: float) -> float:
        return _in_range(payload, self.minimum, self.maximum, self.precision)


class BoundedNumber(gr.Number):
    """A number box with a range, as `BoundedSlider`; blank stays blank (its handler's default)."""

    is_template = True

    def preprocess(self, payload: float | None) -> float | None:
        return _in_range(payload, self.minimum, self.maximum, self.precision)  # blank (None) passes as given


def bounded_slider(minimum: float, maximum: float, *, label_key: str, **kwargs: Any) -> BoundedSlider:
    """A slider whose number box, given a value out of range, shows the nearest value allowed and says why in the
    page's language (on the box's blur, before gradio's page clamps it silently)."""
    slider = BoundedSlider(minimum, maximum, label=T(label_key), **kwargs)
    used = _say_used(label_key, minimum, maximum, slider.precision)
    slider.release(used, slider, slider, preprocess=False, show_progress="hidden", **KEEP_LAST)
    return slider


def bounded_number(
    value: float | None, minimum: float, maximum: float, *, label_key: str, **kwargs: Any
) -> BoundedNumber:
    """A number box with a range, as `bounded_slider`."""
    box = BoundedNumber(value, minimum=minimum, maximum=maximum, label=T(label_key), **kwargs)
    used = _say_used(label_key, minimum, maximum, box.precision)
    box.blur(used, box, box, preprocess=False, show_progress="hidden", **KEEP_LAST)
    return box

"""Gradio components built the same way in several places of the UI."""

from __future__ import annotations

import gradio as gr


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

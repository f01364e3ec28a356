"""Data tab: choose the example, a .zip or a folder; see class counts, samples, the ingestion report, augmentations."""

from __future__ import annotations

import functools
import html
import random
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image, ImageOps

from cnnapp import quotas, workspace
from cnnapp.data.images import fit_square, load_rgb
from cnnapp.data.ingest import Dataset
from cnnapp.errors import CnnappError, ConfigError, DataError, user_message
from cnnapp.ui import builder_panel
from cnnapp.ui.common import EXAMPLE_DATASET, KEEP_LAST, PRIVATE, engine_text, error_text, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.dataset_state import AUGMENT_CHOICES, chosen, example_name, load_dataset
from cnnapp.ui.dataset_state import restore as restore_dataset
from cnnapp.ui.i18n import T, say
from cnnapp.ui.uploads import rebuild_folder

TITLE = "1 · Data"
CIFAR_NAME = "CIFAR-10 (course example)"
CIFAR_PER_CLASS = 500
GALLERY_MAX = 40
THUMB_PX = 96
PREVIEW_PX = 128
VAL_SPLIT = re.compile(r"(\d+%) stratified split of train \(seed (\d+)\)")  # `cnnapp.data.ingest`'s val_source
NOTHING = (gr.skip(),) * 10


def _counts(found: Dataset) -> pd.DataFrame:
    frame = pd.DataFrame(found.counts())
    frame = frame.rename(columns={split: say(f"data.col_{split}") for split in ("train", "val", "test")})
    frame[say("data.col_total")] = frame.sum(axis=1)
    return frame.rename_axis(say("data.col_class")).reset_index()


def _thumbnail(path: str) -> Image.Image:
    """A square thumbnail; small images (28 px Fashion-MNIST) are enlarged by a whole factor, without blurring."""
    im = load_rgb(path, draft_size=THUMB_PX)
    factor = THUMB_PX // min(im.size)
    if factor > 1:
        side = min(im.size)
        im = ImageOps.fit(im, (side, side)).resize((side * factor,) * 2, Image.Resampling.NEAREST)
        return im
    return fit_square(im, THUMB_PX)


def _gallery(found: Dataset) -> list[tuple[Image.Image, str]]:
    per_class = max(1, min(4, GALLERY_MAX // len(found.classes)))
    paths, labels = found.paths("train"), found.labels("train")
    items = []
    for index, name in enumerate(found.classes[:GALLERY_MAX]):
        picks = [p for p, label in zip(paths, labels) if label == index][:per_class]
        items += [(_thumbnail(p), name) for p in picks]
    return items


def _report(skipped: list[dict[str, Any]], warnings: list[str]) -> tuple[gr.Accordion, str, pd.DataFrame]:
    lines = [f"- ⚠ {html.escape(w, quote=False)}" for w in warnings] or ["- " + say("data.no_warnings")]
    listed = say("data.skipped_listed") if skipped else "."
    lines.append("- " + say("data.skipped_count", n=len(skipped)) + listed)
    label = say("data.report_label", skipped=len(skipped), warnings=len(warnings))
    reasons = [engine_text(entry.get("reason_code"), entry["reason"]) for entry in skipped]  # in the page's language
    frame = pd.DataFrame({"path": [entry["path"] for entry in skipped], "reason": reasons}).rename(
        columns={"path": say("data.col_path"), "reason": say("data.col_reason")}
    )
    return gr.Accordion(label=label, open=bool(skipped or warnings)), "\n".join(lines), frame


def _summary(found: Dataset, name: str) -> str:
    """The dataset in a few lines: classes, images per split, where val comes from, and the class balance (with the
    unbalanced-classes warning in the page's language past `ingest.IMBALANCE_WARN_RATIO`)."""
    sizes = {split: len(samples) for split, samples in found.splits.items()}
    parts = [say(f"data.split_{split}", n=sizes[split]) for split in ("train", "val", "test") if split in sizes]
    text = say(
        "data.summary",
        name=html.escape(name, quote=False),
        classes=len(found.classes),
        images=sum(sizes.values()),
        parts=", ".join(parts),
        val_source=val_source(found.val_source),
    )
    text += "\n\n" + say("data.balance", ratio=found.imbalance())
    warning = found.imbalance_warning()
    return text + (f"\n\n⚠ {html.escape(engine_text(warning), quote=False)}" if warning is not None else "")


def val_source(text: str) -> str:
    """Where the validation images come from, in the page's language."""
    if text == "folder":
        return say("data.val_folder")
    split = VAL_SPLIT.fullmatch(text)
    return say("data.val_split", pct=split[1], seed=split[2]) if split else text


def empty_summary() -> str:
    return say("data.empty")


def _shown(found: Dataset, name: str) -> tuple:
    return _summary(found, name), _counts(found), _gallery(found), *_report(found.skipped, found.warnings)


def show(root: Path, dataset: dict[str, Any] | None) -> tuple:
    """Everything the tab shows about the chosen dataset (on page load)."""
    if not dataset:
        return empty_summary(), pd.DataFrame(), [], *_report([], [])
    return _shown(load_dataset(dataset["source"], root), dataset["name"])


def choose(
    root: Path, source: Callable[[], str | Path], name: str, current: dict[str, Any] | None, session: str | None = None
) -> tuple:
    """Ingest a dataset: on success it becomes the chosen one (what it wrote on the server counts against `session`'s
    disk budget). On failure the previous choice and its panels come back, the upload boxes are emptied, and the
    reason is shown under them."""
    try:
        found = load_dataset(source(), root)
        if workspace.is_within(Path(found.root), workspace.datasets_dir(root)):
            quotas.record(Path(found.root), session, root)
    except Exception as exc:  # whatever went wrong, the tab says it in one line and keeps the previous choice
        reason = html.escape(error_text(exc) if isinstance(exc, CnnappError) else user_message(exc), quote=False)
        gr.Warning(say("data.cannot_use", name=html.escape(name, quote=False), reason=reason))
        still = say("data.still_using", name=html.escape(current["name"], quote=False)) if current else ""
        failed = say("data.cannot_use", name=f"<b>{html.escape(name, quote=False)}</b>", reason=reason)
        notice = f'<div class="cnn-failed">✗ {failed}.{still}</div>'
        return gr.skip(), *show(root, current), notice, None, None
    return chosen(found, source(), name), *_shown(found, name), "", gr.skip(), gr.skip()


def choose_path(root: Path, source: str | Path, name: str, current: dict[str, Any] | None) -> tuple:
    """`choose` for a dataset already on the server (e.g. one made with the builder)."""
    return choose(root, lambda: source, name, current)


def use_example(root: Path, current: dict[str, Any] | None = None) -> tuple:
    def source() -> Path:
        if not EXAMPLE_DATASET.is_dir():
            raise DataError(say("data.no_example"))
        return EXAMPLE_DATASET

    return choose(root, source, example_name(), current)


def use_cifar10(root: Path, current: dict[str, Any] | None = None) -> tuple:
    """CIFAR-10 with 500 photos per class and split, written into the workspace once (downloaded the first time)."""

    @functools.cache
    def source() -> Path:
        from cnnapp.data.examples import prepare_example

        return prepare_example("cifar10", root=workspace.datasets_dir(root), per_class=CIFAR_PER_CLASS)

    return choose(root, source, CIFAR_NAME, current)


def use_zip(root: Path, file: str | None, current: dict[str, Any] | None = None, session: str | None = None) -> tuple:
    if not file:
        return NOTHING

    @functools.cache
    def source() -> str:
        quotas.make_room(quotas.expanded_size(Path(file)), session, root)  # before extracting anything
        return file

    return choose(root, source, Path(file).name, current, session)


def use_folder(
    root: Path, files: list[str] | None, current: dict[str, Any] | None = None, session: str | None = None
) -> tuple:
    if not files:
        return NOTHING

    @functools.cache
    def source() -> Path:
        quotas.make_room(sum(quotas.size_of(Path(f)) for f in files), session, root)  # before copying anything
        return rebuild_folder(files, root)

    return choose(root, source, say("data.uploaded_folder", n=len(files)), current, session)


def restore(root: Path, saved: Any) -> dict[str, Any] | None:
    """The dataset this browser chose before (a reload or a restart keeps it)."""
    return restore_dataset(saved, root)


def augment_preview(root: Path, dataset: dict[str, Any] | None, spec: str | None, seed: int) -> tuple[str, list]:
    """Four training images, each as is and with three draws of the augmentation pipeline."""
    from cnnapp.data.transforms import build_augment, describe_augment

    if not dataset:
        return say("data.choose_first"), []
    try:
        pipeline = build_augment(spec or "none", PREVIEW_PX, seed=seed)
        text = engine_text(describe_augment(spec or "none"))
    except ConfigError as exc:
        return f"⚠ {html.escape(error_text(exc), quote=False)}", []
    found = load_dataset(dataset["source"], root)
    by_class: dict[int, list[str]] = {}
    for path, label in zip(found.paths("train"), found.labels("train")):
        by_class.setdefault(label, []).append(path)
    rng = random.Random(seed)
    items = []
    for label in rng.sample(sorted(by_class), min(4, len(by_class))):
        name = found.classes[label]
        image = np.asarray(
            fit_square(load_rgb(rng.choice(by_class[label]), draft_size=PREVIEW_PX), PREVIEW_PX), dtype=np.uint8
        )
        items.append((image, say("data.original", name=name)))
        augmented = say("data.augmented_one", name=name)
        items += [(pipeline(image=image)["image"] if pipeline else image, augmented) for _ in range(3)]
    return say("data.augment_text", text=text), items


def build(ctx: UIContext) -> None:
    """The Data tab."""
    root = ctx.root
    gr.Markdown(T("data.intro"))
    with gr.Row(equal_height=True):
        with gr.Column(min_width=220):
            example = gr.Button(T("data.use_example"), elem_id="use-example")
            cifar = gr.Button(T("data.use_cifar"), elem_id="use-cifar10")
        with gr.Column(min_width=220):
            # no file-type filter: the app judges a zip by its content, so any file gets the tab's one-line answer
            zip_file = gr.File(label=T("data.upload_zip"), height=120, elem_id="upload-zip")
        with gr.Column(min_width=220):
            folder = gr.File(label=T("data.upload_folder"), file_count="directory", height=120, elem_id="upload-folder")
    notice = gr.HTML(elem_id="data-notice")
    wire_builder = builder_panel.build(ctx)
    summary = gr.Markdown(elem_id="data-summary")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            counts = gr.Dataframe(label=T("data.counts"), interactive=False, max_height=420, elem_classes="cnn-table")
        with gr.Column(scale=2, min_width=300):
            gallery = gr.Gallery(
                label=T("data.samples"), columns=6, height=420, object_fit="contain", elem_id="data-samples"
            )
    with gr.Accordion(T("data.report"), open=False) as report_box:
        report_text = gr.Markdown()
        skipped = gr.Dataframe(
            label=T("data.skipped"),
            interactive=False,
            max_height=300,
            wrap=True,
            elem_classes="cnn-table",
        )

    gr.Markdown(T("data.augment_title"))
    with gr.Row(equal_height=True):
        with gr.Column(scale=3, min_width=240):
            augment = gr.Dropdown(
                AUGMENT_CHOICES,
                value=ctx.augment.value,
                allow_custom_value=True,
                label=T("data.augment"),
                info=T("data.augment_info"),
            )
        with gr.Column(scale=1, min_width=140):
            reshuffle = gr.Button(T("data.reshuffle"))
    seed = gr.State(0)
    augment_text = gr.Markdown()
    augmented = gr.Gallery(label=T("data.augmented"), columns=4, height=360, object_fit="contain", elem_id="augmented")

    shown = [summary, counts, gallery, report_box, report_text, skipped]
    chose = [ctx.dataset, *shown, notice, zip_file, folder]
    preview = {
        "fn": user_errors(partial(augment_preview, root)),
        "inputs": [ctx.dataset, augment, seed],
        "outputs": [augment_text, augmented],
        "show_progress": "hidden",
        **PRIVATE,
    }
    ctx.demo.load(user_errors(partial(restore, root)), ctx.saved_dataset, ctx.dataset, **PRIVATE).then(
        user_errors(partial(show, root)), ctx.dataset, shown, **PRIVATE
    ).then(**preview)
    ctx.dataset.change(lambda d: d, ctx.dataset, ctx.saved_dataset, **PRIVATE)
    example.click(user_errors(partial(use_example, root)), ctx.dataset, chose, **PRIVATE).then(**preview)
    cifar.click(user_errors(partial(use_cifar10, root)), ctx.dataset, chose, trigger_mode="once", **PRIVATE).then(
        **preview
    )
    uploaded = {"outputs": chose, **PRIVATE}
    zip_file.upload(user_errors(partial(use_zip, root)), [zip_file, ctx.dataset, ctx.session], **uploaded).then(
        **preview
    )
    folder.upload(user_errors(partial(use_folder, root)), [folder, ctx.dataset, ctx.session], **uploaded).then(
        **preview
    )
    wire_builder(lambda source, name, current: choose(root, lambda: source, name, current), chose).then(**preview)
    augment.input(lambda spec: spec, augment, ctx.augment, **KEEP_LAST)
    ctx.augment.change(lambda spec: spec, ctx.augment, augment, **PRIVATE)
    augment.change(**preview)
    reshuffle.click(lambda s: s + 1, seed, seed, **PRIVATE).then(**preview)

"""Evaluate tab: how good a trained run is, class by class, and which images it gets most wrong; the same report on a
new labelled zip; and the cleaner (fix the labels: suspects in a grid, a cleaned copy of the data, train again)."""

from __future__ import annotations

import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd
from PIL import Image

from cnnapp import quotas
from cnnapp.data.images import load_rgb
from cnnapp.errors import DataError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import REPORT, RunDir
from cnnapp.ui.common import LATEST, PRIVATE, pct, run_dropdown, run_name, session_runs, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.uploads import discard
from cnnapp.ui.widgets import image_grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLE = "Evaluate"  # the tab's id; its shown title is `evaluate.title`
SPLITS = {"validation": "val", "test": "test"}
COLUMNS = ("class", "precision", "recall", "f1", "support")  # `evaluate.per_class_table`'s, shown as `evaluate.col_*`
SUSPECTS = 48  # the cleaner's suspects, highest loss first
GRID = 24  # suspects shown at once (of the chosen class pair)
ACTIONS = ("keep", "relabel", "remove")


def evaluated_runs(root: Path, session: str | None = None) -> list[tuple[str, str]]:
    """(label, run id) of the session's runs with an evaluation report, newest first."""
    return session_runs(root, session, needs=REPORT)[0]


def run_choices(
    root: Path, current: str | None, preferred: str | None, session: str | None = None, dataset: dict | None = None
) -> tuple[gr.Dropdown, str]:
    """The run list (its value chosen as `run_dropdown` says) and the empty state."""
    choices, best = session_runs(root, session, needs=REPORT, dataset=dataset)
    return run_dropdown(choices, current, preferred, best), "" if choices else say("evaluate.no_runs")


def _summary(run_id: str, accuracies: dict[str, float], split: str) -> str:
    parts = [f"**{say('evaluate.val_accuracy', acc=pct(accuracies.get('val')))}**"]
    if "test" in accuracies:
        parts.append(f"**{say('evaluate.test_accuracy', acc=pct(accuracies['test']))}**")
    below = say("evaluate.below", split=say(f"evaluate.split_{split}"))
    return f"{run_id} · " + " · ".join(parts) + f"  \n{below}"


def _split_radio(splits: list[str], value: str) -> gr.Radio:
    return gr.Radio(choices=[(say(f"evaluate.split_{name}"), name) for name in splits], value=value)


def _confusion(run: RunDir, normalize: bool, split: str) -> Figure:
    """The confusion matrix figure, titled and labelled in the visitor's language."""
    from cnnapp.training import evaluate

    return _confusion_figure(*evaluate.confusion(run, split), normalize)


def _confusion_figure(cm: Any, classes: list[str], normalize: bool) -> Figure:
    from cnnapp.training import evaluate

    title = say("evaluate.rows_title" if normalize else "evaluate.counts_title")
    figure = evaluate.confusion_figure(cm, classes, normalize, title)
    figure.axes[0].set(xlabel=say("evaluate.predicted_class"), ylabel=say("evaluate.true_class"))
    return figure


def _table(rows: pd.DataFrame) -> pd.DataFrame:
    """The per-class table rounded, its headers in the visitor's language."""
    return rows.round(3).rename(columns={name: say(f"evaluate.col_{name}") for name in COLUMNS})


def _curves(run: RunDir) -> tuple[Figure, Figure]:
    from cnnapp.training import evaluate

    epoch = say("evaluate.epoch")
    long = evaluate.curves(run).rename(columns={"epoch": epoch})
    long["split"] = long["split"].map({"train": say("evaluate.train"), "val": say("evaluate.val")})
    loss = long[long["metric"] == "loss"]
    acc = long[long["metric"] == "accuracy"].assign(value=lambda f: f["value"] * 100)
    return (
        evaluate.line_figure(loss, epoch, "value", "split", say("evaluate.loss")),
        evaluate.line_figure(acc, epoch, "value", "split", say("evaluate.accuracy_pct"), (0, 100)),
    )


def _thumbnail(path: str, side: int = 128) -> Image.Image:
    """The image scaled to about `side` px (small images enlarged without blurring), served as an image, not a path."""
    im = load_rgb(path)
    scale = side / max(im.size)
    resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.BILINEAR
    return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), resample)


def show(root: Path, run_id: str | None, split_name: str | None, session: str | None = None) -> tuple:
    """Everything the tab shows for one run and split (validation or test)."""
    from cnnapp.training import evaluate

    if not run_id:
        return "", _split_radio(["validation"], "validation"), pd.DataFrame(), None, None, None, None, [], ""
    run = sessions.get_run(run_id, root, session)
    accuracies = evaluate.accuracies(run)
    splits = [name for name, key in SPLITS.items() if key in accuracies]
    split_name = split_name if split_name in splits else "validation"
    split = SPLITS[split_name]
    table = _table(evaluate.per_class_table(run, split))
    counts = _confusion(run, normalize=False, split=split)
    rows = _confusion(run, normalize=True, split=split)
    gallery = [(_thumbnail(path), caption) for path, caption in evaluate.top_losses(run, k=16)]
    return (
        _summary(run.id, accuracies, split_name),
        _split_radio(splits, split_name),
        table,
        counts,
        rows,
        *_curves(run),
        gallery,
        "" if gallery else say("evaluate.no_mistakes"),
    )


def evaluate_zip(root: Path, run_id: str | None, upload: str | None, tta: bool, session: str | None = None) -> tuple:
    """The run's report on an uploaded labelled .zip (`evaluate.evaluate_data`): summary, per-class table, both
    confusion matrices and the most confident mistakes, as the run's own view shows them."""
    from cnnapp.training import evaluate

    if not run_id:
        return "", pd.DataFrame(), None, None, []
    if not upload:
        raise DataError(say("evaluate.no_zip"))
    try:
        run = sessions.get_run(run_id, root, session)
        quotas.make_room(quotas.expanded_size(Path(upload)), session, root)  # the disk budgets, before extracting
        report = evaluate.evaluate_data(run, upload, tta=bool(tta))
    finally:
        discard(upload)  # ingesting extracted it into the workspace
    lines = [
        say(
            "evaluate.new_summary",
            acc=pct(report["accuracy"]),
            n=report["num_images"],
            balanced=pct(report["balanced_accuracy"]),
            f1=f"{report['macro_f1']:.3f}",
        )
    ]
    if "tta" in report:
        lines.append(say("evaluate.tta_summary", acc=pct(report["tta"]["accuracy"]), gain=report["tta_gain"] * 100))
    if report["unknown_classes"]:
        unknown = ", ".join(f"{name} ({n})" for name, n in report["unknown_classes"].items())
        lines.append(say("evaluate.unknown", classes=unknown))
    cm, classes = report["confusion_matrix"], report["classes"]
    return (
        "  \n".join(lines),
        _table(pd.DataFrame(report["per_class"], columns=list(COLUMNS))),
        _confusion_figure(cm, classes, False),
        _confusion_figure(cm, classes, True),
        [(_thumbnail(t["path"]), t["caption"]) for t in report["top_losses"]],
    )


def find_suspects(root: Path, run_id: str | None, session: str | None = None) -> tuple[dict, gr.Dropdown, str, dict]:
    """The cleaner's suspects (`cleaner.suspects`), the class pairs to filter them by (most confused first), a line
    saying what was found, and no choices yet."""
    from cnnapp.training import cleaner, evaluate

    if not run_id:
        return {}, gr.Dropdown(choices=[]), "", {}
    run = sessions.get_run(run_id, root, session)
    frame = cleaner.suspects(run, SUSPECTS)
    data_root = evaluate.dataset_root(run)
    rows = [{**row, "image": str(data_root / row["path"])} for row in frame.to_dict("records")]
    pairs = cleaner.most_confused(frame)
    choices = [(say("evaluate.all_pairs"), "")] + [(f"{a} → {b} ({n})", f"{a}\t{b}") for a, b, n in pairs]
    found = ", ".join(f"{a} → {b} ({n})" for a, b, n in pairs[:3]) or "–"
    state = {"run": run.id, "classes": run.labels(), "rows": rows}
    return state, gr.Dropdown(choices=choices, value=""), say("evaluate.found", n=len(rows), pairs=found), {}


def shown(suspects: dict | None, pair: str | None) -> list[dict]:
    """The suspects of the chosen class pair ("given\tpredicted"; all when empty), at most `GRID`."""
    rows = (suspects or {}).get("rows", [])
    if pair:
        given, predicted = pair.split("\t")
        rows = [r for r in rows if r["label"] == given and r["predicted"] == predicted]
    return rows[:GRID]


def choose(path: str, edits: dict | None, action: str, new_label: str | None) -> dict:
    """The choices with `path`'s: keep (the default) forgets it; relabel needs `new_label`."""
    edits = dict(edits or {})
    edits.pop(path, None)
    if action in ("relabel", "remove"):
        edits[path] = {"action": action, "new_label": new_label if action == "relabel" else ""}
    return edits


def apply_choices(root: Path, suspects: dict | None, edits: dict | None, session: str | None = None) -> tuple:
    """Write the cleaned dataset (`cleaner.apply_edits`); its folder, what was done, and the "train again" button."""
    from cnnapp.training import cleaner

    if not edits or not suspects:
        raise DataError(say("evaluate.nothing_to_apply"))
    run = sessions.get_run(suspects["run"], root, session)
    out = cleaner.apply_edits(run, [{"path": path, **edit} for path, edit in edits.items()])
    counts = Counter(edit["action"] for edit in edits.values())
    changes = ", ".join(f"{say('evaluate.' + action)}: {n}" for action, n in sorted(counts.items()))
    return str(out), say("evaluate.applied", name=out.name, changes=changes), gr.Button(visible=True)


def train_again(
    jobs: JobManager, suspects: dict | None, cleaned: str | None, session: str | None = None
) -> tuple[str, str, float]:
    """Queue the run's settings on the cleaned data (through the job manager and its admission, as Start does);
    the new run is selected and followed."""
    from cnnapp.training import cleaner

    if not cleaned or not suspects:
        raise DataError(say("evaluate.nothing_to_apply"))
    run = sessions.get_run(suspects["run"], jobs.root, session)
    new = jobs.submit(cleaner.retrain_options(run, cleaned), session, dataset_name=Path(cleaned).name)
    gr.Info(say("evaluate.queued", name=run_name(new.status())))
    return new.id, new.id, time.time()


def _new_data(ctx: UIContext, run: gr.Dropdown) -> None:
    """The "Evaluate on a new labelled zip" panel."""
    with gr.Accordion(T("evaluate.new_data"), open=False, elem_id="evaluate-new-data"):
        gr.Markdown(T("evaluate.new_data_text"))
        with gr.Row(equal_height=True):
            upload = gr.File(label=T("evaluate.new_zip"), file_types=[".zip"], height=120, elem_id="evaluate-zip")
            with gr.Column():
                tta = gr.Checkbox(label=T("evaluate.tta"), value=False)
                go = gr.Button(T("evaluate.evaluate"), variant="primary", elem_id="evaluate-zip-go")
        summary = gr.Markdown(elem_id="evaluate-new-summary")
        table = gr.Dataframe(interactive=False, max_height=320, elem_classes="cnn-table")
        with gr.Row():
            counts = gr.Plot(show_label=False, format="png", min_width=420)
            rows = gr.Plot(show_label=False, format="png", min_width=420)
        mistakes = image_grid(T("evaluate.mistakes"), 5, "evaluate-new-mistakes")
    go.click(
        user_errors(partial(evaluate_zip, ctx.root)),
        [run, upload, tta, ctx.session],
        [summary, table, counts, rows, mistakes],
        **PRIVATE,
    )


def _cleaner(ctx: UIContext, run: gr.Dropdown) -> None:
    """The "Fix the labels" panel: suspects in a grid, each kept, relabelled or removed; apply; train again."""
    suspects, edits, cleaned = gr.State({}), gr.State({}), gr.State(None)
    with gr.Accordion(T("evaluate.cleaner"), open=False, elem_id="evaluate-cleaner"):
        gr.Markdown(T("evaluate.cleaner_text"))
        with gr.Row(equal_height=True):
            find = gr.Button(T("evaluate.find"), elem_id="cleaner-find")
            pair = gr.Dropdown(label=T("evaluate.pair"), choices=[], elem_id="cleaner-pair")
        found = gr.Markdown()

        @gr.render(inputs=[suspects, pair, edits], triggers=[suspects.change, pair.change])
        def grid(state: dict, chosen: str | None, choices: dict) -> None:
            actions = [(say(f"evaluate.{a}"), a) for a in ACTIONS]
            items = shown(state, chosen)
            for start in range(0, len(items), 4):
                with gr.Row():
                    for row in items[start : start + 4]:
                        edit = (choices or {}).get(row["path"], {})
                        with gr.Column(min_width=160):
                            gr.Image(_thumbnail(row["image"]), show_label=False, interactive=False, height=140)
                            caption = {**row, "confidence": pct(row["confidence"])}
                            gr.Markdown(say("evaluate.caption", **caption))
                            action = gr.Radio(
                                actions, value=edit.get("action", "keep"), show_label=False, interactive=True
                            )
                            label = gr.Dropdown(
                                state["classes"],
                                value=edit.get("new_label") or row["predicted"],
                                label=say("evaluate.new_label"),
                                interactive=True,
                            )
                            gr.on(
                                [action.change, label.change],
                                partial(choose, row["path"]),
                                [edits, action, label],
                                edits,
                                **PRIVATE,
                            )

        apply = gr.Button(T("evaluate.apply"), variant="primary", elem_id="cleaner-apply")
        done = gr.Markdown()
        again = gr.Button(T("evaluate.train_again"), visible=False, elem_id="cleaner-train-again")
    find.click(user_errors(partial(find_suspects, ctx.root)), [run, ctx.session], [suspects, pair, found, edits])
    apply.click(
        user_errors(partial(apply_choices, ctx.root)), [suspects, edits, ctx.session], [cleaned, done, again], **PRIVATE
    )
    again.click(
        user_errors(partial(train_again, ctx.jobs)),
        [suspects, cleaned, ctx.session],
        [ctx.selected_run, ctx.watched_run, ctx.runs_changed],
        **PRIVATE,
    )


def build(ctx: UIContext) -> None:
    """The Evaluate tab."""
    empty = gr.HTML(T("evaluate.no_runs"))
    with gr.Row(equal_height=True):
        run = gr.Dropdown(label=T("evaluate.run"), info=T("evaluate.run_info"), scale=3, elem_id="evaluate-run")
        split = gr.Radio(
            [(T("evaluate.split_validation"), "validation")],
            value="validation",
            label=T("evaluate.images"),
            scale=1,
            elem_id="evaluate-split",
        )
    summary = gr.Markdown(elem_id="evaluate-summary")
    per_class = gr.Dataframe(
        label=T("evaluate.per_class"),
        interactive=False,
        max_height=320,
        elem_classes="cnn-table",
    )
    with gr.Row():
        counts = gr.Plot(label=T("evaluate.counts"), show_label=False, format="png", min_width=420)
        rows = gr.Plot(label=T("evaluate.rows"), show_label=False, format="png", min_width=420)
    with gr.Row():  # the figures carry their own titles and legends: a label box would cover them
        loss = gr.Plot(label=T("evaluate.loss_plot"), show_label=False, format="png", min_width=320)
        acc = gr.Plot(label=T("evaluate.acc_plot"), show_label=False, format="png", min_width=320)
    gr.Markdown(T("evaluate.mistakes_text"))
    mistakes_note = gr.Markdown()
    mistakes = image_grid(T("evaluate.mistakes"), 5, "evaluate-top-losses")
    _new_data(ctx, run)
    _cleaner(ctx, run)

    refresh = {
        "fn": partial(run_choices, ctx.root),
        "inputs": [run, ctx.selected_run, ctx.session, ctx.dataset],
        "outputs": [run, empty],
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([ctx.session.change, ctx.runs_changed.change, ctx.selected_run.change], **refresh, trigger_mode=LATEST)
    outputs = [summary, split, per_class, counts, rows, loss, acc, mistakes, mistakes_note]
    gr.on(
        [run.change, split.input],
        user_errors(partial(show, ctx.root)),
        [run, split, ctx.session],
        outputs,
        trigger_mode=LATEST,
        **PRIVATE,
    )

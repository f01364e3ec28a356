"""Per-run evaluation: the report's figures agree with the model's own predictions on the val images."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cnnapp.errors import RunError
from cnnapp.runs import RunDir
from cnnapp.training import evaluate
from tests.conftest import trained_demo_run


# Tests on this trained run (about 3 s on 2 cores, once per module) are `slow`.
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    return trained_demo_run(tmp_path_factory.mktemp("eval-home"))


@pytest.mark.slow
def test_confusion_matrix_agrees_with_the_models_predictions_on_val_images(run):
    cm, classes = evaluate.confusion(run)
    again = evaluate.recompute_predictions(run)
    assert len(again) == cm.sum() == 80
    np.testing.assert_array_equal(evaluate.confusion_from_predictions(again, classes), cm)
    saved = evaluate.val_predictions(run)
    pd.testing.assert_frame_equal(again[["path", "target", "pred"]], saved[["path", "target", "pred"]])
    # the training may evaluate under bf16 autocast (a CPU with bf16), a recomputation runs in the precision the
    # serving check chose (fp32 when bf16 moves a probability by more than inference.BF16_TOLERANCE): same top-1
    np.testing.assert_allclose(again["confidence"], saved["confidence"], atol=5e-3)
    assert evaluate.accuracies(run)["val"] == pytest.approx(np.trace(cm) / cm.sum())


@pytest.mark.slow
def test_accuracies_and_per_class_table(run):
    report = run.report()
    assert evaluate.accuracies(run) == {"val": report["val_accuracy"]}
    table = evaluate.per_class_table(run)
    assert list(table.columns) == ["class", "precision", "recall", "f1", "support"]
    assert table["class"].tolist() == report["classes"] and table["support"].sum() == 80
    p, r = table["precision"], table["recall"]
    expected_f1 = np.where(p + r > 0, 2 * p * r / (p + r).where(p + r > 0, 1), 0)
    np.testing.assert_allclose(table["f1"], expected_f1)
    with pytest.raises(RunError, match="no test evaluation"):
        evaluate.per_class_table(run, "test")


@pytest.mark.slow
def test_confusion_figures_counts_and_row_normalised(run):
    cm, classes = evaluate.confusion(run)
    counts = evaluate.confusion_plot(run)
    norm = evaluate.confusion_plot(run, normalize=True)
    assert isinstance(counts, Figure) and isinstance(norm, Figure)
    ax = norm.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == classes and [
        t.get_text() for t in ax.get_yticklabels()
    ] == classes
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()).sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.asarray(counts.axes[0].images[0].get_array()), cm)
    assert len(counts.axes[0].texts) == 100 and counts.axes[0].texts[0].get_text() == str(cm[0, 0])


@pytest.mark.slow
def test_curves_in_long_format(run):
    frame = evaluate.curves(run)
    assert list(frame.columns) == ["epoch", "stage", "metric", "split", "value"]
    assert len(frame) == 8 and set(frame["metric"]) == {"loss", "accuracy"} and set(frame["split"]) == {"train", "val"}
    metrics = run.metrics()
    val_acc = frame.query("metric == 'accuracy' and split == 'val'").sort_values("epoch")["value"].tolist()
    assert val_acc == metrics["val_acc"].tolist()


@pytest.mark.slow
def test_line_figure_marks_every_point(run):
    long = evaluate.curves(run)
    fig = evaluate.line_figure(long[long["metric"] == "loss"], "epoch", "value", "split", "loss")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["train", "val"] and all(
        line.get_marker() == "o" for line in ax.lines
    )
    assert ax.get_legend() is not None
    empty = evaluate.line_figure(long.iloc[:0], "epoch", "value", "split", "loss", ylim=(0, 100))
    assert not empty.axes[0].lines and empty.axes[0].get_ylim() == (0, 100)


@pytest.mark.slow
def test_top_losses_are_the_most_confident_mistakes(run):
    saved = evaluate.val_predictions(run)
    wrong = saved[saved["target"] != saved["pred"]].sort_values(["confidence", "loss"], ascending=False)
    gallery = evaluate.top_losses(run, k=5)
    shown = [float(caption.rsplit("(", 1)[1].rstrip("%)")) for _, caption in gallery]
    assert shown == sorted(shown, reverse=True), "the surest mistakes come first"
    assert len(gallery) == min(5, len(wrong)) > 0
    root = evaluate.dataset_root(run)
    for (path, caption), row in zip(gallery, wrong.itertuples()):
        assert Path(path) == root / row.path and Path(path).is_file()
        assert caption == f"{row.target} → {row.pred} ({row.confidence:.0%})"
        assert row.target != row.pred


def test_a_run_without_results_says_so(tmp_path):
    empty = RunDir.create("lenet5", path=tmp_path / "empty")
    with pytest.raises(RunError, match="no evaluation report yet"):
        evaluate.accuracies(empty)
    with pytest.raises(RunError, match="no validation predictions yet"):
        evaluate.top_losses(empty)
    assert evaluate.curves(empty).empty


def test_predictions_frame_is_the_val_predictions_table():
    import torch

    probs = torch.tensor([[0.9, 0.1], [0.25, 0.75], [0.6, 0.4]])
    frame = evaluate.predictions_frame(
        ["/data/a/1.png", "/data/b/2.png", "/data/b/3.png"], "/data", torch.tensor([0, 1, 1]), probs, ["a", "b"]
    )
    assert list(frame.columns) == evaluate.PREDICTION_COLUMNS
    assert frame["path"].tolist() == ["a/1.png", "b/2.png", "b/3.png"]
    assert frame["pred"].tolist() == ["a", "b", "a"] and frame["target"].tolist() == ["a", "b", "b"]
    np.testing.assert_allclose(frame["confidence"], [0.9, 0.75, 0.6])
    np.testing.assert_allclose(frame["loss"], -np.log([0.9, 0.75, 0.4]), atol=1e-5)

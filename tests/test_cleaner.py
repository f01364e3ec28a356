"""Fix the labels: the cleaner finds deliberately flipped labels, and a training on the cleaned copy does better."""

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cnnapp import cli
from cnnapp.data.examples import FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, fashion_mnist_arrays
from cnnapp.data.ingest import ingest
from cnnapp.errors import DataError
from cnnapp.runs import INGEST, RunDir
from cnnapp.training import cleaner
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train
from tests.conftest import trained_demo_run

CLASSES = ("trouser", "bag", "sneaker", "pullover")
FLIPPED = 0.15  # of the training trousers, labelled bag
RECALL = 0.75  # of the flipped images among the top 2×flipped suspects (1.0 measured on 2 cores)


def ingested_run(data: Path, root: Path) -> RunDir:
    """A run folder holding only `data`'s ingest.json: enough for `apply_edits`, which needs no model."""
    run = RunDir.create("lenet5", root)
    ingest(data, val_split=0.25, seed=0).save(run.file(INGEST))
    return run


def test_most_confused_counts_disagreements_by_pair():
    frame = pd.DataFrame({"label": ["a", "a", "a", "b", "b", "c"], "predicted": ["b", "b", "a", "a", "c", "c"]})
    assert cleaner.most_confused(frame) == [("a", "b", 2), ("b", "a", 1), ("b", "c", 1)]
    assert cleaner.most_confused(frame, min_count=2) == [("a", "b", 2)]


def test_applying_edits_writes_a_new_dataset_and_leaves_the_original(small_dataset, workspace):
    run = ingested_run(small_dataset, workspace)
    before = sorted(p.relative_to(small_dataset) for p in small_dataset.rglob("*.png"))
    bag = sorted((small_dataset / "bag").iterdir())
    edits = [
        {"path": f"bag/{bag[0].name}", "action": "relabel", "new_label": "sandal"},
        {"path": str(bag[1]), "action": "remove", "new_label": ""},  # an absolute path works too
        {"path": f"bag/{bag[2].name}", "action": "keep", "new_label": ""},
    ]
    out = cleaner.apply_edits(run, edits)
    assert out.parent == workspace / "datasets" and out.name == "small-cleaned-1"
    assert sorted(p.relative_to(small_dataset) for p in small_dataset.rglob("*.png")) == before
    cleaned = ingest(out)
    assert cleaned.layout == "splits" and cleaned.val_source == "folder"
    assert sum(len(s) for s in cleaned.splits.values()) == 36 - 1
    original = ingest(small_dataset, val_split=0.25, seed=0)
    renamed = {bag[0].name: f"bag-{bag[0].name}", bag[1].name: None}  # relabelled, removed
    for split in ("train", "val"):  # the run's split is kept, image by image
        names = {renamed.get(Path(rel).name, Path(rel).name) for rel, _ in original.splits[split]} - {None}
        assert {Path(rel).name for rel, _ in cleaned.splits[split]} == names
    labels = {Path(rel).name: cleaned.classes[label] for rel, label in cleaned.splits["train"] + cleaned.splits["val"]}
    assert labels[f"bag-{bag[0].name}"] == "sandal" and labels[bag[2].name] == "bag"
    manifest = json.loads((out.parent / "small-cleaned-1.cleaning.json").read_text())
    assert manifest["parent"]["root"] == str(small_dataset) and manifest["run"] == run.id
    assert manifest["counts"] == {"relabel": 1, "remove": 1} and len(manifest["edits"]) == 2
    assert cleaner.apply_edits(run, edits[:1]).name == "small-cleaned-2"


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        ({"path": "bag/nothing.png", "action": "remove"}, "not an image of the run's dataset"),
        ({"path": "bag/{first}", "action": "burn"}, "use keep, relabel or remove"),
        ({"path": "bag/{first}", "action": "relabel", "new_label": "zebra"}, "not one of bag, sandal, trouser"),
    ],
)
def test_a_bad_edit_is_refused_before_anything_is_written(small_dataset, workspace, edit, complaint):
    run = ingested_run(small_dataset, workspace)
    edit = {**edit, "path": edit["path"].format(first=sorted((small_dataset / "bag").iterdir())[0].name)}
    with pytest.raises(DataError, match=complaint) as refused:
        cleaner.apply_edits(run, [edit])
    assert refused.value.message.code.startswith("cleaner.")  # a code: a Spanish page says it in Spanish
    assert not (workspace / "datasets").exists() or not any((workspace / "datasets").iterdir())


def flipped_dataset(out: Path, per_class: int = 80, per_val: int = 40) -> set[str]:
    """Fashion-MNIST's CLASSES as train/ (from its train split) and val/ (from its test split, labels untouched),
    with `FLIPPED` of the training trousers filed under bag; returns their dataset-relative paths."""
    for split, source, n in (("train", "train", per_class), ("val", "test", per_val)):
        images, labels = fashion_mnist_arrays(source)
        for name in CLASSES:
            (out / split / name).mkdir(parents=True)
            for i in np.flatnonzero(labels == FASHION_MNIST_CLASSES.index(name))[:n]:
                Image.fromarray(images[i]).save(out / split / name / f"{source}_{i:05d}.png")
    trousers = sorted((out / "train" / "trouser").iterdir())[: round(per_class * FLIPPED)]
    for path in trousers:
        path.rename(out / "train" / "bag" / path.name)
    return {f"train/bag/{path.name}" for path in trousers}


@pytest.mark.slow
@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(), reason="needs the Debian package dataset-fashion-mnist")
def test_the_cleaner_finds_flipped_labels_and_retraining_on_the_cleaned_data_scores_higher(tmp_path, workspace):
    flipped = flipped_dataset(tmp_path / "fm")
    settings = {"data": str(tmp_path / "fm"), "arch": "lenet5", "epochs": 6, "batch_size": 32, "seed": 0}
    run, status = train(TrainConfig(**settings), progress=False)
    assert status["state"] == "completed"

    assert cli.main(["clean", "--run", str(run.path), "--out", str(tmp_path / "suspects.csv"), "--top", "24"]) == 0
    suspects = pd.read_csv(tmp_path / "suspects.csv")
    assert list(suspects.columns) == cleaner.SUSPECT_COLUMNS and len(suspects) == 2 * len(flipped)
    assert suspects["loss"].is_monotonic_decreasing
    found = suspects["path"].isin(flipped)
    recall = found.sum() / len(flipped)
    assert recall >= RECALL, f"recall {recall:.2f} of {len(flipped)} flipped labels in the top {len(suspects)}"
    assert cleaner.most_confused(suspects)[0][:2] == ("bag", "trouser")

    # a person who looks at the suspects relabels the trousers filed as bags and keeps the rest
    with open(tmp_path / "edits.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "action", "new_label"])
        for row in suspects.itertuples():
            writer.writerows([[row.path, "relabel", "trouser"] if row.path in flipped else [row.path, "keep", ""]])
    assert cli.main(["clean", "--run", str(run.path), "--apply", str(tmp_path / "edits.csv")]) == 0
    cleaned = workspace / "datasets" / "fm-cleaned-1"
    for name in CLASSES:  # the validation images are the same
        assert sorted(p.name for p in (cleaned / "val" / name).iterdir()) == sorted(
            p.name for p in (tmp_path / "fm" / "val" / name).iterdir()
        )
    assert len(list((cleaned / "train" / "bag").iterdir())) == 80 + len(flipped) - int(found.sum())
    again, status = train(TrainConfig.from_dict(cleaner.retrain_options(run, cleaned)), progress=False)
    assert status["state"] == "completed" and again.config()["seed"] == 0
    before, after = run.report()["val_accuracy"], again.report()["val_accuracy"]
    print(f"flipped {len(flipped)}, recall@{len(suspects)} {recall:.3f}, val accuracy {before:.4f} → {after:.4f}")
    assert after >= before


@pytest.mark.slow
def test_the_evaluate_tab_lists_suspects_applies_choices_and_trains_again(tmp_path, monkeypatch):
    from cnnapp.jobs.worker import JobManager
    from cnnapp.ui import evaluate_tab

    home = tmp_path / "home"
    monkeypatch.setenv("CNNAPP_HOME", str(home))
    run = trained_demo_run(home)
    suspects, pairs, found, edits = evaluate_tab.find_suspects(home, run.id)
    rows = suspects["rows"]
    assert len(rows) == evaluate_tab.SUSPECTS and rows[0]["loss"] >= rows[-1]["loss"] and edits == {}
    assert all(Path(r["image"]).is_file() for r in rows) and found.startswith(f"{len(rows)} suspects")
    given, predicted = pairs.choices[1][1].split("\t")  # the most confused pair
    picked = evaluate_tab.shown(suspects, pairs.choices[1][1])
    assert picked and all((r["label"], r["predicted"]) == (given, predicted) for r in picked)
    assert len(evaluate_tab.shown(suspects, "")) == evaluate_tab.GRID

    first, second = rows[0], rows[1]
    edits = evaluate_tab.choose(first["path"], edits, "relabel", first["predicted"])
    edits = evaluate_tab.choose(second["path"], edits, "remove", first["predicted"])
    assert evaluate_tab.choose(second["path"], edits, "keep", None) == {first["path"]: edits[first["path"]]}
    cleaned, done, again = evaluate_tab.apply_choices(home, suspects, edits)
    assert Path(cleaned).is_dir() and again.visible and "relabel as: 1" in done and "remove: 1" in done
    total = sum(1 for p in Path(cleaned).rglob("*") if p.is_file())
    assert total == 400 - 1

    jobs = JobManager(home, threads=1)
    try:
        new_id, watched, _ = evaluate_tab.train_again(jobs, suspects, cleaned)
        assert watched == new_id != run.id
        new = RunDir.of(new_id, home)
        assert new.config() == {**run.config(), "data": cleaned}
        assert jobs.wait(new_id, 300)["state"] == "completed"
    finally:
        jobs.shutdown()


@pytest.mark.slow
@pytest.mark.browser
def test_the_cleaner_grid_in_a_browser_removes_an_image_and_offers_to_train_again(workspace):
    playwright = pytest.importorskip("playwright.sync_api")
    from test_browser import ARGS, CHROMIUM, open_tab

    from cnnapp.jobs.worker import JobManager
    from cnnapp.ui import build_app, launch_options

    run = trained_demo_run(workspace)
    jobs = JobManager(workspace, threads=1)
    demo = build_app(workspace, jobs)
    demo.launch(prevent_thread_lock=True, **launch_options(quiet=True))
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(demo.local_url)
        open_tab(page, "Evaluate")
        page.locator("#evaluate-summary").get_by_text(run.id).wait_for(timeout=60_000)
        page.locator("#evaluate-cleaner").get_by_text("Fix the labels").first.click()
        page.locator("#cleaner-find").click()
        page.get_by_text("suspects, highest loss first").wait_for(timeout=120_000)
        cards = page.locator("#evaluate-cleaner").get_by_role("radio", name="remove")
        cards.first.wait_for(timeout=30_000)
        assert cards.count() == 24
        cards.first.check()
        page.wait_for_timeout(1500)  # the choice reaches the server
        page.locator("#cleaner-apply").click()
        page.get_by_text("Cleaned dataset written").wait_for(timeout=60_000)
        assert page.locator("#cleaner-train-again").is_visible() and errors == []
        chromium.close()
    demo.close()
    jobs.shutdown(timeout=5)
    (cleaned,) = (workspace / "datasets").glob("*-cleaned-1")
    assert sum(1 for f in cleaned.rglob("*") if f.is_file()) == 400 - 1

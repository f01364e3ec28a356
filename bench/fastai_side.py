"""fastai's side of `bench.peer`, run as its own process by the interpreter that has fastai 2.8.12.

`python -m bench.fastai_side SPEC.json OUT.jsonl` trains one model as SPEC says (data folder with
train/ and val/, architecture, initial weights, size, epochs, learning rate, batch size, seed, threads)
and appends one JSON line per epoch: the epoch, its validation accuracy and the wall-clock time.
It imports only torch, timm, fastai and `cnnapp.models.lenet` (plain torch), so it runs beside any cnnapp install.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def build_model(arch: str, num_classes: int, weights: str | None):
    import torch

    if arch == "lenet5":
        from cnnapp.models.lenet import LeNet5

        model = LeNet5(num_classes)
    else:
        import timm

        model = timm.create_model(arch, pretrained=False, num_classes=num_classes)
    if weights:
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    import torch

    torch.set_num_threads(spec["threads"])
    from fastai.vision.all import (  # as fastai's users import it (this also adds `Learner.no_bar` and friends)
        Callback,
        CrossEntropyLossFlat,
        ImageDataLoaders,
        Learner,
        Normalize,
        Recorder,
        Resize,
        accuracy,
        params,
        set_seed,
    )

    out = Path(out_path)

    class EpochTimes(Callback):
        """After the Recorder has the epoch's metrics: write the epoch's validation accuracy and wall-clock time."""

        order = Recorder.order + 1

        def after_epoch(self) -> None:
            with out.open("a") as f:
                f.write(json.dumps({"t": time.time(), "val_acc": float(self.recorder.values[-1][-1])}) + "\n")

    set_seed(spec["seed"])
    size = spec["img_size"]
    dls = ImageDataLoaders.from_folder(
        spec["data"],
        train="train",
        valid="val",
        item_tfms=Resize(size),
        batch_tfms=Normalize.from_stats(spec["mean"], spec["std"]),
        bs=spec["batch_size"],
        num_workers=0,
        seed=spec["seed"],
        device=torch.device("cpu"),
    )
    model = build_model(spec["arch"], len(dls.vocab), spec.get("weights"))

    def splitter(m) -> list:
        """Backbone, then head (timm's classifier): `freeze` trains the last group only."""
        head = params(m.get_classifier())
        ids = {id(p) for p in head}
        return [[p for p in m.parameters() if id(p) not in ids], head]

    learn = Learner(
        dls,
        model,
        loss_func=CrossEntropyLossFlat(),
        metrics=accuracy,
        wd=spec["weight_decay"],
        cbs=[EpochTimes()],
        **({"splitter": splitter} if hasattr(model, "get_classifier") else {}),
    )
    with learn.no_bar(), learn.no_logging():
        if spec["freeze_epochs"]:
            learn.fine_tune(spec["epochs"], base_lr=spec["lr"], freeze_epochs=spec["freeze_epochs"])
        else:
            learn.fit_one_cycle(spec["epochs"], spec["lr"])


if __name__ == "__main__":
    main(*sys.argv[1:3])

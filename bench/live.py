"""Live camera: how often the Predict tab's live mode can update its bars, per camera frame, on this machine."""

from __future__ import annotations

import numpy as np
from PIL import Image

from bench.fixtures import fashion_split
from bench.harness import Figure, interleaved_rates
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train
from cnnapp.ui.live_panel import CAMERA, classify_frame
from cnnapp.workspace import home

ARCH = "tf_efficientnet_lite0"
RUN_SIZE = 96


def _frame() -> np.ndarray:
    """A photo at the size the live camera asks the browser for."""
    from skimage import data

    return np.asarray(Image.fromarray(data.chelsea()).resize(CAMERA))


def live_updates(quick: bool) -> list[Figure]:
    """live_updates_per_s: the live function (camera frame → top-5) with a Lite0 run trained at the app's default
    96 px (one frozen epoch); the ImageNet classifier at 224 px alongside, for reference."""
    cfg = TrainConfig(data=str(fashion_split(8, 4)), arch=ARCH, img_size=RUN_SIZE, epochs=1, batch_size=16)
    run, status = train(cfg, progress=False)
    if status["state"] != "completed":
        raise RuntimeError(f"the {RUN_SIZE} px run did not train: {status.get('message')}")
    frame, root, calls = _frame(), home(), 10 if quick else 30

    def updates(model: str):
        def go() -> int:
            for _ in range(calls):
                classify_frame(root, frame, model, 5)
            return calls

        return go

    rates = interleaved_rates({"224": updates(f"imagenet:{ARCH}"), "96": updates(run.id)}, 3 if quick else 5)
    return [
        Figure(
            "live_updates_per_s",
            rates["96"],
            5,
            ">=",
            "/s",
            detail={
                f"Lite0 run {RUN_SIZE} px ms": 1000 / rates["96"],
                "ImageNet Lite0 224 px /s": rates["224"],
                "frame": f"{frame.shape[1]}×{frame.shape[0]}",
            },
        )
    ]

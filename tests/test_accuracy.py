"""Accuracy on real data (Fashion-MNIST): the figures the closing notes quote, asserted."""

import pytest

from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train

pytestmark = pytest.mark.slow


def test_lenet5_on_2000_fashion_mnist_images(fashion_2000):
    run, status = train(TrainConfig(data=str(fashion_2000), arch="lenet5", epochs=5, batch_size=16), progress=False)
    assert status["state"] == "completed"
    assert run.report()["val_accuracy"] >= 0.78


def test_pretrained_frozen_beats_training_from_scratch(demo_dir):
    accuracy = {}
    for pretrained in (True, False):
        cfg = TrainConfig(
            data=str(demo_dir),
            arch="tf_efficientnet_lite0",
            pretrained=pretrained,
            freeze=pretrained,
            epochs=3,
            img_size=64,
        )
        run, status = train(cfg, progress=False)
        assert status["state"] == "completed"
        accuracy[pretrained] = run.report()["val_accuracy"]
    assert accuracy[True] > accuracy[False] + 0.15

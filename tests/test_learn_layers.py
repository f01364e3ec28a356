"""The Learn tab's losses, softmax, flatten and dropout: values from torch.nn.functional, behaviour as in the course."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from cnnapp.course import layers, losses
from cnnapp.errors import ConfigError

TITLES = {name: name for name in losses.LOSSES}
LABELS = {"target": "target", "prediction": "prediction", "loss": "loss"}


@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_each_loss_curve_matches_torch_and_the_formula(y):
    p = np.linspace(0.01, 0.99, 50)
    yt, pt = torch.full((50,), y, dtype=torch.float64), torch.from_numpy(p)
    np.testing.assert_allclose(losses.losses("mse", y, p), F.mse_loss(pt, yt, reduction="none").numpy())
    np.testing.assert_allclose(losses.losses("mae", y, p), F.l1_loss(pt, yt, reduction="none").numpy())
    bce = losses.losses("bce", y, p)
    np.testing.assert_allclose(bce, F.binary_cross_entropy(pt, yt, reduction="none").numpy())
    np.testing.assert_allclose(bce, -(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-10)
    np.testing.assert_allclose(losses.losses("mse", y, p), (p - y) ** 2, rtol=1e-12)
    # categorical, 3 classes: class 1 gets y (the target) or p (the prediction), the others share the rest
    cce = losses.losses("cce", y, p)
    by_hand = -(y * np.log(p) + 2 * ((1 - y) / 2) * np.log((1 - p) / 2))
    np.testing.assert_allclose(cce, by_hand, rtol=1e-10)


def test_one_hot_categorical_cross_entropy_is_minus_log_of_the_true_class():
    logits = torch.tensor([[2.0, 1.0, 0.1]])
    p = torch.softmax(logits, 1)[0, 0].item()
    expected = F.cross_entropy(logits, torch.tensor([0])).item()
    assert losses.losses("cce", 1.0, p) == pytest.approx(expected) == pytest.approx(-np.log(p))


def test_batch_losses_and_cost_match_torch():
    y, p, each, cost = losses.batch(losses.EXAMPLE_BATCH)
    yt, pt = torch.tensor(y, dtype=torch.float64), torch.tensor(p, dtype=torch.float64)
    assert cost["mse"] == pytest.approx(F.mse_loss(pt, yt).item()) == pytest.approx(each["mse"].mean())
    assert cost["mae"] == pytest.approx(F.l1_loss(pt, yt).item()) == pytest.approx(each["mae"].mean())
    assert cost["bce"] == pytest.approx(F.binary_cross_entropy(pt, yt).item()) == pytest.approx(each["bce"].mean())
    assert cost["cce"] == pytest.approx(each["cce"].mean())
    assert each["mse"].tolist() == pytest.approx([0.01, 0.04, 0.36, 0.49], abs=1e-6)
    assert each["bce"][0] == pytest.approx(-np.log(0.9), rel=1e-6)


def test_loss_errors_and_figure():
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        losses.losses("bce", 1.0, 1.0)
    with pytest.raises(ConfigError, match="two columns"):
        losses.batch([[1, 0.5, 2]])
    with pytest.raises(ConfigError, match="unknown loss"):
        losses.losses("hinge", 1.0, 0.5)
    assert len(losses.loss_figure(1.0, 0.7, TITLES, LABELS).axes) == 4


def test_softmax_with_temperature():
    z = layers.parse_logits("2.0, 1.0, 0.1")
    assert z.tolist() == [2.0, 1.0, 0.1]
    one = layers.softmax(z, 1.0)
    np.testing.assert_allclose(one, torch.softmax(torch.tensor(z), 0).numpy())
    assert one.round(3).tolist() == [0.659, 0.242, 0.099]
    cold, hot = layers.softmax(z, 0.1), layers.softmax(z, 100.0)
    assert cold[0] > 0.9999 and np.allclose(hot, 1 / 3, atol=0.01)  # T → 0: one-hot argmax; T → ∞: uniform
    maxima = [layers.softmax(z, t).max() for t in (0.25, 0.5, 1, 2, 4)]
    assert maxima == sorted(maxima, reverse=True)
    for t in (0.3, 1.0, 3.0):
        p = layers.softmax(z, t)
        assert p.sum() == pytest.approx(1) and (np.argsort(p) == np.argsort(z)).all()
    np.testing.assert_allclose(layers.softmax(z + 7, 2.0), layers.softmax(z, 2.0))  # shift-invariant
    with pytest.raises(ConfigError, match="temperature"):
        layers.softmax(z, 0)
    with pytest.raises(ConfigError, match="numbers"):
        layers.parse_logits("1, two")
    with pytest.raises(ConfigError, match="between 2 and 20"):
        layers.parse_logits("3")
    assert isinstance(layers.softmax_figure(z, 0.5, {"class": "class", "probability": "p"}), Figure)


def test_flatten_is_channel_major_like_torch():
    volume, vector = layers.flatten(2, 3, 4)
    assert volume.shape == (2, 3, 4) and vector.shape == (24,)
    assert vector.tolist() == list(range(1, 25)) and volume[1, 0, 0] == 13
    np.testing.assert_array_equal(vector, volume.reshape(-1))
    assert isinstance(layers.flatten_figure(volume, vector, {"channel": "c", "vector": "v"}), Figure)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_mask_and_scaling(p):
    fmap = layers.feature_map(24)
    r = layers.dropout(fmap, p, seed=3)
    assert set(np.unique(r.mask)) <= {0, 1}
    np.testing.assert_allclose(r.output, fmap * r.mask / (1 - p), rtol=1e-6)
    assert abs(r.mask.mean() - (1 - p)) < 0.08  # 576 cells: each kept with probability 1 − p
    again = layers.dropout(fmap, p, seed=3)
    np.testing.assert_array_equal(again.mask, r.mask)
    assert not np.array_equal(layers.dropout(fmap, p, seed=4).mask, r.mask)
    # the same seed gives torch's own Dropout output
    torch.manual_seed(3)
    np.testing.assert_allclose(r.output, torch.nn.Dropout(p)(torch.from_numpy(fmap)).numpy())


def test_dropout_edges_and_figure():
    fmap = layers.feature_map(12)
    none = layers.dropout(fmap, 0.0)
    assert none.mask.all() and np.array_equal(none.output, fmap)
    with pytest.raises(ConfigError, match="dropout probability"):
        layers.dropout(fmap, 1.0)
    labels = {"before": "b", "mask": "m", "after": "a"}
    assert len(layers.dropout_figure(layers.dropout(fmap, 0.5), labels).axes) == 6  # 3 panels + colorbars

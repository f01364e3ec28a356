"""The fully connected end of a CNN, hands-on: flatten, softmax (with a temperature) and dropout, all through torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from cnnapp.course.convolution import KERNELS, convolve, shapes_image
from cnnapp.errors import ConfigError
from cnnapp.messages import msg


def parse_logits(text: str) -> np.ndarray:
    """Scores typed as numbers separated by commas or spaces. Raises ConfigError."""
    parts = [p for p in str(text or "").replace(",", " ").split() if p]
    try:
        values = np.array([float(p) for p in parts], dtype=np.float64)
    except ValueError:
        raise ConfigError(msg("course.scores_numbers")) from None
    if not 2 <= len(values) <= 20 or not np.isfinite(values).all():
        raise ConfigError(msg("course.scores_count"))
    return values


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(z / T): a probability distribution over the classes; T < 1 sharpens it, T > 1 flattens it."""
    if not temperature > 0:
        raise ConfigError(msg("course.temperature", value=temperature))
    return torch.softmax(torch.as_tensor(logits, dtype=torch.float64) / float(temperature), dim=0).numpy()


def softmax_figure(logits: np.ndarray, temperature: float, labels: dict[str, str]) -> Figure:
    """Bars of the probabilities, each labelled with its value, classes named by their scores."""
    probs = softmax(logits, temperature)
    fig = Figure(figsize=(6.5, 3.4))
    ax = fig.add_subplot()
    names = [f"{labels['class']} {i + 1}\nz = {z:g}" for i, z in enumerate(logits)]
    bars = ax.bar(names, probs, color=["#dc2626" if i == probs.argmax() else "#6366f1" for i in range(len(probs))])
    ax.bar_label(bars, labels=[f"{p:.3f}" for p in probs], fontsize=8)
    ax.set(ylim=(0, 1.08), ylabel=labels["probability"], title=f"softmax(z / T), T = {temperature:g}")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def flatten(channels: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A C×H×W volume numbered 1, 2, … and what `nn.Flatten` makes of it (one batch item): a vector of C·H·W."""
    volume = torch.arange(1, channels * height * width + 1, dtype=torch.float32).reshape(1, channels, height, width)
    return volume[0].numpy(), torch.nn.Flatten()(volume)[0].numpy()


def flatten_figure(volume: np.ndarray, vector: np.ndarray, labels: dict[str, str]) -> Figure:
    """The volume channel by channel, then the flattened vector, every cell numbered and coloured by channel."""
    c, h, w = volume.shape
    fig = Figure(figsize=(max(6.0, 0.32 * len(vector)), 3.6))
    grid = fig.add_gridspec(2, c, height_ratios=[h, 1.2])
    colors = ["#c7d2fe", "#fde68a", "#bbf7d0", "#fecaca"]
    for k in range(c):
        ax = fig.add_subplot(grid[0, k])
        ax.add_patch(_rect(0, 0, w, h, colors[k % len(colors)]))
        for i in range(h):
            for j in range(w):
                ax.text(j + 0.5, i + 0.5, f"{volume[k, i, j]:g}", ha="center", va="center", fontsize=9)
        ax.set(
            xlim=(0, w),
            ylim=(h, 0),
            xticks=range(w + 1),
            yticks=range(h + 1),
            title=f"{labels['channel']} {k + 1} ({h}×{w})",
        )
        ax.tick_params(labelbottom=False, labelleft=False, length=0)
        ax.grid(color="k", lw=0.6)
    ax = fig.add_subplot(grid[1, :])
    n = len(vector)
    for i, v in enumerate(vector):
        ax.add_patch(_rect(i, 0, 1, 1, colors[(i // (h * w)) % len(colors)]))
        ax.text(i + 0.5, 0.5, f"{v:g}", ha="center", va="center", fontsize=8)
    ax.set(xlim=(0, n), ylim=(0, 1), xticks=range(n + 1), yticks=[], title=f"{labels['vector']}: {n} = {c}·{h}·{w}")
    ax.tick_params(labelbottom=False, length=0)
    ax.grid(axis="x", color="k", lw=0.6)
    fig.tight_layout()
    return fig


def _rect(x: float, y: float, w: float, h: float, color: str):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, color=color, zorder=0)


def feature_map(size: int = 24) -> np.ndarray:
    """A small feature map to drop out: ReLU of the vertical-edge filter on the shapes picture."""
    return convolve(shapes_image(size + 2), KERNELS["vertical edges"], relu=True).feature_map


@dataclass
class DropoutResult:
    """`nn.Dropout(p)` in training mode on a feature map: which cells it kept, and its output."""

    feature_map: np.ndarray
    mask: np.ndarray  # 1 kept, 0 dropped
    output: np.ndarray  # feature_map · mask / (1 − p)
    p: float


def dropout(fmap: np.ndarray, p: float, seed: int = 0) -> DropoutResult:
    """Apply `nn.Dropout(p)` (training mode) with a seeded generator; the mask is read from the same draw on ones."""
    if not 0 <= p < 1:
        raise ConfigError(msg("course.dropout", value=p))
    x = torch.as_tensor(np.asarray(fmap, dtype=np.float32))
    layer = torch.nn.Dropout(float(p)).train()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        output = layer(x)
        torch.manual_seed(int(seed))
        kept = F.dropout(torch.ones_like(x), float(p), training=True) > 0
    return DropoutResult(x.numpy(), kept.numpy().astype(np.uint8), output.numpy(), float(p))


def dropout_figure(result: DropoutResult, labels: dict[str, str]) -> Figure:
    """Feature map, mask and output side by side; map and output share one colour scale, so the ×1/(1−p) shows."""
    fig = Figure(figsize=(11, 3.6))
    axes = fig.subplots(1, 3)
    high = float(max(result.output.max(), result.feature_map.max(), 1e-6))
    shown = [
        (result.feature_map, labels["before"], "viridis", (0, high)),
        (result.mask, labels["mask"], "gray", (0, 1)),
        (result.output, f"{labels['after']} (× 1/(1 − {result.p:g}) = {1 / (1 - result.p):.3g})", "viridis", (0, high)),
    ]
    for ax, (image, title, cmap, (low, top)) in zip(axes, shown):
        im = ax.imshow(image, cmap=cmap, vmin=low, vmax=top, interpolation="nearest")
        ax.set(title=title, xticks=[], yticks=[])
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig

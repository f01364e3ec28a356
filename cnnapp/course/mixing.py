"""mixup and cutmix on two pictures, exactly as a training mixes its batches (timm's `Mixup`, which the training
option `--mixup` / `--cutmix` uses): the mixed picture and its mixed label, e.g. "0.70 tshirt top + 0.30 sneaker".

mixup blends the two whole pictures with a weight λ drawn from Beta(α, α); cutmix pastes a box of the second picture
into the first, and λ is the share of the first picture left. The label is mixed with the same λ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from cnnapp.data.images import load_square_array
from cnnapp.errors import ConfigError
from cnnapp.messages import msg

MIXES = ("mixup", "cutmix")
SIZE = 112  # the pictures are read at this size (the example's 28 px enlarged): the cutmix box shows clearly


@dataclass
class Mixed:
    """One mix of pictures a and b: the mixed picture (uint8 HWC) and λ, the weight of a's label."""

    kind: str
    image: np.ndarray
    lam: float

    def label(self, name_a: str, name_b: str) -> str:
        """The mixed label, the larger share first."""
        parts = sorted([(self.lam, name_a), (1 - self.lam, name_b)], reverse=True)
        return " + ".join(f"{w:.2f} {name}" for w, name in parts if w >= 0.005)


def mix(a: np.ndarray, b: np.ndarray, kind: str, alpha: float, seed: int) -> Mixed:
    """Mix picture `a` with `b` (uint8 HWC, one size) by `kind` with Beta(`alpha`, `alpha`), drawn from `seed`.

    timm's Mixup draws from NumPy's global generator: it is seeded for the draw and restored after, so that a page's
    example does not disturb anything else in the process.
    """
    from timm.data import Mixup

    if kind not in MIXES:
        raise ConfigError(msg("course.unknown_mix", kind=kind, choices=list(MIXES)))
    alphas = {"mixup_alpha": alpha if kind == "mixup" else 0.0, "cutmix_alpha": alpha if kind == "cutmix" else 0.0}
    mixer = Mixup(**alphas, label_smoothing=0.0, num_classes=2)
    x = torch.from_numpy(np.stack([a, b])).permute(0, 3, 1, 2).float()
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        mixed, target = mixer(x, torch.tensor([0, 1]))
    finally:
        np.random.set_state(state)
    image = mixed[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()
    return Mixed(kind, image, float(target[0, 0]))


def example_pair(folder: Path, class_a: str, class_b: str, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The `index`-th picture of two classes of an image folder (the example dataset), at `SIZE`."""
    pictures = []
    for name in (class_a, class_b):
        files = sorted((folder / name).iterdir())
        pictures.append(load_square_array(files[index % len(files)], SIZE))
    return pictures[0], pictures[1]


def mix_figure(a: np.ndarray, b: np.ndarray, mixes: list[Mixed], names: tuple[str, str], titles: dict) -> Figure:
    """The two pictures and each mix, titled with its mixed label (`titles`: the words for "mixup", "cutmix")."""
    fig = Figure(figsize=(3 * (2 + len(mixes)), 3.4))
    panels = [(a, f"a: {names[0]}"), (b, f"b: {names[1]}")]
    panels += [(m.image, f"{titles[m.kind]}\n{m.label(*names)}") for m in mixes]
    for ax, (image, title) in zip(fig.subplots(1, len(panels)), panels):
        ax.imshow(image)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig

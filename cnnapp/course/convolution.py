"""The course, hands-on: convolution, padding and stride, pooling, stacking and the classic architectures.

Pure functions (NumPy in, NumPy / pandas / matplotlib out) for the app's Learn tab. Convolutions run
through `torch.nn.functional.conv2d`, which, like every deep-learning library, computes a
cross-correlation: the kernel slides over the image without being flipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from matplotlib import colormaps
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from cnnapp.errors import ConfigError
from cnnapp.messages import Message, msg

KERNELS: dict[str, np.ndarray] = {
    name: np.array(k, dtype=np.float32)
    for name, k in {
        "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "horizontal edges": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
        "vertical edges": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
        "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "box blur": [[1 / 9] * 3] * 3,
        "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    }.items()
}

# The course's max-pooling example (Tema 8, "Pooling - Agrupamiento"): 2×2 kernel, stride 2.
COURSE_MATRIX = np.array(
    [
        [4, 2, 2, 1, 4, 6],
        [3, 1, 5, 7, 8, 8],
        [9, 12, 14, 6, 9, 11],
        [4, 3, 4, 11, 4, 6],
        [4, 7, 15, 2, 8, 13],
        [3, 2, 10, 1, 5, 8],
    ],
    dtype=np.float32,
)
COURSE_MAX_POOL = np.array([[4, 7, 8], [12, 14, 11], [7, 15, 13]], dtype=np.float32)

POOLING = ("max", "min", "avg")

MATRIX = msg("course.table.matrix")  # what `as_matrix` calls a table it is not told the name of


def as_matrix(value: Any, name: str | Message = MATRIX) -> np.ndarray:
    """A 2-D float array from a list of rows, an array or a DataFrame (a `gr.Dataframe` value). Raises ConfigError."""
    try:
        array = np.array(
            value.to_numpy() if isinstance(value, pd.DataFrame) else value, dtype=np.float32
        )  # a writable copy
    except (TypeError, ValueError):
        raise ConfigError(msg("course.not_numbers", name=name)) from None
    if array.ndim != 2 or array.size == 0:
        raise ConfigError(msg("course.not_table", name=name))
    if not np.isfinite(array).all():
        raise ConfigError(msg("course.empty_cells", name=name))
    return array


def to_gray(image: np.ndarray) -> np.ndarray:
    """An image (H×W or H×W×C, uint8 or float) as one float plane in [0, 1] (luminance)."""
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 3:
        array = (
            array[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if array.shape[2] >= 3 else array[..., 0]
        )
    return array / 255.0 if np.asarray(image).dtype == np.uint8 else array


def shapes_image(size: int = 96) -> np.ndarray:
    """A test card (RGB uint8): a square, a disc and a triangle on a dark background, with edges in every direction."""
    im = Image.new("L", (size, size), 20)
    draw = ImageDraw.Draw(im)
    a, b, c, d = (round(size * f) for f in (0.1, 0.45, 0.55, 0.9))
    draw.rectangle([a, a, b, b], fill=230)
    draw.ellipse([c, a, d, b], fill=160)
    draw.polygon([(a, d), (size // 2, c), (d, d)], fill=200)
    return np.asarray(im.convert("RGB"))


def output_size(w: int, k: int, p: int, s: int) -> int:
    """The course's formula for a convolution or pooling output side: ⌊(W − K + 2P) / S⌋ + 1."""
    return (w - k + 2 * p) // s + 1


def formula(w: int, k: int, p: int, s: int) -> str:
    """The formula filled in, e.g. `(6 − 3 + 2·0) / 1 + 1 = 4`."""
    exact = (w - k + 2 * p) % s == 0
    inner = f"({w} − {k} + 2·{p}) / {s}"
    return f"{inner if exact else '⌊' + inner + '⌋'} + 1 = {output_size(w, k, p, s)}"


def _check(size: tuple[int, int], k: int, p: int, s: int) -> None:
    if k < 1 or s < 1 or p < 0:
        raise ConfigError(msg("course.conv_sizes"))
    if min(size) + 2 * p < k:
        raise ConfigError(msg("course.kernel_too_big", k=k, height=size[0], width=size[1], padding=p))


@dataclass
class ConvResult:
    """A feature map (mapa de características) and how its size came about."""

    feature_map: np.ndarray
    formula_h: str
    formula_w: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.feature_map.shape  # type: ignore[return-value]


def convolve(image: Any, kernel: Any, padding: int = 0, stride: int = 1, relu: bool = False) -> ConvResult:
    """Slide a 2-D `kernel` over an image (converted to gray) or a matrix, with zero padding and stride."""
    is_image = isinstance(image, np.ndarray) and (image.dtype == np.uint8 or image.ndim == 3)
    plane = to_gray(image) if is_image else as_matrix(image, msg("course.table.input"))
    k = as_matrix(kernel, msg("course.table.kernel"))
    if k.shape[0] != k.shape[1]:
        raise ConfigError(msg("course.kernel_square"))
    padding, stride = int(padding), int(stride)
    _check(plane.shape, k.shape[0], padding, stride)
    out = F.conv2d(
        torch.from_numpy(plane)[None, None], torch.from_numpy(k)[None, None], padding=padding, stride=stride
    )[0, 0]
    if relu:
        out = F.relu(out)
    h, w = plane.shape
    return ConvResult(out.numpy(), formula(h, k.shape[0], padding, stride), formula(w, k.shape[0], padding, stride))


def pool(matrix: Any, method: str = "max", kernel: int = 2, stride: int = 2) -> np.ndarray:
    """Max-, min- or average-pooling of a matrix (H×W) or of each channel of an image (H×W×C)."""
    if method not in POOLING:
        raise ConfigError(msg("course.unknown_pooling", method=method, choices=list(POOLING)))
    array = (
        np.asarray(matrix, dtype=np.float32)
        if isinstance(matrix, np.ndarray) and matrix.ndim == 3
        else as_matrix(matrix)
    )
    kernel, stride = int(kernel), int(stride)
    _check(array.shape[:2], kernel, 0, stride)
    x = torch.from_numpy(np.ascontiguousarray(array.reshape(*array.shape[:2], -1).transpose(2, 0, 1)))[None]
    if method == "avg":
        y = F.avg_pool2d(x, kernel, stride)
    else:
        sign = 1.0 if method == "max" else -1.0
        y = sign * F.max_pool2d(sign * x, kernel, stride)
    out = y[0].numpy().transpose(1, 2, 0)
    return out if array.ndim == 3 else out[..., 0]


def pool_image(image: np.ndarray, method: str = "max", kernel: int = 2, stride: int = 2) -> np.ndarray:
    """Pool an RGB or gray uint8 image channel by channel; uint8 out."""
    array = np.asarray(image)
    pooled = pool(array[..., None] if array.ndim == 2 else array[..., :3], method, kernel, stride)
    return np.clip(pooled.round(), 0, 255).astype(np.uint8).squeeze()


@dataclass
class StackResult:
    """The volume of stacked feature maps, rows × columns × filters."""

    volume: np.ndarray
    filters: list[str]

    @property
    def shape_text(self) -> str:
        return " × ".join(str(n) for n in self.volume.shape)


def stack(
    matrix: Any = COURSE_MATRIX, kernels: dict[str, np.ndarray] | None = None, padding: int = 0, stride: int = 1
) -> StackResult:
    """Convolve one input with several filters at once (one `conv2d` with out_channels = filters) and stack the maps.

    By default the course's 6×6 example and the 8 named 3×3 kernels: a 4×4×8 volume.
    """
    bank = kernels or KERNELS
    plane = as_matrix(matrix, msg("course.table.input"))
    weights = torch.from_numpy(np.stack([as_matrix(k, name) for name, k in bank.items()]))[:, None]
    _check(plane.shape, weights.shape[-1], int(padding), int(stride))
    maps = F.conv2d(torch.from_numpy(plane)[None, None], weights, padding=int(padding), stride=int(stride))[0]
    return StackResult(maps.numpy().transpose(1, 2, 0), list(bank))


def to_image(array: np.ndarray, min_side: int = 192, cmap: str | None = None) -> Image.Image:
    """A float map scaled to 0–255 (min–max) and enlarged without smoothing so each cell stays visible."""
    a = np.asarray(array, dtype=np.float32)
    span = float(a.max() - a.min())
    norm = (a - a.min()) / span if span > 0 else np.zeros_like(a)
    pixels = (colormaps[cmap](norm)[..., :3] * 255 if cmap else norm * 255).astype(np.uint8)
    im = Image.fromarray(pixels)
    scale = max(1, -(-min_side // max(1, min(a.shape[:2]))))
    return im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST) if scale > 1 else im


def volume_slices(result: StackResult) -> list[tuple[Image.Image, str]]:
    """One (image, caption) per filter of a stacked volume, for a gallery."""
    h, w, _ = result.volume.shape
    return [
        (to_image(result.volume[..., i], cmap="viridis"), f"filter {i + 1}: {name} → {h}×{w}")
        for i, name in enumerate(result.filters)
    ]


def volume_figure(result: StackResult) -> Figure:
    """The stacked volume drawn in 3-D: rows × columns × depth (one layer per filter, each scaled to its own range)."""
    v = result.volume
    low, high = v.min(axis=(0, 1)), v.max(axis=(0, 1))
    colors = colormaps["viridis"]((v - low) / np.where(high > low, high - low, 1.0))
    colors[..., 3] = 0.9
    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot(projection="3d")
    ax.voxels(np.ones(v.shape, dtype=bool), facecolors=colors, edgecolor="k", linewidth=0.3)
    ax.set(xlabel="rows", ylabel="columns", zlabel="filters", title=f"volume {result.shape_text}")
    ax.set_box_aspect(v.shape)
    return fig


# ILSVRC figures as the course gives them (Tabla 1), with the registry model each row describes.
COURSE_ILSVRC = {
    "alexnet": ("AlexNet", 8, 15.3, "1st", 2012),
    "vgg19": ("VGGNet", 19, 7.3, "2nd", 2014),
    "googlenet": ("GoogLeNet", 22, 6.67, "1st", 2014),
    "resnet152": ("ResNet", 152, 3.57, "1st", 2015),
}
# The course's parameter figures: (what it says, the count it gives).
COURSE_PARAMS = {
    "alexnet": ("the course: AlexNet has 60 million parameters", 60_000_000),
    "googlenet": ("the course: GoogLeNet cut parameters from 60 million (AlexNet) to 4 million", 4_000_000),
    "vgg16": ("the course: VGG has 138 million parameters", 138_000_000),
    "vgg19": ("the course's 138 million parameters are VGG-16's (its VGGNet row is the 19-layer one)", 138_000_000),
}


def _param_note(name: str, params: int, head: int) -> str:
    if name not in COURSE_PARAMS:
        return ""
    said, claimed = COURSE_PARAMS[name]
    if abs(params / claimed - 1) <= 0.02:
        return f"{said}; computed {params / 1e6:.1f} M agrees"
    return (
        f"{said}; computed {params / 1e6:.1f} M differs: "
        f"{(params - head) / 1e6:.1f} M before the 1000-class classifier, {head / 1e6:.1f} M in it"
    )


def architectures_table() -> pd.DataFrame:
    """Every registry architecture: year, depth, computed parameters, and the course's ILSVRC figures where given."""
    from cnnapp.models.factory import head_of
    from cnnapp.models.registry import build, count_params, get_spec, names

    rows = []
    for name in names():
        spec = get_spec(name)
        params = count_params(name)
        with torch.device("meta"):
            head = sum(p.numel() for p in head_of(build(spec, 1000), spec).parameters())
        course = COURSE_ILSVRC.get(name)
        rows.append(
            {
                "architecture": name,
                "family": spec.family,
                "year": spec.year,
                "depth (layers)": spec.paper_layers,
                "params (computed)": params,
                "ILSVRC entry (course)": course[0] if course else None,
                "course layers": course[1] if course else None,
                "top-5 error % (course)": course[2] if course else None,
                "ILSVRC place (course)": f"{course[3]} in {course[4]}" if course else None,
                "note": _param_note(name, params, head),
            }
        )
    return pd.DataFrame(rows).astype({"depth (layers)": "Int64", "course layers": "Int64"})

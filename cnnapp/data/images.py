"""Decoding any image file into an RGB picture: EXIF orientation, every PIL mode, size limits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnapp import settings
from cnnapp.errors import DataError
from cnnapp.messages import msg

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif")


def has_image_extension(name: str) -> bool:
    """True for the extensions cnnapp reads (torchvision's ImageFolder set plus GIF)."""
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _flatten_alpha(im: Image.Image) -> Image.Image:
    rgba = im.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _high_depth_to_rgb(im: Image.Image) -> Image.Image:
    arr = np.asarray(im, dtype=np.float64)
    top = 65535.0 if arr.max(initial=0) > 255 else 255.0
    if im.mode == "F":
        top = max(float(arr.max(initial=0)), 1.0) if arr.max(initial=0) > 1 else 1.0
    scaled = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(scaled, mode="L").convert("RGB")


def to_rgb(im: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB (alpha composited on white, 16-bit scaled down)."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        return _flatten_alpha(im)
    if im.mode.startswith("I") or im.mode == "F":
        return _high_depth_to_rgb(im)
    return im.convert("RGB")


def load_rgb(
    source: str | Path | BinaryIO, draft_size: int | None = None, max_pixels: int | None = None
) -> Image.Image:
    """Fully decode an image as RGB with EXIF orientation applied.

    `draft_size` lets JPEG decoding skip detail smaller than needed for that size; `max_pixels` is
    `CNNAPP_MAX_IMAGE_PIXELS` unless given (callers decoding many files read it once).
    Raises DataError with the reason when the file is not a usable image.
    """
    limit = max_pixels or settings.get().max_image_pixels  # against decompression bombs
    # Pillow's own guard (an error past twice its limit, also for the images gradio decodes) follows this server's
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with Image.open(source) as im:
            width, height = im.size
            if width * height > limit:
                raise DataError(msg("image.too_large", width=width, height=height, limit=limit))
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            if draft_size and im.format == "JPEG":
                im.draft("RGB", (draft_size, draft_size))
            im.load()
            im = ImageOps.exif_transpose(im)
            return to_rgb(im)
    except DataError:
        raise
    except Image.DecompressionBombError as exc:  # past twice the limit: Pillow refuses before cnnapp can look
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        if pixels is None:
            raise DataError(msg("image.bomb", problem=str(exc))) from None
        raise DataError(msg("image.too_many_pixels", pixels=int(pixels[1]), limit=limit)) from None
    except UnidentifiedImageError:
        raise DataError(msg("image.not_image")) from None
    except FileNotFoundError:
        raise DataError(msg("image.not_found")) from None
    except Exception as exc:  # any decoder failure (IndexError, struct.error, ...) is this file's problem, not ours
        raise DataError(msg("image.corrupt", problem=describe_error(exc))) from None


def describe_error(exc: BaseException) -> str:
    """An exception as a short phrase for a one-line message."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def fit_square(im: Image.Image, size: int) -> Image.Image:
    """Resize the shorter side to `size` and centre-crop to a `size`×`size` square."""
    if im.size == (size, size):
        return im
    factor = min(im.size) // (3 * size)
    if factor > 1:
        im = im.reduce(factor)
    return ImageOps.fit(im, (size, size), method=Image.Resampling.BILINEAR)


def load_square_array(source: str | Path | BinaryIO, size: int) -> np.ndarray:
    """Decode, orient, convert and fit an image file into a (size, size, 3) uint8 array. Raises DataError."""
    im = load_rgb(source, draft_size=size)
    try:
        return np.asarray(fit_square(im, size), dtype=np.uint8)
    except Exception as exc:  # e.g. a degenerate size that decoded without complaint
        raise DataError(msg("image.corrupt", problem=describe_error(exc))) from None

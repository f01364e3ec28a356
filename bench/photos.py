"""Photo-sized inputs: 2,000 JPEGs of 12 megapixels (4000×3000) through ingestion, as a user's phone photos.

The photos are made once into the bench's workdir from scikit-image's real (CC0) sample photos: four classes
(a cat, a coffee cup, an astronaut, a rocket), each photo upscaled to 12 MP with its own crop, mirror and sensor
noise, encoded once per variant (`VARIANTS` per class; a JPEG encode of 12 MP takes a second here). Every file of a
variant is then that JPEG with its own comment segment, so no two files are byte-identical (ingestion would skip
them as duplicates) while the decoding work per file, the thing measured, is a full 12-MP JPEG's.

Each ingestion runs in its own process (`python -m bench.photos SPEC OUT`) and goes the way a training starts: scan,
check and decode every file at the training's size (`Training.prepare`, JPEG draft decoding: libjpeg scales the
image down by up to 8× while decoding, `images.load_rgb`), then the first augmented batch. Peak memory is the
process's own high-water mark plus its largest forked decoder's (ingestion forks one per core): an upper bound.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.fixtures import WORKDIR
from bench.harness import Figure
from bench.procs import run_measured

SAMPLES = ("chelsea", "coffee", "astronaut", "rocket")  # scikit-image's colour photos: the classes
SIZE = (4000, 3000)  # 12 MP
VARIANTS = 10  # distinct 12-MP pictures per class
NOISE = 4  # grey levels of Gaussian noise: files of about 2.5 MB, as a phone's 12-MP photos (decoding time grows
# with the file's size: libjpeg's Huffman decoding reads every coefficient, draft mode or not)
IMG_SIZE = 96  # the training's input size (`training.defaults.SMALL_IMG_SIZE`: from scratch)
GB = 1e9


def _variant(photo: np.ndarray, seed: int) -> bytes:
    """One 12-MP JPEG of `photo`: a random 90% crop, maybe mirrored, upscaled, with Gaussian sensor noise."""
    rng = np.random.default_rng(seed)
    h, w = photo.shape[:2]
    ch, cw = int(h * 0.9), int(w * 0.9)
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    im = Image.fromarray(photo[y : y + ch, x : x + cw]).convert("RGB").resize(SIZE, Image.Resampling.BICUBIC)
    if seed % 2:
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    noisy = np.asarray(im, dtype=np.int16) + rng.normal(0, NOISE, (SIZE[1], SIZE[0], 1)).astype(np.int16)
    out = Path(WORKDIR / f"variant-{seed}.jpg")
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, quality=90)
    data = out.read_bytes()
    out.unlink()
    return data


def make_photos(count: int, variants: int = VARIANTS) -> Path:
    """`count` 12-MP JPEGs in `len(SAMPLES)` class folders under the workdir (made once per count)."""
    from skimage import data as samples

    root = WORKDIR / f"photos-{count}"
    if root.is_dir():
        return root
    per_class = count // len(SAMPLES)
    for c, name in enumerate(SAMPLES):
        folder = root / name
        folder.mkdir(parents=True)
        photo = getattr(samples, name)()
        jpegs = [_variant(photo, c * 1000 + v) for v in range(min(variants, per_class))]
        for i in range(per_class):
            jpeg = jpegs[i % len(jpegs)]
            comment = f"cnnapp bench photo {name} {i}".encode()
            segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
            (folder / f"{name}-{i:04d}.jpg").write_bytes(jpeg[:2] + segment + jpeg[2:])  # after the SOI marker
    return root


def _ingest(folder: Path, draft: bool, timeout: float) -> dict:
    """One measured ingestion process: its phase timings, wall time and peak memory."""
    out = WORKDIR / f"photos-{time.time_ns()}.json"
    spec = json.dumps({"data": str(folder), "draft": draft})
    done = run_measured([sys.executable, "-m", "bench.photos", spec, str(out)], timeout)
    if done.code:
        raise RuntimeError(f"the photo ingestion process exited with {done.code}")
    r = json.loads(out.read_text())
    return {**r, "total_s": done.seconds, "peak_gb": (done.peak_rss_bytes + r["child_peak"]) / GB}


def photos(quick: bool) -> list[Figure]:
    """2,000 12-MP JPEGs (100 in quick): ingestion images/s with draft decoding, peak memory, Start → first batch;
    and, on 100 of them, the images/s without draft decoding (the speedup it brings)."""
    count = 100 if quick else 2000
    folder = make_photos(count)
    r = _ingest(folder, True, 600 if quick else 1800)
    plain = _ingest(make_photos(100), False, 900)
    megabytes = sum(f.stat().st_size for f in folder.rglob("*.jpg")) / count / 1e6
    fast = r["images"] / r["ingest_s"]
    return [
        Figure(
            "photos_ingest_img_s",
            fast,
            200,
            ">=",
            " img/s",
            detail={
                "images": float(r["images"]),
                "ingest s": r["ingest_s"],
                "without draft img/s": plain["images"] / plain["ingest_s"],
                "img/s per CPU-second": r["images"] / r["ingest_cpu_s"],
                "without draft img/s per CPU-second": plain["images"] / plain["ingest_cpu_s"],
                "MB per file": megabytes,
                "cores": float(r["cores"]),
            },
        ),
        Figure("photos_peak_gb", r["peak_gb"], 4, "<=", " GB", detail={"without draft GB": plain["peak_gb"]}),
        Figure(
            "photos_start_to_first_batch_s",
            r["first_batch_s"],
            count / 200 + 10,  # ingestion at the goal's rate, then seconds for the model and the batch
            "<=",
            " s",
            detail={"ingest s": r["ingest_s"], "px": float(IMG_SIZE)},
        ),
    ]


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (ingestion's forked decoders)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _measure(spec: dict) -> dict:
    """In the measured process: Start → ingested (checked, decoded at the training's size) → first batch."""
    import os

    from cnnapp.runs import CONFIG, RunDir
    from cnnapp.training.config import TrainConfig, resolve
    from cnnapp.training.train import Training

    if not spec["draft"]:  # full decoding, to measure what draft decoding saves
        from PIL import JpegImagePlugin

        JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    options = {"data": spec["data"], "arch": "resnet18", "pretrained": False, "img_size": IMG_SIZE, "epochs": 1}
    cfg = resolve(TrainConfig.from_dict(options))
    run = RunDir.create(cfg.arch)
    cfg.save(run.file(CONFIG))
    training = Training(cfg, run, progress=False)
    training.prepare()
    ingested, cpu_ingest = time.perf_counter(), _cpu_seconds() - cpu_start
    images, _labels = next(iter(training.learner.loader("train", shuffle=True, augment=True)))
    first = time.perf_counter()
    assert images.shape[1:] == (IMG_SIZE, IMG_SIZE, 3)
    return {
        "images": sum(len(d) for d in training.learner.data.values()),
        "ingest_s": ingested - start,
        "ingest_cpu_s": cpu_ingest,
        "first_batch_s": first - start,
        "cores": len(os.sched_getaffinity(0)),
        "child_peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }


if __name__ == "__main__":
    from cnnapp.settings import use_offline_env

    use_offline_env()
    spec_arg, out_path = sys.argv[1:3]
    Path(out_path).write_text(json.dumps(_measure(json.loads(spec_arg))))

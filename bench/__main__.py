"""`python -m bench [--quick] [--json FILE]`: every benchmark in one process, as a table."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from cnnapp.settings import use_offline_env

use_offline_env()  # before gradio or huggingface_hub are imported

from bench import features, fullsize, live, peer, photos, serving, speedrun, training, userclock  # noqa: E402
from bench.fixtures import WORKDIR  # noqa: E402
from bench.harness import Figure, Skip, table, write_json  # noqa: E402
from cnnapp import hardware  # noqa: E402

BENCHMARKS = [
    training.engine_and_data,
    training.fast_path,
    features.feature_cache,
    features.bf16_accuracy,
    features.time_to_85,
    serving.predict_overhead,
    serving.cold_start,
    serving.load,
    serving.start_training_return,
    userclock.start_to_train,
    userclock.compare_grid,
    peer.transfer,
    peer.scratch,
    fullsize.lenet5,
    fullsize.frozen_lite0,
    speedrun.speedrun,
    photos.photos,
    live.live_updates,
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes; about 6 minutes on 2 cores")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--only", nargs="*", help="run only these benchmark functions (e.g. fast_path)")
    args = parser.parse_args()
    os.environ["CNNAPP_HOME"] = str(WORKDIR / "workspace")
    threads = hardware.configure_threads()
    figures: list[Figure] = []
    skipped: dict[str, str] = {}
    start, load = time.time(), os.getloadavg()[0]

    def meta(complete: bool) -> dict:
        """How the run was made; `complete` false while benchmarks remain (the JSON is written after each one)."""
        return {
            "quick": args.quick,
            "only": args.only,
            "complete": complete,
            "threads": threads,
            "cpu": platform.processor() or platform.machine(),
            "cuda": hardware.pick_device().type == "cuda",
            "seconds": round(time.time() - start, 1),
            "load_average": [round(load, 1), round(os.getloadavg()[0], 1)],  # at the start and the end: other work
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
        }

    for bench in BENCHMARKS:
        name = f"{bench.__module__.split('.')[-1]}.{bench.__name__}"
        if args.only and not {bench.__name__, name} & set(args.only):
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            figures += bench(args.quick)
        except Skip as reason:
            skipped[name] = str(reason)
        if args.json:  # a run stopped midway keeps what it measured
            write_json(figures, args.json, meta(False), skipped)
    print(table(figures))
    for name, reason in skipped.items():
        print(f"skipped {name}: {reason}")
    done = meta(True)
    print(f"\n{threads} threads, {done['seconds']} s in all")
    if args.json:
        write_json(figures, args.json, done, skipped)
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

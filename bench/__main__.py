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

from bench import features, serving, training  # noqa: E402
from bench.fixtures import WORKDIR  # noqa: E402
from bench.harness import Figure, table, write_json  # noqa: E402
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
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes; finishes within 5 minutes on 2 cores")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--only", nargs="*", help="run only these benchmark functions (e.g. fast_path)")
    args = parser.parse_args()
    os.environ["CNNAPP_HOME"] = str(WORKDIR / "workspace")
    threads = hardware.configure_threads()
    figures: list[Figure] = []
    start = time.time()
    for bench in BENCHMARKS:
        if args.only and bench.__name__ not in args.only:
            continue
        print(f"running {bench.__module__.split('.')[-1]}.{bench.__name__} ...", file=sys.stderr, flush=True)
        figures += bench(args.quick)
    print(table(figures))
    meta = {
        "quick": args.quick,
        "threads": threads,
        "cpu": platform.processor() or platform.machine(),
        "cuda": hardware.pick_device().type == "cuda",
        "seconds": round(time.time() - start, 1),
    }
    print(f"\n{threads} threads, {meta['seconds']} s in all")
    if args.json:
        write_json(figures, args.json, meta)
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

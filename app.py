"""cnnapp's entry point (and the Hugging Face Space's app file)."""

import sys
from pathlib import Path

from cnnapp.cli import main

if __name__ == "__main__":
    demo = Path(__file__).parent / "assets" / "fashion-mnist-mini"
    sys.exit(main(["train", "--data", str(demo), "--arch", "tf_efficientnet_lite0", "--img-size", "64", "--epochs", "5"]))

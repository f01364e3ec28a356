"""cnnapp: train, fine-tune, compare, explain and use image classifiers."""

import os

# albumentations asks PyPI for a newer version on import unless told not to; cnnapp works offline.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"

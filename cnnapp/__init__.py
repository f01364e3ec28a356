"""cnnapp: train, fine-tune, compare, explain and use image classifiers."""

__version__ = "0.1.0"

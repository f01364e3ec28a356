"""User-facing errors: each message says what was wrong and what to do."""


class CnnappError(Exception):
    """An error caused by user input or the environment, safe to show as one line."""


class ConfigError(CnnappError):
    """A training or prediction setting is invalid."""


class SettingsError(CnnappError):
    """An environment variable (`CNNAPP_*`, see `cnnapp.settings`) has a value cnnapp cannot use."""


class DataError(CnnappError):
    """A dataset or image cannot be used."""


class WeightsError(CnnappError):
    """Pretrained or user-supplied weights cannot be loaded."""


class RunError(CnnappError):
    """A run directory is missing, unreadable or in the wrong state."""

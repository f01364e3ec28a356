"""Models: the architectures (registry of facts), their factory and where weights come from."""

# the default architecture everywhere (CLI, API, app, course): the one whose ImageNet weights ship with cnnapp.
# Here, torch-free, so that the app's first page and the config can name it without importing the registry.
OFFLINE_ARCH = "tf_efficientnet_lite0"

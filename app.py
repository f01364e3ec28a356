"""cnnapp's web app (and the Hugging Face Space's app file): `python app.py` serves it on 127.0.0.1:7860.

GRADIO_SERVER_NAME and GRADIO_SERVER_PORT choose another address, as on Spaces.
"""

from cnnapp import settings
from cnnapp.errors import SettingsError
from cnnapp.ui import build_app, launch_options

if __name__ == "__main__":
    try:
        settings.get()  # a bad CNNAPP_* value stops the app here, with one clear line
    except SettingsError as exc:
        raise SystemExit(f"error: {exc}") from None
    build_app().launch(**launch_options())

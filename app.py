"""cnnapp's web app (and the Hugging Face Space's app file): `python app.py` serves it on 127.0.0.1:7860.

GRADIO_SERVER_NAME and GRADIO_SERVER_PORT choose another address, as on Spaces.
"""

from cnnapp.ui import build_app, launch_options

if __name__ == "__main__":
    build_app().launch(**launch_options())

"""cnnapp's web app (and the Hugging Face Space's app file): `python app.py` serves it on 127.0.0.1:7860.

GRADIO_SERVER_NAME and GRADIO_SERVER_PORT choose another address, as on Spaces.
"""

import threading

from cnnapp import settings
from cnnapp.errors import SettingsError
from cnnapp.jobs import warm
from cnnapp.jobs.worker import JobManager
from cnnapp.ui import DEFAULT_ARCH, build_app, launch_options

if __name__ == "__main__":
    try:
        settings.get()  # a bad CNNAPP_* value stops the app here, with one clear line
    except SettingsError as exc:
        raise SystemExit(f"error: {exc}") from None
    jobs = JobManager()
    jobs.prestart()  # the first training's process loads while the page is served
    demo = build_app(jobs=jobs)
    demo.launch(prevent_thread_lock=True, **launch_options())
    # the engine (torch, timm) is imported once the page is served, so the first Start returns at once
    threading.Thread(target=warm.preload_server, args=(DEFAULT_ARCH,), daemon=True).start()
    demo.block_thread()

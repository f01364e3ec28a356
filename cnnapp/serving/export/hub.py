"""The Hugging Face Hub push of an exported model folder, with the checks that refuse before any work is done."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cnnapp.errors import ExportError
from cnnapp.serving.export.folder import FOLDER_CONFIG, FOLDER_FILES

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def _offline() -> bool:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")
    return flag or bool(constants.HF_HUB_OFFLINE)


def _hub_token(token: str | None) -> str | None:
    if token:
        return token.strip()
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # a broken stored login or OIDC setup means no usable token
        return None


def check_push(repo_id: str, token: str | None = None, env_token: bool = True) -> str:
    """Raise ExportError unless a push to `repo_id` can be tried (valid id, online, a token); return the token.

    Without `token`, `env_token` allows `HF_TOKEN` or the saved login (the CLI); the app passes False so
    that visitors of a shared server never push with the server's own credentials.
    """
    if not REPO_ID.match(repo_id or ""):
        raise ExportError(f"'{repo_id}' is not a Hub repository id: use USER/REPO (letters, digits, '-', '_', '.')")
    if _offline():
        raise ExportError(
            "cannot push to the Hugging Face Hub: offline mode is on (HF_HUB_OFFLINE); "
            "unset it on a machine with network access"
        )
    token = (token or "").strip() or (_hub_token(None) if env_token else None)
    if not token:
        where = "pass --token or set HF_TOKEN" if env_token else "enter your token"
        raise ExportError(f"pushing to the Hugging Face Hub needs an access token with write permission: {where}")
    return token


def push_to_hub(
    folder: str | Path, repo_id: str, token: str | None = None, private: bool = False, env_token: bool = True
) -> str:
    """Upload an exported model folder to the Hub repo `repo_id` (created if missing); return its URL."""
    folder = Path(folder)
    token = check_push(repo_id, token, env_token)
    if not (folder / FOLDER_CONFIG).is_file():
        raise ExportError(f"{folder} is not an exported model folder; export with --format safetensors first")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(token=token)
    try:
        url = api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            repo_type="model",
            allow_patterns=list(FOLDER_FILES) + ["model.onnx"],
            commit_message="Upload a model exported by cnnapp",
        )
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        hint = {
            401: "the token was rejected; check it",
            403: "the token cannot write to this repository; use a token with write permission",
        }
        raise ExportError(
            f"the Hub refused the upload to {repo_id} (HTTP {status}): {hint.get(status, str(exc).splitlines()[0])}"
        ) from None
    except Exception as exc:  # network failures come as httpx, OSError and hub types
        raise ExportError(
            f"could not reach the Hugging Face Hub ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); check the network"
        ) from None
    return str(url)

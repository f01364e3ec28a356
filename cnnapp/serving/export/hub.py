"""The Hugging Face Hub push of an exported model folder, with the checks that refuse before any work is done."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cnnapp.errors import ExportError
from cnnapp.messages import msg
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
        raise ExportError(msg("hub.bad_repo", repo=repo_id))
    if _offline():
        raise ExportError(msg("hub.offline"))
    token = (token or "").strip() or (_hub_token(None) if env_token else None)
    if not token:
        raise ExportError(msg("hub.no_token", where=msg("hub.token_cli" if env_token else "hub.token_page")))
    return token


def push_to_hub(
    folder: str | Path, repo_id: str, token: str | None = None, private: bool = False, env_token: bool = True
) -> str:
    """Upload an exported model folder to the Hub repo `repo_id` (created if missing); return its URL."""
    folder = Path(folder)
    token = check_push(repo_id, token, env_token)
    if not (folder / FOLDER_CONFIG).is_file():
        raise ExportError(msg("hub.not_folder", folder=str(folder)))
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
        hint = msg(f"hub.http_{status}") if status in (401, 403) else str(exc).splitlines()[0]
        raise ExportError(msg("hub.refused", repo=repo_id, status=status, hint=hint)) from None
    except Exception as exc:  # network failures come as httpx, OSError and hub types
        first = str(exc).splitlines()[0] if str(exc) else msg("error.no_detail")
        raise ExportError(msg("hub.unreachable", kind=type(exc).__name__, first=first)) from None
    return str(url)

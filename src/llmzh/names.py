"""What a user typed as NAME: a catalog name, a Hub repo id, or a pasted model-page URL reduced to its repo id.

Every command that takes a NAME parses it here first, so that a pasted URL works everywhere and anything that is
neither a name nor a well-formed repo id is refused with one line before it reaches a client library.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from llmzh.errors import LlmzhError, UsageError

Source = Literal["huggingface", "modelscope"]

# What is written as a repo id: owner/name in the characters the Hub allows. Whether the Hub could have it (no
# '--' or '..', 96 characters at most, ...) is hub.check_repo_id's to say, with the client's own reasons (exit 2).
REPO_SHAPE = re.compile(r"^[\w.-]+/[\w.-]+$")  # \w: ModelScope ids may be Chinese (某组织/私有模型)
# The Hub's own rule for repo ids (huggingface_hub's validate_repo_id), for ids taken out of a pasted URL.
_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
REPO_ID = re.compile(rf"^{_PART}/{_PART}$")
MAX_NAME = 200

# Hosts whose model pages are https://HOST/OWNER/NAME[/tree|blob|resolve/...], and ModelScope's /models/OWNER/NAME.
_HF_HOSTS = ("huggingface.co", "hf.co", "hf-mirror.com")
_MS_HOSTS = ("modelscope.cn", "modelscope.ai")
_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?P<path>/[^?#]*)?(?:[?#].*)?$")
_HF_PAGES = ("tree", "blob", "resolve", "commits", "discussions", "files", "raw")
_MS_PAGES = ("summary", "files", "feedback", "file")


class Name(NamedTuple):
    """A parsed NAME: `text` to look up in the catalog; `repo` when it is (or was pasted as) a Hub repo id."""

    text: str
    repo: str | None = None
    source: Source | None = None  # where a pasted URL pointed


def is_repo_id(text: str) -> bool:
    return bool(REPO_ID.match(text)) and "--" not in text and ".." not in text


def _from_url(raw: str) -> Name | None:
    """A model page on a known host, as its repo id; None when `raw` is not a URL at all."""
    lowered = raw.lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
    if "://" not in raw and not any(lowered.startswith(h + "/") for h in (*_HF_HOSTS, *_MS_HOSTS)):
        return None
    match = _URL.match(raw)
    host = (match["host"].lower() if match else "").removeprefix("www.")
    from urllib.parse import unquote

    # A page copied from a browser's address bar has its Chinese parts percent-encoded.
    parts = [unquote(p) for p in ((match["path"] or "") if match else "").split("/") if p]
    repo: str | None = None
    source: Source | None = None
    if host in _HF_HOSTS:
        source = "huggingface"
        if len(parts) >= 2 and parts[0] not in ("datasets", "spaces", "api", "docs", "models"):
            if len(parts) == 2 or parts[2] in _HF_PAGES:
                repo = f"{parts[0]}/{parts[1]}"
    elif host in _MS_HOSTS:
        source = "modelscope"
        if len(parts) >= 3 and parts[0] == "models" and (len(parts) == 3 or parts[3] in _MS_PAGES):
            repo = f"{parts[1]}/{parts[2]}"
    valid = is_repo_id if source == "huggingface" else REPO_SHAPE.match  # ModelScope ids may be Chinese
    if repo is None or not valid(repo):
        raise LlmzhError(
            f"{raw!r} is not a model page on huggingface.co, hf-mirror.com or modelscope.cn",
            hint="paste a model page such as https://huggingface.co/Qwen/Qwen2.5-7B-Instruct, or give owner/name",
        )
    return Name(repo, repo, source)


def parse_name(raw: str) -> Name:
    """Parse NAME; raise UsageError (exit 2) when it is empty, LlmzhError (exit 1) when it cannot be a name."""
    text = raw.strip()
    if not text:
        raise UsageError("NAME is empty", hint="give a catalog name (llmzh list) or a Hub repo id owner/name")
    if len(text) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in text):
        shown = text[:40].encode("unicode_escape").decode() + ("…" if len(text) > 40 else "")
        raise LlmzhError(f"{shown!r} is not a model name", hint="give a catalog name (llmzh list) or owner/name")
    url = _from_url(text)
    if url is not None:
        return url
    if "/" in text or "\\" in text:
        if not REPO_SHAPE.match(text):
            raise LlmzhError(
                f"{text!r} is neither a catalog name nor a Hub repo id",
                hint="a repo id is owner/name (letters, digits, '-', '_', '.'), e.g. Qwen/Qwen2.5-7B-Instruct",
            )
        return Name(text, text)
    return Name(text)

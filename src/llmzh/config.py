"""Settings read from the environment at call time, never frozen at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from llmzh.schema import Lang

ENV_LANG = "LLMZH_LANG"


def default_lang(env: Mapping[str, str] | None = None) -> Lang:
    """`LLMZH_LANG` if set, else Chinese when the locale is Chinese, else English."""
    env = os.environ if env is None else env
    explicit = env.get(ENV_LANG, "").strip().lower()
    if explicit.startswith("zh"):
        return "zh"
    if explicit.startswith("en"):
        return "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


ENV_HOME = "LLMZH_HOME"


def user_dir() -> Path:
    """`LLMZH_HOME`, else the platform's user config directory (e.g. ~/.config/llmzh): the user's own files."""
    explicit = os.environ.get(ENV_HOME)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("llmzh", appauthor=False))


ENV_CACHE_DIR = "LLMZH_CACHE_DIR"


def cache_dir() -> Path:
    """`LLMZH_CACHE_DIR`, else the platform's user cache directory (e.g. ~/.cache/llmzh)."""
    explicit = os.environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("llmzh", appauthor=False))

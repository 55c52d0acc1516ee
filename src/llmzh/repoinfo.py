"""Live repo figures (`HubInfo`) and the disk cache both sources keep them in, with their config.json files.

`llmzh.hub` (Hugging Face) and `llmzh.modelscope` fill the same records and share this cache and its rules:
figures within the TTL are served without a request, offline mode serves whatever is cached, a failed fetch keeps
the last good figures as stale, and a cache file is checked like a network answer. Neither client is imported here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from llmzh import untrusted
from llmzh.errors import HubError
from llmzh.untrusted import Untrusted, shown

WEIGHT_SUFFIXES = (".bin", ".safetensors", ".gguf", ".pt", ".pth")
CACHE_FORMAT = 1

HubStatus = Literal["ok", "gone", "gated", "unavailable"]


class HubFile(NamedTuple):
    name: str
    size: int | None = None
    sha256: str | None = None  # LFS files only


class HubInfo(NamedTuple):
    """What the Hub says about one repo, and how fresh that is."""

    repo: str
    status: HubStatus
    fetched_at: float | None = None  # when these figures came from the Hub (epoch seconds)
    cached: bool = False  # served from the disk cache, not a request made now
    stale: bool = False  # cached figures kept because a fresh fetch failed or was impossible
    error: str | None = None  # what failed, for `unavailable` and stale results
    downloads: int | None = None  # last 30 days
    likes: int | None = None
    last_modified: str | None = None
    sha: str | None = None
    license: str | None = None
    gated: str | None = None  # "auto" / "manual" when access must be requested
    params: int | None = None  # safetensors parameter count, where the Hub has one
    files: tuple[HubFile, ...] = ()

    @property
    def size_bytes(self) -> int | None:
        sizes = [f.size for f in self.files]
        return sum(s for s in sizes if s is not None) if self.files and None not in sizes else None

    @property
    def weights_bytes(self) -> int | None:
        weights = [f for f in self.files if f.name.endswith(WEIGHT_SUFFIXES)]
        if not weights or any(f.size is None for f in weights):
            return None
        return sum(f.size or 0 for f in weights)

    @property
    def has_figures(self) -> bool:
        return self.fetched_at is not None and self.status in ("ok", "gated")


class CacheSettings(Protocol):
    """What the cache needs of `HubSettings` / `MsSettings`."""

    @property
    def endpoint(self) -> str: ...
    @property
    def ttl(self) -> float: ...
    @property
    def offline(self) -> bool: ...
    @property
    def refresh(self) -> bool: ...


def cache_path(endpoint: str, repo: str, kind: str = "info") -> Path:
    import hashlib

    from llmzh.config import cache_dir

    digest = hashlib.sha256(f"{endpoint}\n{repo}".encode()).hexdigest()[:32]
    return cache_dir() / "hub" / kind / f"{digest}.json"


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None  # missing or corrupted: ignored, rewritten on the next fetch
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Atomic: write a temporary file beside the target, then rename over it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs requests


def _info_to_json(info: HubInfo) -> dict[str, Any]:
    data = info._asdict()
    data["files"] = [list(f) for f in info.files]
    for transient in ("cached", "stale", "error"):
        data.pop(transient)
    return data


def _info_from_json(data: Mapping[str, Any]) -> HubInfo | None:
    """A cached HubInfo, every field type-checked like a Hub answer (a cache file is as untrusted as the network)."""
    try:
        raw_files = data.get("files", [])
        if not isinstance(raw_files, list) or not all(isinstance(f, list) and len(f) == 3 for f in raw_files):
            return None
        status, fetched_at = data.get("status"), data.get("fetched_at")
        if status not in ("ok", "gone", "gated") or isinstance(fetched_at, bool):
            return None
        if not isinstance(fetched_at, (int, float)) or not 0 <= fetched_at < float("inf"):
            return None
        return checked_info(
            str(data["repo"]),
            status,
            fetched_at=float(fetched_at),
            downloads=data.get("downloads"),
            likes=data.get("likes"),
            last_modified=iso_date(data.get("last_modified")),
            sha=data.get("sha"),
            license=data.get("license"),
            gated=data.get("gated"),
            params=data.get("params"),
            files=[(name, size, sha) for name, size, sha in raw_files],
        )
    except (Untrusted, KeyError):
        return None


def iso_date(value: object) -> str | None:
    """An ISO 8601 timestamp, normalised; raises Untrusted for anything else."""
    if value is None:
        return None
    import datetime

    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if not isinstance(value, str) or len(value) > 40:
        raise Untrusted(f"lastModified is not a date: {shown(repr(value)[:40])}")
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise Untrusted(f"lastModified is not a date: {shown(repr(value)[:40])}") from None


def checked_info(
    repo: str,
    status: HubStatus,
    *,
    fetched_at: float,
    downloads: object,
    likes: object,
    last_modified: str | None,
    sha: object,
    license: object,
    gated: object,
    params: object,
    files: Iterable[tuple[object, object, object]],
) -> HubInfo:
    """A HubInfo from values of unknown type (a Hub answer, a cache file); raises Untrusted naming the bad field."""
    if gated not in (None, False, "auto", "manual"):
        raise Untrusted(f"gated is neither false, 'auto' nor 'manual': {shown(repr(gated)[:40])}")
    checked = []
    for name, size, sha256 in files:
        if not isinstance(name, str) or not name or len(name) > untrusted.PATH_MAX:
            raise Untrusted(f"a file name is not text: {shown(repr(name)[:40])}")
        checked.append(
            HubFile(
                name,
                untrusted.count(size, f"size of {shown(name)}"),
                untrusted.optional_hex(sha256, f"sha256 of {shown(name)}", untrusted.SHA256),
            )
        )
    return HubInfo(
        repo=repo,
        status=status,
        fetched_at=fetched_at,
        downloads=untrusted.count(downloads, "downloads"),
        likes=untrusted.count(likes, "likes"),
        last_modified=last_modified,
        sha=untrusted.optional_hex(sha, "commit id", untrusted.COMMIT),
        license=untrusted.text(license, "license"),
        gated=gated if isinstance(gated, str) else None,
        params=untrusted.count(params, "parameter count"),
        files=tuple(checked),
    )


def read_cached(settings: CacheSettings, repo: str) -> HubInfo | None:
    """The cached figures of `repo` from this endpoint, or None (missing, another format, or malformed)."""
    data = read_json(cache_path(settings.endpoint, repo))
    if data is None or data.get("format") != CACHE_FORMAT or data.get("repo") != repo:
        return None
    return _info_from_json(data)


def write_cached(settings: CacheSettings, info: HubInfo) -> None:
    write_json(cache_path(settings.endpoint, info.repo), {"format": CACHE_FORMAT, **_info_to_json(info)})


def from_cache(
    repos: Iterable[str], settings: CacheSettings
) -> tuple[dict[str, HubInfo], list[tuple[str, HubInfo | None]]]:
    """The figures the cache answers for (within the TTL; offline, whatever their age, missing ones `unavailable`),
    and the repos still to fetch, each with its cached figures (to show as stale if the fetch fails)."""
    now = time.time()
    results: dict[str, HubInfo] = {}
    todo: list[tuple[str, HubInfo | None]] = []
    for repo in dict.fromkeys(repos):
        cached = read_cached(settings, repo)
        fresh = cached is not None and cached.fetched_at is not None and now - cached.fetched_at < settings.ttl
        if cached is not None and (settings.offline or (fresh and not settings.refresh)):
            results[repo] = cached._replace(cached=True, stale=not fresh)
        elif settings.offline:
            results[repo] = HubInfo(repo, "unavailable", error="offline, and not in the cache")
        else:
            todo.append((repo, cached))
    return results, todo


def unanswered(repo: str, cached: HubInfo | None, message: str) -> HubInfo:
    """A fetch that failed: the last good figures shown as stale, else `unavailable`; nothing is cached."""
    if cached is not None:
        return cached._replace(cached=True, stale=True, error=message)
    return HubInfo(repo, "unavailable", error=message)


def failed(settings: CacheSettings, repo: str, cached: HubInfo | None, status: HubStatus, message: str) -> HubInfo:
    """A fetch that failed with `status`: a repo that is gone is cached as gone, any other failure is `unanswered`."""
    if status == "gone":
        result = HubInfo(repo, "gone", fetched_at=time.time(), error=message)
        write_cached(settings, result)
        return result
    return unanswered(repo, cached, message)


# ---------------------------------------------------------------- config.json (the VRAM estimator's input)


def _config_path(settings: CacheSettings, repo: str, revision: str) -> Path:
    return cache_path(settings.endpoint, f"{repo}@{revision}", "config")


def cached_config(settings: CacheSettings, repo: str, revision: str) -> tuple[dict[str, Any] | None, bool]:
    """The cached config.json of `repo` at `revision` (None if missing or malformed), and whether to use it without
    asking (within the TTL and no --refresh, or offline). Offline with nothing cached raises HubError."""
    cached = read_json(_config_path(settings, repo, revision))
    if cached is not None and not _config_cache_ok(cached):
        cached = None  # another format, or a file of the right shape with wrong types: fetched again
    if cached is None:
        if settings.offline:
            raise HubError(f"{repo}: config.json is not in the cache and offline mode is on")
        return None, False
    fresh = time.time() - float(cached["fetched_at"]) < settings.ttl
    return dict(cached["config"]), settings.offline or (fresh and not settings.refresh)


def write_config(settings: CacheSettings, repo: str, revision: str, config: Mapping[str, Any]) -> None:
    write_json(
        _config_path(settings, repo, revision),
        {"format": CACHE_FORMAT, "repo": repo, "revision": revision, "fetched_at": time.time(), "config": config},
    )


def _config_cache_ok(cached: Mapping[str, Any]) -> bool:
    fetched_at = cached.get("fetched_at")
    if cached.get("format") != CACHE_FORMAT or isinstance(fetched_at, bool):
        return False
    if not isinstance(fetched_at, (int, float)) or not 0 <= fetched_at < float("inf"):
        return False
    try:
        untrusted.check_config(cached.get("config"))
    except Untrusted:
        return False
    return True

"""The only module that talks to the Hugging Face Hub, through the real `huggingface_hub` client.

It fetches live repo figures (concurrently, cached on disk with a TTL), and maps every client failure to a status
or an `LlmzhError` with one clear line. `huggingface_hub` is imported lazily, only when a request must be made, so
commands served from the cache never pay for it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import urlsplit

from llmzh.errors import HubError, UsageError

if TYPE_CHECKING:
    from huggingface_hub import HfApi

DEFAULT_ENDPOINT = "https://huggingface.co"
MIRRORS = {"hf-mirror": "https://hf-mirror.com"}  # the community mirror most used in mainland China
DEFAULT_TTL_S = 24 * 3600.0
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_WORKERS = 16
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


class HubSettings(NamedTuple):
    """Where and how to reach the Hub, read from options and the environment at call time."""

    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = None  # given explicitly (--token or HF_TOKEN); never printed
    timeout: float = DEFAULT_TIMEOUT_S
    ttl: float = DEFAULT_TTL_S
    offline: bool = False
    refresh: bool = False
    max_workers: int = DEFAULT_WORKERS

    @classmethod
    def from_options(
        cls,
        *,
        endpoint: str | None = None,
        mirror: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        offline: bool = False,
        refresh: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> HubSettings:
        env = os.environ if env is None else env
        if mirror is not None:
            if mirror not in MIRRORS:
                known = ", ".join(MIRRORS)
                raise UsageError(f"unknown mirror {mirror!r}; known mirrors: {known}", hint="or pass --endpoint URL")
            if endpoint:
                raise UsageError("--mirror and --endpoint both choose the endpoint; give one of them")
            endpoint = MIRRORS[mirror]
        chosen = (endpoint or env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).strip().rstrip("/")
        parts = urlsplit(chosen)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"endpoint {chosen!r} is not an http(s) URL", hint="e.g. --endpoint https://hf-mirror.com")
        return cls(
            endpoint=chosen,
            token=token or env.get("HF_TOKEN") or None,
            timeout=DEFAULT_TIMEOUT_S if timeout is None else timeout,
            offline=offline or _truthy(env.get("HF_HUB_OFFLINE")),
            refresh=refresh,
        )

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc

    @property
    def client_token(self) -> str | bool | None:
        """The token for the client: an explicit one, else the stored login only for huggingface.co itself.

        A token saved by `hf auth login` is for huggingface.co; it is not sent to a mirror unless given explicitly.
        """
        if self.token:
            return self.token
        return None if self.endpoint == DEFAULT_ENDPOINT else False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------- disk cache


def _cache_path(endpoint: str, repo: str, kind: str = "info") -> Path:
    import hashlib

    from llmzh.config import cache_dir

    digest = hashlib.sha256(f"{endpoint}\n{repo}".encode()).hexdigest()[:32]
    return cache_dir() / "hub" / kind / f"{digest}.json"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or corrupted: ignored, rewritten on the next fetch
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
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
    try:
        files = tuple(HubFile(*f) for f in data.get("files", ()))
        fields = {k: data[k] for k in HubInfo._fields if k in data and k not in ("files", "cached", "stale", "error")}
        info = HubInfo(**fields, files=files)
    except (TypeError, ValueError, KeyError):
        return None
    if info.status not in ("ok", "gone", "gated") or not isinstance(info.fetched_at, (int, float)):
        return None
    return info


def read_cached(settings: HubSettings, repo: str) -> HubInfo | None:
    data = _read_json(_cache_path(settings.endpoint, repo))
    if data is None or data.get("format") != CACHE_FORMAT or data.get("repo") != repo:
        return None
    return _info_from_json(data)


def _write_cached(settings: HubSettings, info: HubInfo) -> None:
    _write_json(_cache_path(settings.endpoint, info.repo), {"format": CACHE_FORMAT, **_info_to_json(info)})


# ---------------------------------------------------------------- the client


def _client(settings: HubSettings) -> HfApi:
    # The client would otherwise send a telemetry request to huggingface.co itself, whatever the endpoint.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from huggingface_hub import HfApi, constants

    constants.HF_HUB_DISABLE_TELEMETRY = True
    return HfApi(endpoint=settings.endpoint, token=settings.client_token, library_name="llmzh")


def describe_failure(error: BaseException, settings: HubSettings) -> tuple[HubStatus, str]:
    """Map a client exception to a status and one line; order matters (subclasses first)."""
    import httpx2
    from huggingface_hub import errors

    if isinstance(error, errors.GatedRepoError):
        return "gated", "gated repo: request access on its Hub page, then pass your token with HF_TOKEN or --token"
    if isinstance(error, errors.RepositoryNotFoundError):
        return "gone", "not found on the Hub (deleted, renamed, or private)"
    if isinstance(error, errors.RevisionNotFoundError):
        return "unavailable", "revision not found"
    if isinstance(error, errors.OfflineModeIsEnabled):
        return "unavailable", "offline mode (HF_HUB_OFFLINE) is on"
    if isinstance(error, errors.HfHubHTTPError):
        status = error.response.status_code if error.response is not None else None
        if status == 429:
            return "unavailable", f"rate limited by {settings.host} (HTTP 429)"
        if status in (401, 403):
            return "unavailable", f"access denied by {settings.host} (HTTP {status}); check HF_TOKEN / --token"
        return "unavailable", f"{settings.host} answered HTTP {status}"
    if isinstance(error, httpx2.TimeoutException):
        return "unavailable", f"{settings.host} did not answer within {settings.timeout:g} s"
    if isinstance(error, httpx2.TransportError):
        return "unavailable", f"cannot reach {settings.host} ({type(error).__name__})"
    if isinstance(error, OSError):
        return "unavailable", f"cannot reach {settings.host} ({error.strerror or type(error).__name__})"
    raise error  # not a Hub failure: a bug, let it show


def _from_model_info(repo: str, info: Any) -> HubInfo:
    files = tuple(
        HubFile(s.rfilename, s.size, s.lfs.sha256 if s.lfs is not None else None) for s in (info.siblings or ())
    )
    license_ = None
    card = info.card_data
    if card is not None and getattr(card, "license", None):
        license_ = str(card.license)
    else:
        tags = [t for t in (info.tags or ()) if isinstance(t, str) and t.startswith("license:")]
        license_ = tags[0].split(":", 1)[1] if tags else None
    gated = info.gated if isinstance(info.gated, str) else None
    return HubInfo(
        repo=repo,
        status="gated" if gated else "ok",
        fetched_at=time.time(),
        downloads=info.downloads,
        likes=info.likes,
        last_modified=info.last_modified.isoformat() if info.last_modified else None,
        sha=info.sha,
        license=license_,
        gated=gated,
        params=info.safetensors.total if info.safetensors is not None else None,
        files=files,
    )


def _fetch_one(api: HfApi, repo: str, cached: HubInfo | None, settings: HubSettings) -> HubInfo:
    try:
        info = api.model_info(repo, files_metadata=True, timeout=settings.timeout)
    except Exception as error:  # noqa: BLE001 - mapped below; anything unmapped is re-raised
        status, message = describe_failure(error, settings)
        if status == "gone":
            result = HubInfo(repo, "gone", fetched_at=time.time(), error=message)
            _write_cached(settings, result)
            return result
        if cached is not None:
            return cached._replace(cached=True, stale=True, error=message)
        return HubInfo(repo, status if status != "gated" else "unavailable", error=message)
    result = _from_model_info(repo, info)
    _write_cached(settings, result)
    return result


def fetch_infos(repos: Iterable[str], settings: HubSettings) -> dict[str, HubInfo]:
    """Live figures for each repo: from the cache within the TTL, else fetched concurrently.

    Offline, cached figures are returned whatever their age and missing ones come back `unavailable`.
    """
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
    if todo:
        api = _client(settings)
        workers = max(1, min(settings.max_workers, len(todo)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmzh-hub") as pool:
            fetched = pool.map(lambda item: _fetch_one(api, item[0], item[1], settings), todo)
            for (repo, _), info in zip(todo, fetched, strict=True):
                results[repo] = info
    return results


def failure_summary(infos: Iterable[HubInfo]) -> str | None:
    """One line naming what failed, or None when every repo was answered."""
    failed = [i for i in infos if i.error is not None and i.status != "gone"]
    if not failed:
        return None
    reasons = sorted({i.error for i in failed if i.error})
    stale = sum(1 for i in failed if i.stale)
    line = f"Hub: {len(failed)} repo(s) without fresh figures: {'; '.join(reasons)}"
    if stale:
        line += f" — showing {stale} from the cache (stale)"
    return line


def require_ok(infos: Iterable[HubInfo]) -> None:
    """For --strict: turn any Hub failure into an error."""
    summary = failure_summary(infos)
    if summary is not None:
        raise HubError(summary, hint="retry later, try --endpoint / --mirror, or drop --strict")


def age(fetched_at: float | None, now: float | None = None) -> str:
    """'3 h', '12 min', '2 d' — how long ago figures were fetched."""
    if fetched_at is None:
        return "?"
    seconds = max(0.0, (now if now is not None else time.time()) - fetched_at)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"

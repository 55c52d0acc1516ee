"""The only module that talks to ModelScope (modelscope.cn), through the official `modelscope_hub` client.

It mirrors `llmzh.hub` for the second source: live repo figures (cached like the Hub's), file listings with sizes
and sha256, downloads into ModelScope's own cache layout (or `--local-dir`) with the client's resumable, ranged,
sha256-checked transfers, verification, and config.json for the estimator. It returns the same records as
`llmzh.hub` (`HubInfo`, `RepoListing`, `LocalFile`, `Digest`) so `llmzh.download` plans both sources alike.
`modelscope_hub` is imported lazily; every client failure becomes a status or an `HubError` with one line.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from llmzh import hub, repoinfo, untrusted
from llmzh.errors import HubError, UsageError
from llmzh.hub import Digest, LocalFile, RemoteFile, RepoListing
from llmzh.repoinfo import HubInfo, HubStatus
from llmzh.untrusted import Untrusted, shown

if TYPE_CHECKING:
    from modelscope_hub import HubApi

DEFAULT_ENDPOINT = "https://modelscope.cn"
DEFAULT_REVISION = "master"  # ModelScope's default branch
ENDPOINT_ENV = "MODELSCOPE_ENDPOINT"  # the client's own variables
TOKEN_ENV = "MODELSCOPE_API_TOKEN"
SOURCE = "modelscope"
_PARTIAL_SUFFIX = ".incomplete"  # the client's partial file, resumed with a Range request


class MsSettings(NamedTuple):
    """Where and how to reach ModelScope, read from options and the environment at call time."""

    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = None  # --token (with --source modelscope) or MODELSCOPE_API_TOKEN; never printed
    timeout: float = hub.DEFAULT_TIMEOUT_S
    ttl: float = hub.DEFAULT_TTL_S
    offline: bool = False
    refresh: bool = False
    max_workers: int = hub.DEFAULT_WORKERS

    @classmethod
    def from_options(
        cls,
        *,
        token: str | None = None,
        timeout: float | None = None,
        offline: bool = False,
        refresh: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> MsSettings:
        env = os.environ if env is None else env
        chosen = (env.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).strip().rstrip("/")
        parts = urlsplit(chosen)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"{ENDPOINT_ENV}={chosen!r} is not an http(s) URL", hint="e.g. https://modelscope.cn")
        return cls(
            endpoint=chosen,
            token=token or env.get(TOKEN_ENV) or None,
            timeout=hub.DEFAULT_TIMEOUT_S if timeout is None else timeout,
            offline=offline,
            refresh=refresh,
        )

    @property
    def host(self) -> str:
        """host[:port] for messages: never the `user:pass@` part an endpoint URL may carry."""
        parts = urlsplit(self.endpoint)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

    @property
    def shown_endpoint(self) -> str:
        """The endpoint for messages and output, its password (if any) replaced by ***."""
        return untrusted.redact_url(self.endpoint)

    @property
    def client_token(self) -> str | None:
        """An explicit token, else the login `modelscope login` saved, but only for modelscope.cn itself.

        The client treats "" as "no token", so a saved login never reaches another endpoint.
        """
        if self.token:
            return self.token
        return None if self.endpoint == DEFAULT_ENDPOINT else ""


# ---------------------------------------------------------------- the client


def _api(settings: MsSettings) -> HubApi:
    from modelscope_hub import HubApi, HubConfig

    config = HubConfig(endpoint=settings.endpoint, token=settings.client_token)
    api = HubApi(config, user_agent={"llmzh": "1"})
    _guard_sessions(api, settings)
    return api


def _capped(timeout: Any, cap: float) -> Any:
    """A `requests` timeout (None, seconds, or (connect, read)) no longer than `cap` in either phase."""
    if timeout is None:
        return (cap, cap)
    if isinstance(timeout, (int, float)):
        return min(float(timeout), cap)
    if isinstance(timeout, tuple) and len(timeout) == 2:
        return tuple(cap if t is None else min(float(t), cap) for t in timeout)
    return timeout


def _guard_sessions(api: HubApi, settings: MsSettings) -> None:
    """Every request of this client keeps the token home and gives up after `--timeout` of silence.

    Token: `modelscope_hub` sends it as a bearer header and as session cookies; on OpenAPI calls the cookies have
    no domain, and `requests` carries such cookies across a redirect to any host. Every HTTP adapter of the
    client's sessions therefore drops `Authorization` and `Cookie` from requests to another origin (scheme, host,
    port): a storage host a download is redirected to, or wherever a misbehaving server points.

    Timeout: the client fixes its timeouts when it is imported (`MODELSCOPE_API_TIMEOUT` 60 s,
    `MODELSCOPE_DOWNLOAD_TIMEOUT` 60 s, read once by `modelscope_hub.constants`), so the same adapters cap the
    connect and read timeout of each request at `settings.timeout`; a transfer that stalls that long is resumed by
    the client's own retries with a Range request.
    """
    home = hub._origin(settings.endpoint)
    for client in (api.openapi, api.legacy):
        for name in ("_session", "_read_session"):
            session = getattr(client, name, None)
            for adapter in set(getattr(session, "adapters", {}).values()):
                if getattr(adapter, "_llmzh_guard", False):
                    continue
                send = adapter.send

                def guarded(request: Any, *args: Any, _send: Any = send, **kwargs: Any) -> Any:
                    if hub._origin(str(request.url)) != home:
                        request.headers.pop("Authorization", None)
                        request.headers.pop("Cookie", None)
                    kwargs["timeout"] = _capped(kwargs.get("timeout"), settings.timeout)
                    return _send(request, *args, **kwargs)

                setattr(adapter, "send", guarded)  # noqa: B010 - this adapter instance only
                setattr(adapter, "_llmzh_guard", True)  # noqa: B010


@contextmanager
def _bounded(api: HubApi, settings: MsSettings) -> Iterator[Any]:
    """The calls in the block, the client's retries and back-off included, give up `settings.timeout` from now.

    Without this an unanswered metadata call costs the client's 5 attempts with back-off (about 15 s of sleeps
    on top of each timeout). The client bounds its own downloads and listings this way: a deadline control its
    OpenAPI and legacy clients honour per thread (`read_context`), which caps each request's timeouts at what is
    left, ends back-off sleeps at the deadline and interrupts a trickling answer. Past the deadline the call
    raises `RequestTimeoutError`.
    """
    from modelscope_hub._download_control import _DownloadControl

    with (
        _DownloadControl(total_timeout=settings.timeout) as control,
        api.openapi.read_context(control),
        api.legacy.read_context(control),
    ):
        yield control


class _NoBars:
    """Stands in for the client's tqdm bars: llmzh draws one bar from byte counts, on a terminal only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __enter__(self) -> _NoBars:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: float | None = 1) -> None:
        return None

    def close(self) -> None:
        return None


@contextmanager
def _quiet() -> Iterator[None]:
    """No client bars or log lines for the block: llmzh reports progress and the outcome itself."""
    from modelscope_hub import _download

    logger = logging.getLogger("modelscope_hub")
    saved = (getattr(_download, "tqdm", None), logger.level)
    setattr(_download, "tqdm", _NoBars)  # noqa: B010 - the module's private name, swapped for this block only
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        setattr(_download, "tqdm", saved[0])  # noqa: B010
        logger.setLevel(saved[1])


def describe_failure(error: BaseException, settings: MsSettings) -> tuple[HubStatus, str]:
    """Map a client exception to a status and one line; subclasses before their bases."""
    from modelscope_hub import errors

    if isinstance(error, errors.NotExistError):
        return "gone", f"not on {settings.host} (deleted, renamed, or private)"
    if isinstance(error, (errors.AuthenticationError, errors.PermissionDeniedError)):
        return "gated", f"access denied by {settings.host}: request access on the model page, then pass a token"
    if isinstance(error, errors.RateLimitError):
        return "unavailable", f"rate limited by {settings.host} (HTTP 429)"
    if isinstance(error, errors.ServerError):
        return "unavailable", f"{settings.host} answered HTTP {error.status_code or '5xx'}"
    if isinstance(error, errors.APIError):
        return "unavailable", f"{settings.host} answered HTTP {error.status_code}"
    if isinstance(error, errors.RequestTimeoutError):
        return "unavailable", f"{settings.host} did not answer within {settings.timeout:g} s"
    if isinstance(error, errors.NetworkError):
        return "unavailable", f"cannot reach {settings.host}"
    if isinstance(error, errors.FileIntegrityError):
        return "unavailable", f"a file from {settings.host} failed its size or sha256 check"
    if isinstance(error, ValueError) and not isinstance(error, errors.HubError):
        return "unavailable", f"{settings.host} does not answer like ModelScope ({shown(str(error))[:120]})"
    if isinstance(error, errors.HubError):  # the client's other failures: its cache, storage, an unsupported call
        first = shown(error.message.splitlines()[0] if error.message else "")[:160]
        return "unavailable", f"the ModelScope client failed ({type(error).__name__}: {first})"
    if isinstance(error, OSError):  # a local problem: an unwritable or misplaced cache folder
        where = f": {shown(str(error.filename))}" if error.filename else ""
        return "unavailable", f"{error.strerror or type(error).__name__}{where}"
    raise error  # not a ModelScope failure: a bug, let it show


def _page(repo: str, settings: MsSettings) -> str:
    return f"{settings.shown_endpoint}/models/{repo}"


def _repo_error(error: BaseException, repo: str, settings: MsSettings, revision: str | None = None) -> HubError:
    status, message = describe_failure(error, settings)
    if status == "gone":
        return HubError(
            f"{repo} is not on {settings.host}: deleted, renamed, private, or no revision {revision or 'master'!r}",
            hint=f"check the name at {_page(repo, settings)}; a private repo needs MODELSCOPE_API_TOKEN or --token",
            status="gone",
        )
    if status == "gated":
        return HubError(
            f"{repo} is gated on {settings.host}: request access at {_page(repo, settings)}",
            hint="then pass your token with MODELSCOPE_API_TOKEN=... or --token (https://modelscope.cn/my/myaccesstoken)",
            status="gated",
        )
    return HubError(f"{repo}: {message}", status=status)


# ---------------------------------------------------------------- live figures


def _malformed(settings: MsSettings, error: Untrusted) -> str:
    return f"{settings.host} sent a malformed answer ({error})"


def _fetch_one(api: HubApi, repo: str, cached: HubInfo | None, settings: MsSettings) -> HubInfo:
    try:
        with _bounded(api, settings):
            info = api.get_repo(repo, "model")
        with _bounded(api, settings):
            files = api.list_repo_files(repo, "model", revision=DEFAULT_REVISION)
        modified = info.last_modified
        result = repoinfo.checked_info(
            repo,
            "gated" if info.gated else "ok",
            fetched_at=time.time(),
            downloads=info.downloads,
            likes=info.likes,
            last_modified=modified.isoformat() if not isinstance(modified, (str, int, type(None))) else None,
            sha=None,
            license=info.license or None,
            gated="manual" if info.gated else None,
            params=None,
            files=[(f.path, f.size, f.sha256 or None) for f in files if not f.is_dir],
        )
    except Untrusted as error:
        return repoinfo.unanswered(repo, cached, _malformed(settings, error))
    except Exception as error:  # noqa: BLE001 - mapped below; anything unmapped is re-raised
        return repoinfo.failed(settings, repo, cached, *describe_failure(error, settings))
    repoinfo.write_cached(settings, result)
    return result


def fetch_infos(repos: Iterable[str], settings: MsSettings) -> dict[str, HubInfo]:
    """Live ModelScope figures for each repo: cached within the TTL (offline: whatever is cached), else fetched."""
    results, todo = repoinfo.from_cache(repos, settings)
    if todo:
        api = _api(settings)
        workers = max(1, min(settings.max_workers, len(todo)))
        with _quiet(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmzh-ms") as pool:
            fetched = pool.map(lambda item: _fetch_one(api, item[0], item[1], settings), todo)
            for (repo, _), info in zip(todo, fetched, strict=True):
                results[repo] = info
    return results


# ---------------------------------------------------------------- doctor


def ping(settings: MsSettings) -> tuple[bool, str]:
    """Whether the endpoint answers HTTP at all (any status counts), and how fast; never raises for network errors.

    One page of one model from the OpenAPI model list, within `settings.timeout`, retries included.
    """
    from modelscope_hub import errors

    api = _api(settings)
    start = time.monotonic()
    try:
        with _quiet(), _bounded(api, settings):
            api.openapi.list_models(page_size=1)
        status: object = 200
    except errors.APIError as error:  # an answer all the same
        status = error.status_code or "?"
    except Exception as error:  # noqa: BLE001 - any failure to connect is the answer
        try:
            _, message = describe_failure(error, settings)
        except Exception:  # noqa: BLE001 - describe_failure re-raises what it does not know
            message = f"cannot reach {settings.host} ({type(error).__name__})"
        return False, message
    return True, f"HTTP {status} in {(time.monotonic() - start) * 1000:.0f} ms"


def token_source(settings: MsSettings) -> str:
    """Where the ModelScope token comes from ("--token", TOKEN_ENV, "stored login" or "not set"); never its value.

    `modelscope login`'s saved login counts for modelscope.cn only, the one endpoint llmzh lets it reach.
    """
    if settings.token:
        return TOKEN_ENV if settings.token == os.environ.get(TOKEN_ENV) else "--token"
    if settings.endpoint != DEFAULT_ENDPOINT:
        return "not set"
    from modelscope_hub import HubConfig
    from modelscope_hub.constants import COOKIES_FILE_NAME

    return "stored login" if (HubConfig(token="").credentials_dir / COOKIES_FILE_NAME).is_file() else "not set"


# ---------------------------------------------------------------- listing, local state


def list_repo(repo: str, settings: MsSettings, *, revision: str | None = None) -> RepoListing:
    """The files of `repo` at `revision` (default: master), with sizes and sha256 (raises HubError)."""
    rev = revision or DEFAULT_REVISION
    if rev in (".", "..") or any(c in rev for c in "/\\\0") or untrusted.has_control(rev):
        # The client names the snapshot folder after the revision.
        raise UsageError(f"--revision {shown(rev)!r} cannot name a folder", hint="give a branch, tag or commit id")
    api = _api(settings)
    try:
        with _quiet():
            with _bounded(api, settings):
                info = api.get_repo(repo, "model")
            with _bounded(api, settings):
                files = api.list_repo_files(repo, "model", revision=rev)
        remote = tuple(
            RemoteFile(
                f.path,
                untrusted.count(f.size, f"size of {shown(f.path)}"),
                untrusted.optional_hex(f.sha256 or None, f"sha256 of {shown(f.path)}", untrusted.SHA256),
            )
            for f in files
            if not f.is_dir
        )
    except Untrusted as error:
        raise HubError(
            f"refusing {repo}: {_malformed(settings, error)}; nothing was written",
            hint="if this is not modelscope.cn, check MODELSCOPE_ENDPOINT; else report it to ModelScope",
        ) from error
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        raise _repo_error(error, repo, settings, rev) from error
    # The cache is keyed by revision name, not commit: the snapshot folder is `snapshots/<revision>`.
    return RepoListing(repo, rev, rev, remote, "manual" if info.gated else None, source=SOURCE)


def check_access(listing: RepoListing, paths: Iterable[str], settings: MsSettings) -> None:
    """For a gated repo, ask for the first byte of one file so that missing access shows before any byte moves."""
    if listing.gated is None:
        return
    probe = next((p for p in paths if p not in ("README.md", "configuration.json", ".gitattributes")), None)
    if probe is None:
        return
    api = _api(settings)
    try:
        with _quiet(), _bounded(api, settings):
            response = api.legacy.download_stream(
                listing.repo, "model", probe, listing.revision, headers={"Range": "bytes=0-0"}
            )
            response.close()
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        raise _repo_error(error, listing.repo, settings, listing.revision) from error


def cache_root() -> Path:
    """ModelScope's shared cache (MODELSCOPE_CACHE, else ~/.cache/modelscope), where `modelscope` users look too."""
    from modelscope_hub import HubConfig

    return Path(HubConfig(token="").cache_dir)


def snapshot_dir(repo: str, revision: str) -> Path:
    """Where the client puts a repo's files for one revision: an existing pre-1.38 folder, else the new layout."""
    root = cache_root()
    owner, _, name = repo.partition("/")
    for legacy in (
        root / "models" / owner / name.replace(".", "___"),
        root / "hub" / "models" / owner / name.replace(".", "___"),
    ):
        if legacy.is_dir() and any(legacy.iterdir()):
            return legacy
    return root / "models" / repo.replace("/", "--") / "snapshots" / revision


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def local_state(listing: RepoListing, paths: Iterable[str], *, local_dir: Path | None = None) -> dict[str, LocalFile]:
    """Which of `paths` the destination holds at the listed size, and partial bytes kept for the others."""
    files = {f.path: f for f in listing.files}
    where = local_dir if local_dir is not None else snapshot_dir(listing.repo, listing.commit)
    state = {}
    for path in paths:
        target = where / path
        present = target.is_file() and _size(target) == files[path].size
        partial = 0
        if not present:
            # A single stream resumes `<file>.incomplete`; large files come in ranged parts `<file>_<start>_<end>`.
            partial = _size(target.with_name(target.name + _PARTIAL_SUFFIX))
            partial += sum(_size(p) for p in target.parent.glob(f"{target.name}_*_*")) if target.parent.is_dir() else 0
        state[path] = LocalFile(present, partial)
    return state


def cached_commit(repo: str, revision: str) -> str | None:
    """The revision folder a download into the cache left, if any (ModelScope keys snapshots by revision)."""
    return revision if snapshot_dir(repo, revision).is_dir() else None


# ---------------------------------------------------------------- download, verify


def _bytes_callback(on_bytes: Callable[[int], None]) -> type:
    from modelscope_hub import ProgressCallback

    class _Counter(ProgressCallback):
        def update(self, size: int) -> None:
            on_bytes(size)

        def end(self) -> None:
            return None

    return _Counter


def _transfer_error(error: BaseException, listing: RepoListing, settings: MsSettings, where: Path) -> HubError:
    from modelscope_hub import errors

    failures = list(error.failed_files.values()) if isinstance(error, errors.FileDownloadError) else [error]
    kept = "what arrived is kept"
    for failure in failures:
        if isinstance(failure, OSError) and failure.errno == errno.ENOSPC:
            return HubError(
                f"disk full while downloading {listing.repo} to {where}; {kept}",
                hint="free some space (or choose --local-dir on another disk), then run the same command to resume",
            )
    for failure in failures:
        if isinstance(failure, (errors.AuthenticationError, errors.PermissionDeniedError, errors.NotExistError)):
            return _repo_error(failure, listing.repo, settings, listing.revision)
    first = failures[0]
    if isinstance(first, errors.FileIntegrityError):
        return HubError(
            f"a file of {listing.repo} failed its size or sha256 check against ModelScope's listing; {kept}",
            hint="run the same command again; if it persists, report the file to the repo owner",
        )
    if isinstance(first, (errors.NetworkError, errors.ServerError, errors.RateLimitError)):
        _, message = describe_failure(first, settings)
        return HubError(
            f"the transfer of {listing.repo} failed ({message}); {kept}", hint="run the same command again to resume"
        )
    return _repo_error(first, listing.repo, settings, listing.revision)


def download(
    listing: RepoListing,
    settings: MsSettings,
    *,
    paths: Iterable[str],
    local_dir: Path | None = None,
    max_workers: int = 8,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Download `paths` (files of `listing`, checked by the caller) with the client, resuming partial files.

    The client is given the very listing the plan was made from, so it lists nothing again and fetches nothing
    else; it checks each file's size and sha256 before moving it into place. Returns where the files are.
    """
    wanted = {f.path: f for f in listing.files}
    file_list = [{"Path": p, "Size": wanted[p].size, "Sha256": wanted[p].sha256, "Type": "blob"} for p in paths]
    where = local_dir if local_dir is not None else snapshot_dir(listing.repo, listing.commit)
    api = _api(settings)
    callbacks = [_bytes_callback(on_bytes)] if on_bytes is not None else None
    try:
        with _quiet():
            path = api.download_repo(
                listing.repo,
                "model",
                revision=listing.revision,
                local_dir=local_dir,
                max_workers=max_workers,
                progress_callbacks=callbacks,
                file_list=file_list,
            )
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        raise _transfer_error(error, listing, settings, where) from error
    return Path(path)


def verify_files(
    listing: RepoListing,
    paths: Iterable[str],
    *,
    local_dir: Path | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> list[Digest]:
    """sha256 of each local copy against ModelScope's listing (files it lists without a checksum are skipped)."""
    files = {f.path: f for f in listing.files}
    where = local_dir if local_dir is not None else snapshot_dir(listing.repo, listing.commit)
    results = []
    for path in paths:
        expected = files[path].sha256
        if expected is None:
            continue
        local = where / path
        actual = hub.file_digest(local, "sha256", on_bytes) if local.is_file() else None
        results.append(Digest(path, "sha256", expected, actual))
    return results


# ---------------------------------------------------------------- config.json (the VRAM estimator's input)

_CONFIG_MAX_BYTES = 16 << 20  # no model's config.json comes near this; a server sending more is not believed


def _read_small(control: Any, response: Any) -> bytes:
    """The body of a small file, read under the call's deadline; a cut or an oversized body is the client's error."""
    import requests
    from modelscope_hub import errors

    body = bytearray()
    try:
        for chunk in control.chunks(response, 1 << 16):
            body += chunk
            if len(body) > _CONFIG_MAX_BYTES:
                raise errors.FileIntegrityError(f"more than {_CONFIG_MAX_BYTES} bytes")
    except requests.RequestException as error:
        raise errors.NetworkError(f"the answer was cut ({type(error).__name__})") from error
    finally:
        response.close()
    return bytes(body)


def fetch_config(repo: str, settings: MsSettings, *, revision: str | None = None) -> dict[str, Any]:
    """A repo's config.json from ModelScope, cached on disk like the Hub's (raises HubError)."""
    rev = revision or DEFAULT_REVISION
    cached, use_cached = repoinfo.cached_config(settings, repo, rev)
    if cached is not None and use_cached:
        return cached
    api = _api(settings)
    try:
        # One bounded request, as the Hub path makes: the client's `download_file` keeps its own hour-long budget.
        with _quiet(), _bounded(api, settings) as control:
            body = _read_small(control, api.legacy.download_stream(repo, "model", "config.json", rev))
        config = untrusted.check_config(json.loads(body))
    except Untrusted as error:
        raise HubError(f"{repo}: config.json on {settings.host} is malformed ({error})") from error
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            raise HubError(f"{repo}: config.json on {settings.host} is not valid JSON") from error
        raise _repo_error(error, repo, settings, rev) from error
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        if cached is not None:
            return cached
        raise _repo_error(error, repo, settings, rev) from error
    if not isinstance(config, dict):
        raise HubError(f"{repo}: config.json is not a JSON object")
    repoinfo.write_config(settings, repo, rev, config)
    return config

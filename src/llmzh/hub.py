"""The only module that talks to the Hugging Face Hub, through the real `huggingface_hub` client.

It fetches live repo figures (concurrently, cached on disk with a TTL), downloads and verifies repos (the section
at the end), and maps every client failure to a status or an `LlmzhError` with one clear line. `huggingface_hub`
is imported lazily, only when a request must be made, so commands served from the cache never pay for it.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple, cast
from urllib.parse import urlsplit

from llmzh import repoinfo, untrusted
from llmzh.errors import HubError, UsageError
from llmzh.repoinfo import HubInfo, HubStatus
from llmzh.untrusted import Untrusted, shown

if TYPE_CHECKING:
    from huggingface_hub import HfApi
    from huggingface_hub._local_folder import LocalDownloadFilePaths

DEFAULT_ENDPOINT = "https://huggingface.co"
MIRRORS = {"hf-mirror": "https://hf-mirror.com"}  # the community mirror most used in mainland China
DEFAULT_TTL_S = 24 * 3600.0
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_WORKERS = 16


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
        try:
            parts = urlsplit(chosen)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
        if not port_ok or parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(
                f"endpoint {shown(untrusted.redact_url(chosen))!r} is not an http(s) URL",
                hint="e.g. --endpoint https://hf-mirror.com",
            )
        if timeout is not None and not (0 < timeout < float("inf")):
            raise UsageError(f"--timeout must be a finite number of seconds, got {timeout}")
        return cls(
            endpoint=chosen,
            token=token or env.get("HF_TOKEN") or None,
            timeout=DEFAULT_TIMEOUT_S if timeout is None else timeout,
            offline=offline or _truthy(env.get("HF_HUB_OFFLINE")),
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
    def client_token(self) -> str | bool | None:
        """The token for the client: an explicit one, else the stored login only for huggingface.co itself.

        A token saved by `hf auth login` is for huggingface.co; it is not sent to a mirror unless given explicitly.
        """
        if self.token:
            return self.token
        return None if self.endpoint == DEFAULT_ENDPOINT else False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


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
    if isinstance(error, errors.RemoteEntryNotFoundError):
        return "unavailable", "file not found in the repo"
    if isinstance(error, errors.LocalEntryNotFoundError) and error.__cause__ is not None:
        return describe_failure(error.__cause__, settings)  # "not in the cache": what failed is the cause
    if isinstance(error, errors.FileMetadataError):
        return "unavailable", f"{settings.host} does not answer like a Hugging Face Hub; check --endpoint / HF_ENDPOINT"
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
    local = local_problem(error)
    if local is not None:
        return "unavailable", local
    if isinstance(error, OSError):
        return "unavailable", f"cannot reach {settings.host} ({error.strerror or type(error).__name__})"
    raise error  # not a Hub failure: a bug, let it show


# Errors of this machine's file system, whatever call raised them; a network error never carries these.
_LOCAL_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOTDIR", "EISDIR", "ENAMETOOLONG", "EACCES", "EPERM", "EROFS", "EEXIST", "ELOOP", "EDQUOT", "ENOSPC")
    if hasattr(errno, name)
)


def local_problem(error: BaseException) -> str | None:
    """One line for a failure of the local file system (not of the Hub), or None if `error` is not one."""
    if not isinstance(error, OSError) or isinstance(error, (ConnectionError, TimeoutError)):
        return None
    if error.filename is None and error.errno not in _LOCAL_ERRNOS:
        return None
    # Not "cannot write": reading fails too (a stored token that is not readable, for instance).
    where = f"{shown(str(error.filename))}: " if error.filename is not None else ""
    return f"{where}{error.strerror or type(error).__name__} (a problem on this machine, not the Hub)"


def _siblings(info: Any) -> list[Any]:
    siblings = info.siblings or []
    if not isinstance(siblings, list):
        raise Untrusted("siblings is not a list")
    return siblings


def _from_model_info(repo: str, info: Any) -> HubInfo:
    """Raises Untrusted when a field has the wrong type or an impossible value (nothing of it is then cached)."""
    files = [(s.rfilename, s.size, s.lfs.sha256 if s.lfs is not None else None) for s in _siblings(info)]
    license_: object = None
    card = info.card_data
    if card is not None and getattr(card, "license", None):
        license_ = card.license
        if isinstance(license_, list) and len(license_) == 1:
            license_ = license_[0]  # a model card may give its licence as a one-item list
    else:
        tags = [t for t in (info.tags or ()) if isinstance(t, str) and t.startswith("license:")]
        license_ = tags[0].split(":", 1)[1] if tags else None
    gated = info.gated
    safetensors = info.safetensors
    return repoinfo.checked_info(
        repo,
        "gated" if isinstance(gated, str) else "ok",
        fetched_at=time.time(),
        downloads=info.downloads,
        likes=info.likes,
        last_modified=repoinfo.iso_date(info.last_modified),
        sha=info.sha,
        license=license_,
        gated=gated,
        params=getattr(safetensors, "total", None) if safetensors is not None else None,
        files=files,
    )


# What huggingface_hub raises while parsing a malformed answer (a date that is not one, a list that is a number).
_MALFORMED = (Untrusted, ValueError, TypeError, KeyError, AttributeError)


def _malformed(settings: HubSettings, error: BaseException) -> str:
    reason = str(error) if isinstance(error, Untrusted) else f"{type(error).__name__}: {error}"
    return f"{settings.host} sent a malformed answer ({shown(reason[:120])})"


def _fetch_one(api: HfApi, repo: str, cached: HubInfo | None, settings: HubSettings) -> HubInfo:
    try:
        result = _from_model_info(repo, api.model_info(repo, files_metadata=True, timeout=settings.timeout))
    except _MALFORMED as error:
        return repoinfo.unanswered(repo, cached, _malformed(settings, error))
    except Exception as error:  # noqa: BLE001 - mapped below; anything unmapped is re-raised
        return repoinfo.failed(settings, repo, cached, *describe_failure(error, settings))
    repoinfo.write_cached(settings, result)
    return result


def fetch_infos(repos: Iterable[str], settings: HubSettings) -> dict[str, HubInfo]:
    """Live figures for each repo: from the cache within the TTL, else fetched concurrently.

    Offline, cached figures are returned whatever their age and missing ones come back `unavailable`.
    """
    results, todo = repoinfo.from_cache(repos, settings)
    if todo:
        results.update(_fetch_within(todo, settings))
    return results


def _fetch_within(todo: list[tuple[str, HubInfo | None]], settings: HubSettings) -> dict[str, HubInfo]:
    """Fetch concurrently, all of it within `settings.timeout`: a repo not answered by then is reported as such.

    The workers are daemon threads that take no new repo after the deadline, so a stalled Hub or a hanging DNS
    lookup costs at most the timeout, and the process can exit without waiting for them.
    """
    import queue
    import threading

    api = _client(settings)
    deadline = time.monotonic() + settings.timeout
    pending: queue.SimpleQueue[tuple[str, HubInfo | None]] = queue.SimpleQueue()
    for item in todo:
        pending.put(item)
    done: dict[str, HubInfo] = {}
    bugs: list[BaseException] = []  # what describe_failure does not know is a bug, raised in the caller
    finished = threading.Condition()

    def work() -> None:
        while time.monotonic() < deadline:
            try:
                repo, cached = pending.get_nowait()
            except queue.Empty:
                return
            try:
                info = _fetch_one(api, repo, cached, settings)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread below
                with finished:
                    bugs.append(error)
                    finished.notify_all()
                return
            with finished:
                done[repo] = info
                finished.notify_all()

    for _ in range(min(settings.max_workers, len(todo))):  # todo is never empty here
        threading.Thread(target=work, name="llmzh-hub", daemon=True).start()
    with finished:
        finished.wait_for(lambda: bugs or len(done) == len(todo), timeout=max(0.0, deadline - time.monotonic()))
        answered = dict(done)
        if bugs:
            raise bugs[0]
    late = f"{settings.host} did not answer within {settings.timeout:g} s"
    return {
        repo: answered[repo] if repo in answered else repoinfo.unanswered(repo, cached, late) for repo, cached in todo
    }


def failure_summary(infos: Iterable[HubInfo], *, source: str = "hf") -> str | None:
    """One line naming what failed, or None when every repo was answered; it starts with the source asked."""
    failed = [i for i in infos if i.error is not None and i.status != "gone"]
    if not failed:
        return None
    reasons = sorted({i.error for i in failed if i.error})
    stale = sum(1 for i in failed if i.stale)
    label = "ModelScope" if source == "modelscope" else "Hub"
    line = f"{label}: {len(failed)} repo(s) without fresh figures: {'; '.join(reasons)}"
    if stale:
        line += f" — showing {stale} from the cache (stale)"
    return line


def require_ok(infos: Iterable[HubInfo], *, source: str = "hf") -> None:
    """For --strict: turn any failure of the source asked into an error."""
    summary = failure_summary(infos, source=source)
    if summary is not None:
        elsewhere = "check MODELSCOPE_ENDPOINT" if source == "modelscope" else "try --endpoint / --mirror"
        raise HubError(summary, hint=f"retry later, {elsewhere}, or drop --strict")


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


# ================================================================ downloads (`llmzh download` / `llmzh verify`)
#
# Every transfer is made by `huggingface_hub.snapshot_download`: its cache layout, locks, etag checks, tokens and
# endpoint handling are kept. llmzh adds three things around it, each explained where it is done: a partial file
# that survives a failed or interrupted run and is resumed by the next one (`_resumable_transfers`), a guard that
# keeps the token on the chosen endpoint's origin (`_talking_to`), and byte counting for the progress bar.

_PARTIAL_SUFFIX = ".incomplete"
_SHA256 = untrusted.SHA256
_GIT_SHA1 = untrusted.COMMIT
# huggingface_hub reads 10 MiB per write by default; 1 MiB keeps Ctrl-C, the progress bar and what a killed
# process leaves behind within a second on slow links, at no measurable cost on fast ones (bench/download.py).
_CHUNK_BYTES = 1 << 20
# The parameters of the private function replaced by `_resumable_transfers` (huggingface_hub 2.4).
_REPLACED_SIGNATURE = (
    "incomplete_path",
    "destination_path",
    "url_to_download",
    "headers",
    "expected_size",
    "filename",
    "force_download",
    "etag",
    "xet_file_data",
    "tqdm_class",
)


class RemoteFile(NamedTuple):
    """A file of a repo at one commit, as the Hub lists it."""

    path: str
    size: int | None
    sha256: str | None = None  # LFS files: sha256 of the content, also their ETag
    blob_id: str | None = None  # git blob id: the ETag of regular (non-LFS) files

    @property
    def etag(self) -> str | None:
        return self.sha256 or self.blob_id


class RepoListing(NamedTuple):
    """A repo's files at the commit a revision points to."""

    repo: str
    revision: str
    commit: str
    files: tuple[RemoteFile, ...]
    gated: str | None = None  # "auto" / "manual" when access must be requested
    source: str = "hf"  # where it was listed: "hf" (this module) or "modelscope" (llmzh.modelscope)


class LocalFile(NamedTuple):
    """What the destination already holds of one file."""

    present: bool  # complete, and for the listed ETag
    partial: int  # bytes kept from an interrupted download, resumed by the next one


class Digest(NamedTuple):
    """A local file's checksum next to the Hub's."""

    path: str
    kind: Literal["sha256", "git-sha1"]  # LFS files by sha256, regular files by git blob id
    expected: str
    actual: str | None  # None when the file is missing

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


def hub_cache_dir() -> Path:
    """The shared Hugging Face cache (HF_HUB_CACHE / HF_HOME), where transformers looks too."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def select_files(paths: Iterable[str], include: Iterable[str], exclude: Iterable[str]) -> list[str]:
    """The paths `snapshot_download` fetches for these patterns (its own filter, so the plan matches the transfer)."""
    from huggingface_hub.utils._paths import filter_repo_objects

    return list(filter_repo_objects(paths, allow_patterns=list(include) or None, ignore_patterns=list(exclude) or None))


def _repo_page(repo: str, settings: HubSettings) -> str:
    # Access to gated repos is granted on huggingface.co even when files come through a mirror.
    own = settings.endpoint not in (DEFAULT_ENDPOINT, *MIRRORS.values())
    return f"{settings.shown_endpoint if own else DEFAULT_ENDPOINT}/{repo}"


def _gated_error(repo: str, settings: HubSettings) -> HubError:
    return HubError(
        f"{repo} is gated: request access at {_repo_page(repo, settings)} and wait until it is granted",
        hint="then pass your token with HF_TOKEN=hf_... or --token (tokens: https://huggingface.co/settings/tokens)",
        status="gated",
    )


def _repo_error(error: BaseException, repo: str, settings: HubSettings, revision: str | None = None) -> HubError:
    """One line for a failure to list or reach `repo`; unmapped exceptions are re-raised by describe_failure."""
    from huggingface_hub import errors

    if isinstance(error, HubError):
        return error  # already one line (a refused answer, see _check_file_headers)
    if isinstance(error, errors.GatedRepoError):
        return _gated_error(repo, settings)
    if isinstance(error, errors.RepositoryNotFoundError):
        return HubError(
            f"{repo} is not on {settings.host}: deleted, renamed or private",
            hint=f"check the name at {_repo_page(repo, settings)}; a private repo needs --token",
            status="gone",
        )
    if isinstance(error, errors.RevisionNotFoundError):
        return HubError(
            f"{repo} has no revision {revision or 'main'!r}",
            hint="give a branch, tag or commit hash that exists (--revision; default: main)",
        )
    status, message = describe_failure(error, settings)
    return HubError(f"{repo}: {message}", status=status)


def check_repo_id(repo: str, option: str | None = None) -> None:
    """Refuse what the Hub cannot name (huggingface_hub's own rules: owner/name, no '--' or '..', 96 characters at
    most, no leading or trailing '-' or '.') with one line, before any request."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils._validators import validate_repo_id

    if "/" in repo:
        try:
            validate_repo_id(repo)
            return
        except HFValidationError as error:
            reason = str(error).split(": '", 1)[0].replace("repo_id", "a repo id")
    else:
        reason = "expected owner/name"
    what = f"{option} {shown(repr(repo)[:110])}" if option else shown(repr(repo)[:110])
    raise UsageError(f"{what} is not a Hub repo id: {reason}", hint="e.g. THUDM/chatglm-6b-int4")


def list_repo(repo: str, settings: HubSettings, *, revision: str | None = None) -> RepoListing:
    """The files of `repo` at `revision`, with sizes and checksums, in one request (raises HubError)."""
    check_repo_id(repo)
    try:
        with _talking_to(settings) as api:
            info = api.model_info(repo, revision=revision, files_metadata=True, timeout=settings.timeout)
        listing = _listing(repo, revision or "main", info)
    except _MALFORMED as error:
        raise _refusal(repo, _malformed(settings, error)) from error
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        raise _repo_error(error, repo, settings, revision) from error
    return listing


def _refusal(repo: str, why: str) -> HubError:
    return HubError(
        f"refusing {repo}: {why}; nothing was written",
        hint="if this is a mirror or proxy, try another --endpoint; else report it to the Hub",
    )


def _listing(repo: str, revision: str, info: Any) -> RepoListing:
    """Raises Untrusted unless the answer names a commit id and well-typed files (the commit becomes a path)."""
    commit = untrusted.commit_id(info.sha, "commit id")
    files = []
    for s in _siblings(info):
        name = s.rfilename
        if not isinstance(name, str) or not name:
            raise Untrusted(f"a file name is not text: {shown(repr(name)[:40])}")
        sha256 = s.lfs.sha256 if s.lfs is not None else None
        files.append(
            RemoteFile(
                name,
                untrusted.count(s.size, f"size of {shown(name)}"),
                untrusted.optional_hex(sha256, f"sha256 of {shown(name)}", untrusted.SHA256),
                untrusted.optional_hex(s.blob_id, f"blob id of {shown(name)}", untrusted.COMMIT),
            )
        )
    gated = info.gated if info.gated in ("auto", "manual") else None
    return RepoListing(repo, revision, commit, tuple(files), gated)


class RepoCard(NamedTuple):
    """What a repo's Hub page says about its model, for `llmzh catalog draft` (untrusted: strings only)."""

    repo: str
    sha: str | None
    created_at: str | None  # YYYY-MM-DD the repo was created
    license: str | None  # the card's licence tag
    license_name: str | None  # for `license: other`
    license_link: str | None
    base_model: tuple[str, ...]
    params: int | None  # safetensors total
    dtypes: tuple[tuple[str, int], ...]  # safetensors parameters per dtype
    pipeline_tag: str | None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def fetch_card(repo: str, settings: HubSettings) -> RepoCard:
    """The card metadata, creation date and safetensors counts of `repo` (raises HubError)."""
    try:
        with _talking_to(settings) as api:
            info = api.model_info(repo, timeout=settings.timeout)
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        raise _repo_error(error, repo, settings) from error
    card = info.card_data

    def field(name: str) -> object:
        return getattr(card, name, None) if card is not None else None

    base = field("base_model")
    bases = (
        (base,)
        if isinstance(base, str)
        else tuple(b for b in base if isinstance(b, str))
        if isinstance(base, list)
        else ()
    )
    safetensors = info.safetensors
    dtypes = tuple(
        (str(k), int(v))
        for k, v in (safetensors.parameters.items() if safetensors is not None else ())
        if isinstance(v, int) and not isinstance(v, bool)
    )
    total = safetensors.total if safetensors is not None and isinstance(safetensors.total, int) else None
    return RepoCard(
        repo=repo,
        sha=_text(info.sha),
        created_at=info.created_at.date().isoformat() if info.created_at is not None else None,
        license=_text(field("license")),
        license_name=_text(field("license_name")),
        license_link=_text(field("license_link")),
        base_model=tuple(b.strip() for b in bases if b.strip()),
        params=total if total is not None and total > 0 else None,
        dtypes=dtypes,
        pipeline_tag=_text(info.pipeline_tag),
    )


def check_access(listing: RepoListing, paths: Iterable[str], settings: HubSettings) -> None:
    """For a gated repo, ask for one file's metadata so that missing access shows before any byte moves."""
    if listing.gated is None:
        return
    # The Hub serves these two without access, so they prove nothing.
    probe = next((p for p in paths if p not in ("README.md", ".gitattributes")), None)
    if probe is None:
        return
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(listing.repo, probe, revision=listing.commit, endpoint=settings.endpoint)
    try:
        with _talking_to(settings):
            get_hf_file_metadata(url, token=settings.client_token, timeout=settings.timeout, endpoint=settings.endpoint)
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        raise _repo_error(error, listing.repo, settings, listing.revision) from error


def _storage(repo: str, cache_dir: Path) -> Path:
    from huggingface_hub.file_download import repo_folder_name

    return cache_dir / repo_folder_name(repo_id=repo, repo_type="model")


def _local_dir_paths(local_dir: Path, path: str) -> LocalDownloadFilePaths:
    """huggingface_hub's bookkeeping paths for `path` in a `--local-dir`, built without creating any folder."""
    from huggingface_hub._local_folder import LocalDownloadFilePaths

    metadata = local_dir / ".cache" / "huggingface" / "download" / f"{path}.metadata"
    return LocalDownloadFilePaths(
        file_path=local_dir / path, lock_path=metadata.with_suffix(".lock"), metadata_path=metadata
    )


def _local_dir_etag(paths: LocalDownloadFilePaths) -> str | None:
    """The ETag huggingface_hub recorded for a `--local-dir` file, if the file is unchanged since (its own rule)."""
    try:
        _commit, etag, timestamp = paths.metadata_path.read_text(encoding="utf-8").splitlines()[:3]
        if paths.file_path.stat().st_mtime - 1 <= float(timestamp):
            return str(etag)
    except (OSError, ValueError):
        pass  # no metadata, unreadable, or the file is gone: not present
    return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def local_state(listing: RepoListing, paths: Iterable[str], *, local_dir: Path | None = None) -> dict[str, LocalFile]:
    """Which of `paths` the destination already holds, and the partial downloads kept for the others. Writes nothing.

    The rules are huggingface_hub's: in the cache a file is there when its blob (named by ETag) or its snapshot
    link exists; in a `--local-dir` when the file exists and the metadata beside it records the same ETag.
    """
    files = {f.path: f for f in listing.files}
    storage = _storage(listing.repo, hub_cache_dir())
    state: dict[str, LocalFile] = {}
    for path in paths:
        etag = files[path].etag
        if local_dir is not None:
            bookkeeping = _local_dir_paths(local_dir, path)
            present = etag is not None and _local_dir_etag(bookkeeping) == etag
            partial = _size(bookkeeping.incomplete_path(etag)) if etag and not present else 0
            state[path] = LocalFile(present, partial)
            continue
        link = storage / "snapshots" / listing.commit / path
        blob = storage / "blobs" / etag if etag else None
        present = link.exists() or (blob is not None and blob.exists())
        partial = _size(blob.with_name(blob.name + _PARTIAL_SUFFIX)) if blob is not None and not present else 0
        state[path] = LocalFile(present, partial)
    return state


def snapshot_dir(repo: str, commit: str) -> Path:
    """Where the cache shows a repo's files at one commit (links into its blobs)."""
    return _storage(repo, hub_cache_dir()) / "snapshots" / commit


def cached_commit(repo: str, revision: str) -> str | None:
    """The commit `revision` pointed to when `repo` was last downloaded into the cache."""
    if _GIT_SHA1.fullmatch(revision):
        return revision
    try:
        commit = (_storage(repo, hub_cache_dir()) / "refs" / revision).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return commit if _GIT_SHA1.fullmatch(commit) else None


# ---------------------------------------------------------------- resumable transfers


class _Transfer:
    """The download in progress: where written bytes are reported, and the flag that stops it."""

    def __init__(self, on_bytes: Callable[[int], None] | None) -> None:
        self.on_bytes = on_bytes
        self.stop = threading.Event()


class _Stopped(Exception):
    """Raised in a download thread to end its transfer at once (Ctrl-C); the partial file is kept."""


_ACTIVE: _Transfer | None = None  # set by _resumable_transfers; read from huggingface_hub's download threads


class _PartialWriter:
    """The file object `http_get` writes into: a partial file opened for appending, plus byte counting.

    `http_get` only writes, and rewinds with seek/tell/truncate when a server ignores its Range header.
    """

    def __init__(self, raw: BinaryIO, transfer: _Transfer | None) -> None:
        self.raw = raw
        self.transfer = transfer
        self.written = 0

    def write(self, data: bytes) -> int:
        if self.transfer is not None and self.transfer.stop.is_set():
            raise _Stopped
        count = self.raw.write(data)
        self.written += count
        if self.transfer is not None and self.transfer.on_bytes is not None:
            self.transfer.on_bytes(count)
        return count

    def tell(self) -> int:
        return self.raw.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        # Only ever called to start again from zero: what this call counted is void.
        if self.transfer is not None and self.transfer.on_bytes is not None:
            self.transfer.on_bytes(-self.written)
        self.written = 0
        return self.raw.truncate(size)


def _matches_etag(path: Path, etag: str | None) -> bool:
    """Whether the file's content is the one the ETag names (sha256 for LFS files, git blob id otherwise)."""
    if etag is None or not (_SHA256.fullmatch(etag) or _GIT_SHA1.fullmatch(etag)):
        return True  # nothing to compare with
    return file_digest(path, "sha256" if _SHA256.fullmatch(etag) else "git-sha1") == etag


def _resumable_download_to_tmp_and_move(
    incomplete_path: Path,
    destination_path: Path,
    url_to_download: str,
    headers: dict[str, str],
    expected_size: int | None,
    filename: str,
    force_download: bool,
    etag: str | None,
    xet_file_data: Any,
    tqdm_class: Any = None,
) -> None:
    """Stand-in for `huggingface_hub.file_download._download_to_tmp_and_move` that resumes across runs.

    huggingface_hub 2.x downloads into `<etag>.<random>.incomplete` and deletes it on any failure (PR #4228: a
    shared name corrupted files where file locks silently do not work), so a dropped connection, Ctrl-C or full
    disk loses everything and a killed process leaves an orphan nothing reuses. This stand-in downloads into the
    stable `incomplete_path` huggingface_hub names (`<etag>.incomplete`, its own name before 2.x), keeps it on
    failure, and on the next run resumes from its size with huggingface_hub's own `http_get(resume_size=...)`
    (Range request, in-call retries, fallback when a server ignores Range, size check). It runs inside
    huggingface_hub's per-file lock, like the original. Against that PR's hazard, a file completed from an
    earlier run's partial must match its ETag (sha256 for LFS files) before it is moved into place; if it does
    not, it is downloaded again from zero. Xet is switched off for these downloads, so `xet_file_data` is unused.
    """
    from huggingface_hub import file_download

    if destination_path.exists() and not force_download:
        return
    partial = Path(incomplete_path)
    if force_download or (expected_size is not None and _size(partial) > expected_size):
        partial.unlink(missing_ok=True)  # not a prefix of this file
    resumed = _size(partial)
    _append_download(partial, resumed, url_to_download, headers, expected_size, filename, tqdm_class)
    if resumed and not _matches_etag(partial, etag):
        partial.unlink()
        _append_download(partial, 0, url_to_download, headers, expected_size, filename, tqdm_class)
    file_download._chmod_and_move(partial, destination_path)


def _append_download(
    partial: Path,
    resume_size: int,
    url: str,
    headers: dict[str, str],
    expected_size: int | None,
    filename: str,
    tqdm_class: Any,
) -> None:
    """Fetch what `partial` lacks with huggingface_hub's `http_get`, appending; keep it whatever happens."""
    from huggingface_hub import file_download

    with partial.open("ab") as raw:
        try:
            file_download.http_get(
                url,
                cast(BinaryIO, _PartialWriter(raw, _ACTIVE)),
                resume_size=resume_size,
                headers=headers,
                expected_size=expected_size,
                displayed_filename=filename,
                tqdm_class=tqdm_class,
            )
        except BaseException:
            raw.flush()
            if expected_size is not None and _size(partial) > expected_size:
                partial.unlink(missing_ok=True)  # more bytes than the file has: someone else wrote here too
            raise


def _replaceable() -> bool:
    import inspect

    from huggingface_hub import file_download

    original = getattr(file_download, "_download_to_tmp_and_move", None)
    return original is not None and tuple(inspect.signature(original).parameters) == _REPLACED_SIGNATURE


@contextmanager
def _resumable_transfers(transfer: _Transfer) -> Iterator[None]:
    """Route huggingface_hub's file transfers through `_resumable_download_to_tmp_and_move` for this block.

    Xet is switched off so that every byte comes over plain HTTP from the chosen endpoint (a mirror included)
    into a partial file that can be resumed; hf_xet would fetch from Xet storage hosts instead. If a
    huggingface_hub release changes the replaced function, downloads still work, without resuming across runs.
    """
    global _ACTIVE
    import logging

    from huggingface_hub import constants, file_download

    if not _replaceable():
        yield
        return
    original = file_download._download_to_tmp_and_move
    logger = logging.getLogger("huggingface_hub")
    saved = (constants.HF_HUB_DISABLE_XET, constants.DOWNLOAD_CHUNK_SIZE, logger.level)
    file_download._download_to_tmp_and_move = _resumable_download_to_tmp_and_move
    constants.HF_HUB_DISABLE_XET, constants.DOWNLOAD_CHUNK_SIZE = True, _CHUNK_BYTES
    # Its retry notices span several lines each; llmzh reports the outcome in one.
    logger.setLevel(logging.ERROR)
    _ACTIVE = transfer
    try:
        yield
    finally:
        _ACTIVE = None
        file_download._download_to_tmp_and_move = original
        constants.HF_HUB_DISABLE_XET, constants.DOWNLOAD_CHUNK_SIZE = saved[0], saved[1]
        logger.setLevel(saved[2])


@contextmanager
def _stop_on_interrupt(transfer: _Transfer) -> Iterator[None]:
    """Make Ctrl-C stop the download threads too, so the command ends at once with its partial files kept.

    `snapshot_download` waits for its running threads when the main thread is interrupted; without this flag they
    would finish their files first. A second Ctrl-C gets the previous handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def interrupted(signum: int, frame: Any) -> None:
        transfer.stop.set()
        signal.signal(signal.SIGINT, previous)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is interrupted:
            signal.signal(signal.SIGINT, previous)


class _NoBars:
    """A do-nothing stand-in for tqdm: huggingface_hub draws no bar of its own; llmzh draws one from byte counts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # huggingface_hub reads and sets these two on its outer bars (`n` through getattr, with 0 if absent).
        self.total = kwargs.get("total")
        self.format_dict: dict[str, Any] = {"rate": None}

    def __enter__(self) -> _NoBars:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: float | None = 1) -> None:
        return None

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        return None

    def close(self) -> None:
        return None

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        return None

    def set_description_str(self, *args: Any, **kwargs: Any) -> None:
        return None

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        return None


# ---------------------------------------------------------------- token guard

_TOKEN_ORIGIN: tuple[str, str, int] | None = None


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    # Endpoints are checked to be http(s) URLs, and the client sends nothing else.
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _strip_foreign_token(request: Any) -> None:
    if _TOKEN_ORIGIN is not None and _origin(str(request.url)) != _TOKEN_ORIGIN:
        request.headers.pop("authorization", None)


def _check_file_headers(response: Any) -> None:
    """Refuse a file answer whose commit id or ETag could not safely be a file name.

    huggingface_hub names cache paths after them (`snapshots/<X-Repo-Commit>/…`, `blobs/<ETag>`): from a hostile
    server, `../../x` there would write outside the cache. Raised here, before any byte of the body is read.
    """
    if _TOKEN_ORIGIN is None:
        return
    headers = response.headers
    commit = headers.get("x-repo-commit")
    if commit is None:
        return
    try:
        untrusted.commit_id(commit, "X-Repo-Commit")
        etag = headers.get("x-linked-etag") or headers.get("etag")
        if etag is not None:
            untrusted.etag_name(etag)
    except Untrusted as error:
        raise HubError(
            f"refusing a file from {_origin(str(response.request.url))[1]}: {error}; nothing was written",
            hint="if this is a mirror or proxy, try another --endpoint; else report it to the Hub",
        ) from None


@contextmanager
def _talking_to(settings: HubSettings) -> Iterator[HfApi]:
    """The client for `settings`; within the block, the token never leaves the endpoint's origin.

    huggingface_hub already drops it for CDN hosts, but forwards it to any "Hub origin" (huggingface.co, hf.co,
    the HF_ENDPOINT of import time), so a mirror redirecting there would hand the token to huggingface.co. A
    request hook on huggingface_hub's shared HTTP client removes it from every request to another origin; a
    response hook refuses file answers whose commit id or ETag is not a plain name (`_check_file_headers`).
    """
    global _TOKEN_ORIGIN
    from huggingface_hub import get_session

    api = _client(settings)
    session = get_session()
    hooks = session.event_hooks
    if _strip_foreign_token not in hooks["request"]:
        hooks["request"].append(_strip_foreign_token)
    if _check_file_headers not in hooks["response"]:
        hooks["response"].append(_check_file_headers)
    session.event_hooks = hooks
    previous, _TOKEN_ORIGIN = _TOKEN_ORIGIN, _origin(settings.endpoint)
    try:
        yield api
    finally:
        _TOKEN_ORIGIN = previous


# ---------------------------------------------------------------- download, verify


def _transfer_error(error: BaseException, listing: RepoListing, settings: HubSettings, where: Path) -> HubError:
    import httpx2

    kept = "what arrived is kept"
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return HubError(
            f"disk full while downloading {listing.repo} to {where}; {kept}",
            hint="free some space (or choose --local-dir on another disk), then run the same command to resume",
        )
    if isinstance(error, (httpx2.ReadError, httpx2.RemoteProtocolError, httpx2.ReadTimeout)):
        return HubError(
            f"the connection dropped while downloading {listing.repo} ({type(error).__name__}); {kept}",
            hint="run the same command again to resume",
        )
    local = local_problem(error)
    if local is not None:
        return HubError(local, hint="choose another --local-dir, or check that folder's permissions and free space")
    if isinstance(error, OSError) and str(error).startswith("Consistency check failed"):
        return HubError(
            f"a file of {listing.repo} arrived with the wrong size; {kept}", hint="run the same command to resume"
        )
    return _repo_error(error, listing.repo, settings, listing.revision)


def _exact(path: str) -> str:
    """An fnmatch pattern matching `path` only (huggingface_hub filters the files to fetch with fnmatch)."""
    return re.sub(r"([*?[])", r"[\1]", path)


def download(
    listing: RepoListing,
    settings: HubSettings,
    *,
    paths: Iterable[str],
    local_dir: Path | None = None,
    max_workers: int = 8,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Download `paths` (files of `listing`, checked by the caller) at the listing's commit, resuming partial files.

    Only those paths and that commit are used: the file tree huggingface_hub lists again cannot add a file, nor
    the server move the download to another commit.

    Into the shared cache (the snapshot folder) or, with `local_dir`, a plain copy there. `on_bytes` is called
    from download threads with each count of bytes written (negative when a transfer restarts from zero).
    Failures raise HubError with one line; Ctrl-C raises KeyboardInterrupt, partial files kept in both cases.
    """
    from huggingface_hub import ResolvedRevision, snapshot_download

    transfer = _Transfer(on_bytes)
    revision = ResolvedRevision(untrusted.commit_id(listing.commit), listing.revision, repo_id=listing.repo)
    allow = [_exact(p) for p in paths]
    where = local_dir if local_dir is not None else hub_cache_dir()
    try:
        with _talking_to(settings), _resumable_transfers(transfer), _stop_on_interrupt(transfer):
            path = snapshot_download(
                listing.repo,
                revision=revision,
                cache_dir=hub_cache_dir(),
                local_dir=local_dir,
                allow_patterns=allow,
                max_workers=max_workers,
                token=settings.client_token,
                endpoint=settings.endpoint,
                etag_timeout=settings.timeout,
                library_name="llmzh",
                tqdm_class=cast(Any, _NoBars),
            )
    except _Stopped:
        raise KeyboardInterrupt from None
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        raise _transfer_error(error, listing, settings, where) from error
    if local_dir is None:
        _remember_ref(listing)
    return Path(path)


def _remember_ref(listing: RepoListing) -> None:
    """Record which commit the revision named, as huggingface_hub does for an unresolved one (`refs/<revision>`).

    The download was given the commit resolved by `list_repo`, so huggingface_hub leaves this to its caller;
    `verify` reads it back to check the commit that was downloaded.
    """
    from huggingface_hub import file_download

    try:
        file_download._cache_commit_hash_for_specific_revision(
            str(_storage(listing.repo, hub_cache_dir())), listing.revision, listing.commit
        )
    except OSError:
        pass  # a read-only cache: verify will ask for --revision, as after any foreign download


def file_digest(path: Path, kind: Literal["sha256", "git-sha1"], on_bytes: Callable[[int], None] | None = None) -> str:
    """sha256 of the content (LFS files), or its git blob id (regular files), as the Hub lists them."""
    import hashlib

    size = path.stat().st_size
    digest = hashlib.sha256() if kind == "sha256" else hashlib.sha1(b"blob %d\0" % size)
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK_BYTES * 4):
            digest.update(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return digest.hexdigest()


def verify_files(
    listing: RepoListing,
    paths: Iterable[str],
    *,
    local_dir: Path | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> list[Digest]:
    """Checksum each local copy of `paths` against the Hub's metadata (files without a checksum are skipped)."""
    files = {f.path: f for f in listing.files}
    results = []
    for path in paths:
        remote = files[path]
        kind: Literal["sha256", "git-sha1"] = "sha256" if remote.sha256 else "git-sha1"
        expected = remote.sha256 or remote.blob_id
        if expected is None:
            continue
        local = (local_dir if local_dir is not None else snapshot_dir(listing.repo, listing.commit)) / path
        actual = file_digest(local, kind, on_bytes) if local.is_file() else None
        results.append(Digest(path, kind, expected, actual))
    return results


# ---------------------------------------------------------------- config.json (the VRAM estimator's input)


def fetch_config(repo: str, settings: HubSettings, *, revision: str | None = None) -> dict[str, Any]:
    """A repo's config.json, cached on disk like the live figures (TTL, --refresh, offline, stale on failure).

    Raises HubError when it can be neither fetched nor found in the cache.
    """
    check_repo_id(repo)
    rev = revision or "main"
    cached, use_cached = repoinfo.cached_config(settings, repo, rev)
    if cached is not None and use_cached:
        return cached
    from huggingface_hub import get_session, hf_hub_url
    from huggingface_hub.utils._headers import build_hf_headers
    from huggingface_hub.utils._http import hf_raise_for_status

    url = hf_hub_url(repo, "config.json", revision=rev, endpoint=settings.endpoint)
    try:
        with _talking_to(settings):
            headers = build_hf_headers(token=settings.client_token, library_name="llmzh")
            response = get_session().get(url, headers=headers, timeout=settings.timeout, follow_redirects=True)
        hf_raise_for_status(response)
        config = untrusted.check_config(response.json())
    except Untrusted as error:
        raise HubError(f"{repo}: {error}", hint="the file cannot describe a real model; nothing was cached") from error
    except (ValueError, RecursionError) as error:
        raise HubError(f"{repo}: config.json is not valid JSON") from error
    except Exception as error:  # noqa: BLE001 - mapped; anything unmapped is re-raised
        if cached is not None:
            return cached  # stale beats nothing: an architecture rarely changes
        raise _repo_error(error, repo, settings, revision) from error
    repoinfo.write_config(settings, repo, rev, config)
    return config


# ---------------------------------------------------------------- doctor


def ping(settings: HubSettings) -> tuple[bool, str]:
    """Whether the endpoint answers HTTP at all (any status counts), and how fast; never raises for network errors."""
    _client(settings)
    from huggingface_hub import get_session

    start = time.monotonic()
    try:
        response = get_session().get(f"{settings.endpoint}/api/models", params={"limit": 1}, timeout=settings.timeout)
    except Exception as error:  # noqa: BLE001 - any failure to connect is the answer
        try:
            _, message = describe_failure(error, settings)
        except Exception:  # noqa: BLE001 - describe_failure re-raises what it does not know
            message = f"cannot reach {settings.host} ({type(error).__name__})"
        return False, message
    elapsed = (time.monotonic() - start) * 1000
    return True, f"HTTP {response.status_code} in {elapsed:.0f} ms"


def stored_token_exists() -> bool:
    """Whether `hf auth login` saved a token (its value is never read here)."""
    _client(HubSettings())
    from huggingface_hub import constants

    return Path(constants.HF_TOKEN_PATH).is_file()

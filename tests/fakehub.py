"""A fake Hugging Face Hub HTTP server for the test-suite.

It speaks the subset of the Hub HTTP API that the real ``huggingface_hub`` (2.4.0) client uses for
``HfApi.model_info`` / ``repo_info``, ``list_repo_tree`` / ``list_repo_files``, ``get_paths_info``,
``list_repo_refs``, ``hf_hub_download`` and ``snapshot_download``:

* ``GET  /api/{models,datasets,spaces}/{repo_id}[/revision/{rev}]``   (``?blobs=true``, ``?expand=...``)
* ``GET  /api/{type}s/{repo_id}/tree/{rev}[/{path}]``                  (``?recursive=``, Link-header pagination)
* ``POST /api/{type}s/{repo_id}/paths-info/{rev}``                     (form-encoded ``paths=``)
* ``GET  /api/{type}s/{repo_id}/refs``
* ``GET  /api/agent-harnesses``                                        (client telemetry, answered with an empty list)
* ``HEAD|GET /[{type}s/]{repo_id}/resolve/{rev}/{path}``               (``X-Repo-Commit``, ``ETag``, ``X-Linked-*``)

LFS files are answered with a ``302`` to a second "CDN" server (a different origin, so the client drops the
``Authorization`` header exactly like it does for the real CDN). Bodies support single ``Range`` requests (``206``).
No Xet header (``X-Xet-Hash``...) is ever sent and no tree entry carries ``xetHash``: the client therefore always
uses plain HTTP downloads.

Errors are sent the way the Hub sends them (``X-Error-Code`` / ``X-Error-Message`` headers + JSON body) so the
client raises its real exception classes. Latency, error injection, throttling and dropped connections
(``FIN`` or ``RST``) can be injected.

Usage::

    with FakeHub() as hub:
        hub.add_repo("org/model", files={"config.json": b"{}", "model.safetensors": b"..."})
        HfApi(endpoint=hub.url).model_info("org/model", files_metadata=True)
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NamedTuple, Self
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

__all__ = [
    "CLOSED_ENDPOINT",
    "DEFAULT_LFS_PATTERNS",
    "FakeFile",
    "FakeHub",
    "FakeRepo",
    "RecordedRequest",
    "SleepRecorder",
    "Transfer",
    "git_blob_sha1",
    "sha256_hex",
]

DEFAULT_LFS_PATTERNS: tuple[str, ...] = (
    "*.bin",
    "*.safetensors",
    "*.gguf",
    "*.pt",
    "*.pth",
    "*.ckpt",
    "*.h5",
    "*.onnx",
    "*.msgpack",
    "*.model",
)
DEFAULT_TIMESTAMP = "2023-06-01T00:00:00.000Z"
CLOSED_ENDPOINT = "http://127.0.0.1:9"  # nothing listens on the discard port: connections are refused at once
_CHUNK = 64 * 1024
_EXEMPT_FROM_GATING = frozenset({"README.md", ".gitattributes"})
_API_SUBROUTES = frozenset({"revision", "tree", "refs", "paths-info", "resolve", "commits", "discussions"})
_URL_PREFIX_TO_TYPE = {"datasets": "dataset", "spaces": "space", "kernels": "kernel"}


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data`` (the ETag the Hub uses for LFS files)."""
    return hashlib.sha256(data).hexdigest()


def git_blob_sha1(data: bytes) -> str:
    """Git blob id of ``data`` (the ETag the Hub uses for regular files)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _fake_sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


# --------------------------------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeFile:
    """A file at one commit of a fake repo."""

    path: str
    content: bytes
    lfs: bool

    @property
    def size(self) -> int:
        return len(self.content)

    # Cached: every metadata answer and CDN lookup needs it, and hashing a 256 MB file on each would make the
    # server, not the client, the bottleneck of bench/download.py (cached_property writes past `frozen`).
    @cached_property
    def sha256(self) -> str:
        return sha256_hex(self.content)

    @property
    def lfs_pointer(self) -> bytes:
        return (f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\nsize {self.size}\n").encode()

    @property
    def blob_id(self) -> str:
        """Git oid of what is stored in git: the pointer for LFS files, the content otherwise."""
        return git_blob_sha1(self.lfs_pointer if self.lfs else self.content)

    @property
    def etag(self) -> str:
        """What the client stores as the blob name in its cache (sha256 for LFS, git sha1 otherwise)."""
        return self.sha256 if self.lfs else self.blob_id


@dataclass
class FakeRepo:
    """A fake repository. Mutate it through :class:`FakeHub` methods (they take the lock)."""

    repo_id: str
    repo_type: str = "model"
    commits: dict[str, dict[str, FakeFile]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # branch/tag name -> commit sha
    git_tags: set[str] = field(default_factory=set)  # names in `refs` that are tags (the others are branches)
    commit_dates: dict[str, str] = field(default_factory=dict)
    downloads: int = 0
    likes: int = 0
    license: str | None = None
    gated: Literal["auto", "manual", False] = False
    private: bool = False
    disabled: bool = False
    gone: bool = False
    access_tokens: set[str] = field(default_factory=set)
    tags: list[str] = field(default_factory=list)
    card_data: dict[str, Any] | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    safetensors_total: int | None = None
    safetensors_parameters: dict[str, int] | None = None
    created_at: str = DEFAULT_TIMESTAMP
    lfs_patterns: tuple[str, ...] = DEFAULT_LFS_PATTERNS
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sha(self) -> str:
        """Commit sha of the default branch (``main``)."""
        return self.refs["main"]

    def is_lfs(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(path, p) for p in self.lfs_patterns)

    def resolve(self, revision: str) -> str | None:
        """Branch/tag name, full commit sha or unique sha prefix (>= 7 chars) -> commit sha."""
        if revision in self.refs:
            return self.refs[revision]
        if revision in self.commits:
            return revision
        if len(revision) >= 7:
            matches = [sha for sha in self.commits if sha.startswith(revision)]
            if len(matches) == 1:
                return matches[0]
        return None


class RecordedRequest(NamedTuple):
    """A request received by the hub or the CDN. ``headers`` keys are lower-case; ``path`` includes the query."""

    method: str
    path: str
    headers: dict[str, str]


class Transfer(NamedTuple):
    """A file body (or part of it) sent by the hub or the CDN for a GET on a file."""

    method: str
    path: str  # URL path (with query)
    filename: str  # path of the file in its repo
    status: int  # 200 or 206
    range: str | None  # the Range header received, if any
    expected: int  # number of body bytes announced in Content-Length
    sent: int  # number of body bytes actually written
    dropped: bool  # connection was cut before the whole body was sent


Matcher = str | Callable[[str, str], bool]


@dataclass
class _FailRule:
    match: Matcher
    method: str | None
    status: int
    remaining: int | None  # None = forever
    error_code: str | None
    message: str | None
    retry_after: float | None
    headers: dict[str, str]
    disconnect: bool
    delay: float

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if callable(self.match):
            return bool(self.match(method, path))
        return fnmatch.fnmatchcase(path, self.match) or fnmatch.fnmatchcase(path, "*/" + self.match.lstrip("/"))


@dataclass
class _DropRule:
    pattern: str
    after_bytes: int
    remaining: int | None
    reset: bool


class _Abort(Exception):
    """Raised inside a handler to stop processing because the connection was deliberately cut."""


# --------------------------------------------------------------------------------------------------------------------
# The hub
# --------------------------------------------------------------------------------------------------------------------


class FakeHub:
    """A threaded fake Hub listening on ``127.0.0.1`` (``hub.url``) plus a fake CDN (``hub.cdn_url``).

    Knobs (all can be changed at any time, they are read per request):

    * ``latency``: seconds slept before answering every request (hub and CDN).
    * ``throughput``: bytes/second cap for file bodies (``None`` = unlimited).
    * ``drop_after_bytes``: cut *every* file-body response after that many body bytes (``None`` = never).
      ``drop_with_reset`` selects an RST (``httpx2.ReadError`` on the client) instead of a FIN
      (``httpx2.RemoteProtocolError``, which the client's ``http_get`` retries with a ``Range`` header).
    * ``support_range``: honour ``Range`` headers (``206``); when ``False`` the full body is sent with ``200``.
    * ``lfs_redirect``: answer LFS files with a ``302`` to the CDN (default) instead of serving them directly.
    * ``tree_page_size``: entries per page of ``/tree`` listings (pagination uses a ``Link: <...>; rel="next"``).
    """

    def __init__(self, *, start: bool = True) -> None:
        self._lock = threading.RLock()
        self._bodies_done = threading.Condition(self._lock)  # notified when a file body's Transfer is recorded
        self._bodies_in_flight = 0
        self._request_ids = itertools.count(1)
        self._wake = threading.Event()
        self._repos: dict[tuple[str, str], FakeRepo] = {}
        self._requests: list[RecordedRequest] = []
        self._transfers: list[Transfer] = []
        self._fail_rules: list[_FailRule] = []
        self._drop_rules: list[_DropRule] = []
        self._hub_server: ThreadingHTTPServer | None = None
        self._cdn_server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._set_default_knobs()
        if start:
            self.start()

    def _set_default_knobs(self) -> None:
        self._in_flight = 0
        self.max_in_flight = 0  # most requests ever handled at once: evidence of client concurrency
        self.latency: float = 0.0
        self.throughput: float | None = None
        self.drop_after_bytes: int | None = None
        self.drop_with_reset: bool = False
        self.support_range: bool = True
        self.lfs_redirect: bool = True
        self.tree_page_size: int = 1000
        self.resolve_headers: dict[str, str] = {}  # added to (or overriding) every file answer's headers

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def start(self) -> FakeHub:
        if self._hub_server is not None:
            return self
        self._wake.clear()
        self._hub_server = _make_server(self, "hub")
        self._cdn_server = _make_server(self, "cdn")
        for srv in (self._hub_server, self._cdn_server):
            thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def close(self) -> None:
        self._wake.set()  # wake up handlers sleeping on latency/delay
        for srv in (self._hub_server, self._cdn_server):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self._hub_server = self._cdn_server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Forget repos, injected failures, recorded requests and restore default knobs (server keeps running)."""
        self._wake.set()  # abort handlers still sleeping from a previous test
        with self._bodies_done:
            self._bodies_done.wait_for(lambda: self._bodies_in_flight == 0, timeout=10)  # as in reset_requests
            self._repos.clear()
            self._requests.clear()
            self._transfers.clear()
            self._fail_rules.clear()
            self._drop_rules.clear()
            self._set_default_knobs()
        self._wake.clear()

    @property
    def url(self) -> str:
        """Endpoint to give to the client (``HF_ENDPOINT`` / ``endpoint=``), e.g. ``http://127.0.0.1:PORT``."""
        assert self._hub_server is not None, "FakeHub is not started"
        return f"http://127.0.0.1:{self._hub_server.server_address[1]}"

    @property
    def cdn_url(self) -> str:
        assert self._cdn_server is not None, "FakeHub is not started"
        return f"http://127.0.0.1:{self._cdn_server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Environment variables pointing a *subprocess* at this hub."""
        return {"HF_ENDPOINT": self.url}

    # -- repos -------------------------------------------------------------------------------------------------------

    def add_repo(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str] | None = None,
        *,
        repo_type: str = "model",
        sha: str | None = None,
        downloads: int = 0,
        likes: int = 0,
        license: str | None = None,
        gated: Literal["auto", "manual"] | bool = False,
        private: bool = False,
        access_tokens: Iterable[str] = (),
        tags: Iterable[str] = (),
        card_data: Mapping[str, Any] | None = None,
        pipeline_tag: str | None = None,
        library_name: str | None = None,
        safetensors_total: int | None = None,
        safetensors_parameters: Mapping[str, int] | None = None,
        last_modified: str = DEFAULT_TIMESTAMP,
        created_at: str = DEFAULT_TIMESTAMP,
        lfs_patterns: Iterable[str] = DEFAULT_LFS_PATTERNS,
        gitattributes: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> FakeRepo:
        """Create (or replace) a repo whose ``main`` branch points to a single commit holding ``files``.

        ``gated`` repos answer metadata calls normally but file downloads with ``401`` (no token) / ``403`` (token
        not in ``access_tokens``) and ``X-Error-Code: GatedRepo``. ``private`` repos answer everything with
        ``401``/``404`` ``RepoNotFound`` unless the token is in ``access_tokens``. ``extra`` is merged into the
        ``/api/models`` JSON (e.g. ``{"gguf": {...}, "config": {...}}``).
        """
        patterns = tuple(lfs_patterns)
        contents = {path: _as_bytes(data) for path, data in (files or {}).items()}
        if gitattributes and ".gitattributes" not in contents:
            contents[".gitattributes"] = "".join(
                f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in patterns
            ).encode()
        repo = FakeRepo(
            repo_id=repo_id,
            repo_type=repo_type,
            downloads=downloads,
            likes=likes,
            license=license,
            gated=_gated(gated),
            private=private,
            access_tokens=set(access_tokens),
            tags=list(tags),
            card_data=dict(card_data) if card_data is not None else None,
            pipeline_tag=pipeline_tag,
            library_name=library_name,
            safetensors_total=safetensors_total,
            safetensors_parameters=dict(safetensors_parameters) if safetensors_parameters is not None else None,
            created_at=created_at,
            lfs_patterns=patterns,
            extra=dict(extra or {}),
        )
        commit = sha or _fake_sha(repo_type, repo_id, *(f"{p}:{sha256_hex(c)}" for p, c in sorted(contents.items())))
        _check_sha(commit)
        repo.commits[commit] = {path: FakeFile(path, data, repo.is_lfs(path)) for path, data in contents.items()}
        repo.commit_dates[commit] = last_modified
        repo.refs["main"] = commit
        with self._lock:
            self._repos[(repo_type, repo_id)] = repo
        return repo

    def repo(self, repo_id: str, repo_type: str = "model") -> FakeRepo:
        with self._lock:
            return self._repos[(repo_type, repo_id)]

    def commit(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str] | None = None,
        *,
        delete: Iterable[str] = (),
        branch: str = "main",
        sha: str | None = None,
        replace: bool = False,
        last_modified: str | None = None,
        repo_type: str = "model",
    ) -> str:
        """Add a commit on ``branch`` (created if needed, starting from ``main``) and return its sha.

        ``files`` are added/overwritten (or are the whole tree if ``replace=True``); ``delete`` removes paths.
        """
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            parent = repo.refs.get(branch, repo.refs["main"])
            tree = {} if replace else dict(repo.commits[parent])
            for path, data in (files or {}).items():
                tree[path] = FakeFile(path, _as_bytes(data), repo.is_lfs(path))
            for path in delete:
                tree.pop(path, None)
            new_sha = sha or _fake_sha(parent, branch, *(f"{p}:{f.sha256}" for p, f in sorted(tree.items())))
            _check_sha(new_sha)
            repo.commits[new_sha] = tree
            repo.commit_dates[new_sha] = last_modified or repo.commit_dates.get(parent, DEFAULT_TIMESTAMP)
            repo.refs[branch] = new_sha
            return new_sha

    def add_ref(
        self, repo_id: str, name: str, sha: str | None = None, *, tag: bool = False, repo_type: str = "model"
    ) -> str:
        """Create a branch (or tag if ``tag=True``) ``name`` pointing to ``sha`` (default: current ``main``)."""
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            target = sha or repo.refs["main"]
            if target not in repo.commits:
                raise KeyError(f"unknown commit {target}")
            repo.refs[name] = target
            if tag:
                repo.git_tags.add(name)
            else:
                repo.git_tags.discard(name)
            return target

    def remove_repo(self, repo_id: str, *, repo_type: str = "model") -> None:
        """Delete a repo: every later call answers ``RepoNotFound``."""
        with self._lock:
            self._repos.pop((repo_type, repo_id), None)

    def mark_gone(self, repo_id: str, *, gone: bool = True, repo_type: str = "model") -> None:
        """Keep the repo data but answer ``RepoNotFound`` (like a deleted / hidden repo) until un-marked."""
        with self._lock:
            self._repos[(repo_type, repo_id)].gone = gone

    def set_gated(
        self,
        repo_id: str,
        gated: Literal["auto", "manual"] | bool = "manual",
        *,
        access_tokens: Iterable[str] = (),
        repo_type: str = "model",
    ) -> None:
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            repo.gated = _gated(gated)
            repo.access_tokens = set(access_tokens)

    def set_private(
        self, repo_id: str, private: bool = True, *, access_tokens: Iterable[str] = (), repo_type: str = "model"
    ) -> None:
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            repo.private = private
            repo.access_tokens = set(access_tokens)

    def file(self, repo_id: str, path: str, revision: str = "main", *, repo_type: str = "model") -> FakeFile:
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            commit = repo.resolve(revision)
            if commit is None:
                raise KeyError(f"unknown revision {revision!r}")
            return repo.commits[commit][path]

    def file_bytes(self, repo_id: str, path: str, revision: str = "main", *, repo_type: str = "model") -> bytes:
        return self.file(repo_id, path, revision, repo_type=repo_type).content

    def file_sha256(self, repo_id: str, path: str, revision: str = "main", *, repo_type: str = "model") -> str:
        """sha256 (hex) of a file's content, for integrity comparisons."""
        return self.file(repo_id, path, revision, repo_type=repo_type).sha256

    def files(self, repo_id: str, revision: str = "main", *, repo_type: str = "model") -> dict[str, bytes]:
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            commit = repo.resolve(revision)
            if commit is None:
                raise KeyError(f"unknown revision {revision!r}")
            return {p: f.content for p, f in repo.commits[commit].items()}

    # -- fault injection ---------------------------------------------------------------------------------------------

    def fail_next(
        self,
        match: Matcher = "*",
        status: int = 503,
        times: int | None = 1,
        *,
        method: str | None = None,
        error_code: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        disconnect: bool = False,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` matching requests (``None`` = all) with an error instead of the real answer.

        ``match`` is a glob on the URL path without query (``"/api/models/*"``, ``"*/resolve/*"``,
        ``"*config.json"``; a pattern not starting with ``/`` or ``*`` also matches any path ending with it), or a
        ``callable(method, path) -> bool``. CDN paths look like ``/cdn-lfs/<sha256>/<filename>``.
        ``error_code`` sets ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``,
        ``GatedRepo``); ``retry_after`` sets ``Retry-After`` (seconds). ``disconnect=True`` closes the connection
        without answering. ``delay`` sleeps before answering (use it with a small client timeout to get
        ``ReadTimeout``); rules are checked in insertion order.
        """
        rule = _FailRule(
            match=match,
            method=method,
            status=status,
            remaining=times,
            error_code=error_code,
            message=message,
            retry_after=retry_after,
            headers=dict(headers or {}),
            disconnect=disconnect,
            delay=delay,
        )
        with self._lock:
            self._fail_rules.append(rule)

    def drop_file(self, pattern: str, after_bytes: int, times: int | None = 1, *, reset: bool = False) -> None:
        """Cut the next ``times`` GET bodies of files whose repo path matches ``pattern`` after ``after_bytes``.

        ``reset=False`` closes cleanly (client sees ``httpx2.RemoteProtocolError``: retried with ``Range``),
        ``reset=True`` sends an RST (client sees ``httpx2.ReadError``: *not* retried by ``hf_hub_download``).
        """
        with self._lock:
            self._drop_rules.append(_DropRule(pattern, after_bytes, times, reset))

    def clear_failures(self) -> None:
        with self._lock:
            self._fail_rules.clear()
            self._drop_rules.clear()
            self.drop_after_bytes = None

    # -- introspection -----------------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Copy of the requests received so far (hub and CDN), in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def transfers(self) -> list[Transfer]:
        """Copy of the file bodies sent so far (hub and CDN).

        Waits (up to 10 s) for bodies still being sent to be logged: a client can have read a whole body before the
        server thread that sent it records the transfer, so reading at once would race with that thread.
        """
        with self._bodies_done:
            self._bodies_done.wait_for(lambda: self._bodies_in_flight == 0, timeout=10)
            return list(self._transfers)

    def reset_requests(self) -> None:
        """Forget the requests and transfers so far, after the bodies still being sent are logged (up to 10 s): a
        client can have read a whole body before the server thread records it, and a record landing after the clear
        would count in the next reading."""
        with self._bodies_done:
            self._bodies_done.wait_for(lambda: self._bodies_in_flight == 0, timeout=10)
            self._requests.clear()
            self._transfers.clear()

    def requests_matching(self, method: str | None = None, path: str = "*") -> list[RecordedRequest]:
        """Requests whose method equals ``method`` (if given) and whose path (without query) matches glob ``path``."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper()) and fnmatch.fnmatchcase(r.path.split("?", 1)[0], path)
        ]

    def count(self, method: str | None = None, path: str = "*") -> int:
        return len(self.requests_matching(method, path))

    def bytes_sent(self, filename: str = "*") -> int:
        """Total body bytes sent for files whose repo path matches glob ``filename``."""
        return sum(t.sent for t in self.transfers if fnmatch.fnmatchcase(t.filename, filename))

    # -- internals used by the handler -------------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _record_transfer(self, transfer: Transfer) -> None:
        with self._lock:
            self._transfers.append(transfer)

    def _sleep(self, seconds: float) -> bool:
        """Interruptible sleep; returns False if the hub was reset/closed meanwhile."""
        if seconds <= 0:
            return True
        return not self._wake.wait(seconds)

    def _take_fail_rule(self, method: str, path: str) -> _FailRule | None:
        with self._lock:
            for rule in self._fail_rules:
                if (rule.remaining is None or rule.remaining > 0) and rule.matches(method, path):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule
        return None

    def _take_drop(self, filename: str) -> tuple[int, bool] | None:
        with self._lock:
            for rule in self._drop_rules:
                if (rule.remaining is None or rule.remaining > 0) and fnmatch.fnmatchcase(filename, rule.pattern):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.after_bytes, rule.reset
            if self.drop_after_bytes is not None:
                return self.drop_after_bytes, self.drop_with_reset
        return None

    def _get_repo(self, repo_type: str, repo_id: str) -> FakeRepo | None:
        with self._lock:
            return self._repos.get((repo_type, repo_id))

    def _has_repo_id(self, repo_type: str, repo_id: str) -> bool:
        with self._lock:
            return (repo_type, repo_id) in self._repos

    def _blob(self, sha256: str) -> FakeFile | None:
        with self._lock:
            for repo in self._repos.values():
                for tree in repo.commits.values():
                    for f in tree.values():
                        if f.lfs and f.sha256 == sha256:
                            return f
        return None


class SleepRecorder:
    """Stands in for ``time.sleep`` in huggingface_hub's retry loops (see the ``hf_sleeps`` fixture)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.calls.append(float(seconds))

    @property
    def total(self) -> float:
        return sum(self.calls)


def _gated(value: Literal["auto", "manual"] | bool) -> Literal["auto", "manual", False]:
    if value is True:
        return "auto"
    return value


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def _check_sha(sha: str) -> None:
    if len(sha) != 40 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError(f"commit sha must be 40 lower-case hex chars, got {sha!r}")


# --------------------------------------------------------------------------------------------------------------------
# HTTP layer
# --------------------------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, hub: FakeHub, role: str) -> None:
        self.hub = hub
        self.role = role
        super().__init__(("127.0.0.1", 0), _Handler)


def _make_server(hub: FakeHub, role: str) -> _Server:
    return _Server(hub, role)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeHub/1.0"
    server: _Server

    # -- plumbing ----------------------------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except _Abort:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    @property
    def hub(self) -> FakeHub:
        return self.server.hub

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _kill_connection(self, reset: bool) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Abort()

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
        all_headers.setdefault("X-Request-Id", f"fakehub-{next(self.hub._request_ids)}")
        for key, value in all_headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _error(
        self,
        status: int,
        message: str,
        error_code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        all_headers = {"X-Error-Message": message, **(headers or {})}
        if error_code is not None:
            all_headers["X-Error-Code"] = error_code
        self._json(status, {"error": message}, all_headers)

    # -- dispatch ----------------------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        with self.hub._lock:
            self.hub._in_flight += 1
            self.hub.max_in_flight = max(self.hub.max_in_flight, self.hub._in_flight)
        try:
            self._serve()
        finally:
            with self.hub._lock:
                self.hub._in_flight -= 1

    def _serve(self) -> None:
        method = self.command.upper()
        body = self._read_body() if method in ("POST", "PUT") else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.hub._record(RecordedRequest(method, self.path, headers))

        if not self.hub._sleep(self.hub.latency):
            self._kill_connection(reset=False)

        split = urlsplit(self.path)
        raw_path = split.path
        rule = self.hub._take_fail_rule(method, unquote(raw_path))
        if rule is not None:
            self._apply_fail_rule(rule)
            return

        query = parse_qs(split.query, keep_blank_values=True)
        segments = [s for s in raw_path.split("/") if s != ""]
        if self.server.role == "cdn":
            self._route_cdn(method, segments)
        else:
            self._route_hub(method, segments, query, body)

    def _apply_fail_rule(self, rule: _FailRule) -> None:
        if not self.hub._sleep(rule.delay):
            self._kill_connection(reset=False)
        if rule.disconnect:
            self._kill_connection(reset=False)
        headers = dict(rule.headers)
        if rule.retry_after is not None:
            headers["Retry-After"] = f"{rule.retry_after:g}"
        message = rule.message or _default_message(rule.status)
        self._error(rule.status, message, rule.error_code, headers)

    def _route_hub(self, method: str, segs: list[str], query: dict[str, list[str]], body: bytes) -> None:
        if segs[:2] == ["api", "agent-harnesses"] and method == "GET":
            self._json(200, {"standardEnvVars": [], "harnesses": {}})
            return
        if len(segs) >= 3 and segs[0] == "api" and segs[1] in ("models", "datasets", "spaces", "kernels"):
            repo_type = segs[1][:-1]
            split = self._split_repo(repo_type, segs[2:], _API_SUBROUTES)
            if split is not None:
                repo_id, rest = split
                self._route_api(method, repo_type, repo_id, rest, query, body)
                return
        # /[datasets/]{repo_id}/resolve/{rev}/{path}
        repo_type = "model"
        rest = segs
        if rest and rest[0] in _URL_PREFIX_TO_TYPE and "resolve" in rest[2:4]:
            repo_type = _URL_PREFIX_TO_TYPE[rest[0]]
            rest = rest[1:]
        split = self._split_repo(repo_type, rest, {"resolve"})
        if split is not None and len(split[1]) >= 3 and split[1][0] == "resolve" and method in ("GET", "HEAD"):
            repo_id, rest = split
            self._route_resolve(method, repo_type, repo_id, unquote(rest[1]), unquote("/".join(rest[2:])))
            return
        self._error(404, "Sorry, we can't find the page you are looking for.")

    def _split_repo(self, repo_type: str, segs: list[str], subroutes: Iterable[str]) -> tuple[str, list[str]] | None:
        """Split ``segs`` into (repo_id, remaining segments); repo ids have 1 or 2 segments."""
        if not segs:
            return None
        names = [unquote(s) for s in segs]
        if len(names) >= 2 and self.hub._has_repo_id(repo_type, f"{names[0]}/{names[1]}"):
            return f"{names[0]}/{names[1]}", segs[2:]
        if self.hub._has_repo_id(repo_type, names[0]):
            return names[0], segs[1:]
        if len(names) >= 2 and names[1] not in subroutes:
            return f"{names[0]}/{names[1]}", segs[2:]
        return names[0], segs[1:]

    # -- auth helpers ------------------------------------------------------------------------------------------------

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization")
        if auth and auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return None

    def _repo_or_error(self, repo_type: str, repo_id: str) -> FakeRepo | None:
        """Return the repo if visible to the caller, else send the Hub's RepoNotFound answer and return None."""
        repo = self.hub._get_repo(repo_type, repo_id)
        token = self._token()
        if repo is None or repo.gone or (repo.private and token not in repo.access_tokens):
            # The Hub answers 401 to anonymous callers and 404 to authenticated ones, both with RepoNotFound.
            self._error(
                404 if token else 401,
                "Repository not found" if token else "Invalid username or password.",
                "RepoNotFound",
            )
            return None
        if repo.disabled:
            self._error(403, "Access to this resource is disabled.")
            return None
        return repo

    def _commit_or_error(self, repo: FakeRepo, revision: str) -> str | None:
        commit = repo.resolve(revision)
        if commit is None:
            self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    # -- API routes --------------------------------------------------------------------------------------------------

    def _route_api(
        self,
        method: str,
        repo_type: str,
        repo_id: str,
        rest: list[str],
        query: dict[str, list[str]],
        body: bytes,
    ) -> None:
        repo = self._repo_or_error(repo_type, repo_id)
        if repo is None:
            return
        if method == "GET" and (not rest or (rest[0] == "revision" and len(rest) >= 2)):
            revision = unquote("/".join(rest[1:])) if rest else "main"
            commit = self._commit_or_error(repo, revision)
            if commit is not None:
                self._json(200, _repo_info_json(repo, commit, query))
            return
        if method == "GET" and rest and rest[0] == "tree" and len(rest) >= 2:
            commit = self._commit_or_error(repo, unquote(rest[1]))
            if commit is not None:
                self._tree(repo, commit, unquote("/".join(rest[2:])), query)
            return
        if method == "POST" and rest and rest[0] == "paths-info" and len(rest) >= 2:
            commit = self._commit_or_error(repo, unquote(rest[1]))
            if commit is not None:
                form = parse_qs(body.decode(), keep_blank_values=True)
                paths = form.get("paths", [])
                entries = _tree_entries(repo.commits[commit])
                self._json(200, [entries[p] for p in paths if p in entries])
            return
        if method == "GET" and rest == ["refs"]:
            branches = [
                {"name": name, "ref": f"refs/heads/{name}", "targetCommit": sha}
                for name, sha in repo.refs.items()
                if name not in repo.git_tags
            ]
            tags = [
                {"name": name, "ref": f"refs/tags/{name}", "targetCommit": sha}
                for name, sha in repo.refs.items()
                if name in repo.git_tags
            ]
            self._json(200, {"branches": branches, "tags": tags, "converts": []})
            return
        self._error(404, "Sorry, we can't find the page you are looking for.")

    def _tree(self, repo: FakeRepo, commit: str, path_in_repo: str, query: dict[str, list[str]]) -> None:
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        entries = _tree_entries(repo.commits[commit])
        prefix = path_in_repo.strip("/")
        if prefix and (prefix not in entries or entries[prefix]["type"] != "directory"):
            self._error(404, f"Entry not found: {prefix}", "EntryNotFound", {"X-Repo-Commit": commit})
            return
        selected = []
        for path, entry in sorted(entries.items()):
            if prefix and not path.startswith(prefix + "/"):
                continue
            relative = path[len(prefix) + 1 :] if prefix else path
            if not recursive and "/" in relative:
                continue
            selected.append(entry)
        cursor = int(query.get("cursor", ["0"])[0] or 0)
        size = max(1, self.hub.tree_page_size)
        page = selected[cursor : cursor + size]
        headers: dict[str, str] = {"X-Repo-Commit": commit}
        if cursor + size < len(selected):
            next_query = {k: v[0] for k, v in query.items() if k != "cursor"}
            next_query["cursor"] = str(cursor + size)
            next_url = f"{self.hub.url}{urlsplit(self.path).path}?{urlencode(next_query)}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        self._json(200, page, headers)

    # -- file routes -------------------------------------------------------------------------------------------------

    def _route_resolve(self, method: str, repo_type: str, repo_id: str, revision: str, path: str) -> None:
        repo = self._repo_or_error(repo_type, repo_id)
        if repo is None:
            return
        commit = self._commit_or_error(repo, revision)
        if commit is None:
            return
        base_headers = {
            "X-Repo-Commit": commit,
            "Vary": "Origin, Accept-Encoding",
            "Access-Control-Allow-Origin": "*",
            **self.hub.resolve_headers,
        }
        if repo.gated and path not in _EXEMPT_FROM_GATING:
            token = self._token()
            if token is None or token not in repo.access_tokens:
                kind = "model" if repo_type == "model" else repo_type
                if token is None:
                    msg = (
                        f"Access to {kind} {repo_id} is restricted. You must have access to it and be "
                        "authenticated to access it. Please log in."
                    )
                else:
                    msg = (
                        f"Access to {kind} {repo_id} is restricted and you are not in the authorized list. "
                        f"Visit {self.hub.url}/{repo_id} to ask for access."
                    )
                self._error(403 if token else 401, msg, "GatedRepo", base_headers)
                return
        f = repo.commits[commit].get(path)
        if f is None:
            self._error(404, "Entry not found", "EntryNotFound", base_headers)
            return
        if f.lfs:
            lfs_headers = {
                **base_headers,
                "X-Linked-Etag": f'"{f.sha256}"',
                "X-Linked-Size": str(f.size),
                "ETag": f'"{f.blob_id}"',
                **self.hub.resolve_headers,
            }
            if self.hub.lfs_redirect:
                location = (
                    f"{self.hub.cdn_url}/cdn-lfs/{f.sha256}/{quote(path)}"
                    f"?X-Amz-Expires=3600&X-Amz-Signature=fake&response-content-disposition=attachment"
                )
                body = f"Found. Redirecting to {location}".encode()
                self._send(302, body, {**lfs_headers, "Location": location}, content_type="text/plain; charset=utf-8")
                return
            self._serve_file(method, f, {**lfs_headers, "ETag": f'"{f.sha256}"', **self.hub.resolve_headers})
            return
        self._serve_file(method, f, {**base_headers, "ETag": f'"{f.blob_id}"', **self.hub.resolve_headers})

    def _route_cdn(self, method: str, segs: list[str]) -> None:
        if len(segs) >= 2 and segs[0] == "cdn-lfs" and method in ("GET", "HEAD"):
            f = self.hub._blob(segs[1])
            if f is not None:
                name = f.path.rsplit("/", 1)[-1]
                headers = {
                    "ETag": f'"{f.sha256}"',
                    "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}; filename=\"{name}\";",
                    "Last-Modified": "Thu, 01 Jun 2023 00:00:00 GMT",
                }
                self._serve_file(method, f, headers)
                return
        self._send(
            404,
            b"<Error><Code>NoSuchKey</Code></Error>",
            content_type="application/xml",
        )

    def _serve_file(self, method: str, f: FakeFile, headers: dict[str, str]) -> None:
        total = f.size
        range_header = self.headers.get("Range")
        head = send_body_head(self, method, total, headers, support_range=self.hub.support_range)
        if head is None:
            return
        status, start, length = head

        drop = self.hub._take_drop(f.path)
        limit = length if drop is None else min(length, max(0, drop[0]))
        sent = 0
        dropped = False
        with self.hub._lock:
            self.hub._bodies_in_flight += 1
        try:
            for chunk in _chunks(f.content, start, start + limit):
                self.wfile.write(chunk)
                sent += len(chunk)
                if self.hub.throughput and not self.hub._sleep(len(chunk) / self.hub.throughput):
                    dropped = True
                    break
            if drop is not None and limit < length:
                dropped = True
        finally:
            with self.hub._bodies_done:
                self.hub._record_transfer(
                    Transfer(method, self.path, f.path, status, range_header, length, sent, dropped or sent < length)
                )
                self.hub._bodies_in_flight -= 1
                self.hub._bodies_done.notify_all()
        if dropped:
            self._kill_connection(reset=drop[1] if drop is not None else False)


def send_body_head(
    handler: BaseHTTPRequestHandler, method: str, total: int, headers: Mapping[str, str], *, support_range: bool
) -> tuple[int, int, int] | None:
    """Send the status and headers of a file body of `total` bytes, honouring a ``Range`` when `support_range`.

    Returns (status, first byte, length) of the body to send, or None when no body follows: a HEAD request, or an
    unsatisfiable range (answered 416). Shared by the fake Hub and the fake ModelScope.
    """
    start, end, status = 0, total - 1, 200
    out = {**headers, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
    range_header = handler.headers.get("Range")
    if range_header and support_range:
        parsed = _parse_range(range_header, total)
        if parsed is None:
            status, out, end = 416, {**out, "Content-Range": f"bytes */{total}"}, start - 1
        else:
            (start, end), status = parsed, 206
            out["Content-Range"] = f"bytes {start}-{end}/{total}"
    length = max(0, end - start + 1)
    handler.send_response(status)
    for key, value in {**out, "Content-Length": str(length)}.items():
        handler.send_header(key, value)
    handler.end_headers()
    return None if method == "HEAD" or status == 416 else (status, start, length)


def _chunks(content: bytes, start: int, stop: int) -> Iterator[bytes]:
    for offset in range(start, stop, _CHUNK):
        yield content[offset : min(stop, offset + _CHUNK)]


def _parse_range(header: str, total: int) -> tuple[int, int] | None:
    """Parse a single ``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` range; None if unsatisfiable."""
    value = header.strip()
    if not value.lower().startswith("bytes=") or "," in value:
        return None
    first, _, last = value[6:].strip().partition("-")
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                return None
            return max(0, total - n), total - 1
        start = int(first)
        end = int(last) if last else total - 1
    except ValueError:
        return None
    if start >= total or end < start:
        return None
    return start, min(end, total - 1)


def _default_message(status: int) -> str:
    return {
        401: "Invalid username or password.",
        403: "Forbidden",
        404: "Not Found",
        429: "You have been rate-limited; you can retry this action in a few moments.",
        500: "Internal Error - We're working hard to fix this as soon as possible!",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, f"HTTP {status}")


def _tree_entries(tree: Mapping[str, FakeFile]) -> dict[str, dict[str, Any]]:
    """path -> /tree entry, for files and (implicit) directories."""
    entries: dict[str, dict[str, Any]] = {}
    for path, f in tree.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            entries.setdefault(
                folder, {"type": "directory", "oid": _fake_sha("tree", folder), "size": 0, "path": folder}
            )
        entry: dict[str, Any] = {"type": "file", "oid": f.blob_id, "size": f.size, "path": path}
        if f.lfs:
            entry["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": len(f.lfs_pointer)}
        entries[path] = entry
    return entries


_INFO_KEYS_ALWAYS = ("_id", "id")


def _repo_info_json(repo: FakeRepo, commit: str, query: dict[str, list[str]]) -> dict[str, Any]:
    tree = repo.commits[commit]
    blobs = query.get("blobs", ["false"])[0].lower() == "true"
    siblings: list[dict[str, Any]] = []
    for path, f in sorted(tree.items()):
        sibling: dict[str, Any] = {"rfilename": path}
        if blobs:
            sibling["blobId"] = f.blob_id
            sibling["size"] = f.size
            if f.lfs:
                sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": len(f.lfs_pointer)}
        siblings.append(sibling)
    tags = list(repo.tags)
    card: dict[str, Any] = dict(repo.card_data or {})
    if repo.license is not None:
        card.setdefault("license", repo.license)
        if f"license:{repo.license}" not in tags:
            tags.append(f"license:{repo.license}")
    author = repo.repo_id.split("/")[0] if "/" in repo.repo_id else None
    info: dict[str, Any] = {
        "_id": _fake_sha("id", repo.repo_type, repo.repo_id)[:24],
        "id": repo.repo_id,
        "author": author,
        "sha": commit,
        "lastModified": repo.commit_dates.get(commit, DEFAULT_TIMESTAMP),
        "createdAt": repo.created_at,
        "private": repo.private,
        "gated": repo.gated,
        "disabled": repo.disabled,
        "downloads": repo.downloads,
        "likes": repo.likes,
        "tags": tags,
        "siblings": siblings,
        "usedStorage": sum(f.size for f in tree.values()),
    }
    if repo.repo_type == "model":
        info["modelId"] = repo.repo_id
        info["spaces"] = []
        if repo.library_name is not None:
            info["library_name"] = repo.library_name
        if repo.pipeline_tag is not None:
            info["pipeline_tag"] = repo.pipeline_tag
        if repo.safetensors_total is not None:
            params = repo.safetensors_parameters or {"F16": repo.safetensors_total}
            info["safetensors"] = {"parameters": params, "total": repo.safetensors_total}
    if card:
        info["cardData"] = card
    info.update(repo.extra)
    expand = query.get("expand") or query.get("expand[]")
    if expand:
        wanted = set(expand)
        info = {k: v for k, v in info.items() if k in wanted or k in _INFO_KEYS_ALWAYS}
    return info

"""A fake ModelScope server for the test-suite, speaking what the real `modelscope_hub` (0.5) client calls.

Endpoints, as `modelscope_hub` builds them (``_openapi.py``, ``_legacy_api.py``, ``_download.py``):

* ``GET /openapi/v1/models/{owner}/{name}``   model info in the OpenAPI envelope ``{success, request_id, data}``
  (``downloads``, ``likes``, ``license``, ``file_size``, ``private``, ``gated``), ``HubApi.get_repo``;
* ``GET /api/v1/models/{owner}/{name}``       the legacy model info ``get_repo`` falls back to after a 404;
* ``GET /api/v1/models/{owner}/{name}/repo/files?Revision=&Recursive=``  the file listing ``{Data: {Files: [...]}}``
  with ``Path``, ``Size``, ``Sha256``, ``Type``, ``Revision`` (the commit), ``IsLFS``;
* ``GET /api/v1/models/{owner}/{name}/revisions``  ``{Data: {RevisionMap: {Branches, Tags}}}``;
* ``GET /api/v1/models/{owner}/{name}/repo?Revision=&FilePath=``  a file, with single ``Range`` requests (206);
  LFS files are answered with a 302 to a second server reached as ``localhost`` (another host, as ModelScope's
  storage is), which records whether it was sent the token;
* ``GET /api/v1/repos/internalAccelerationInfo``  the client's intra-cloud probe, answered 404.

Errors come as the site sends them: JSON bodies with ``code``/``message`` (OpenAPI) or ``Code``/``Message``
(legacy) and the HTTP status the client maps (401, 403, 404, 429, 5xx). Switches: `fail_next` (a status, or a
connection closed without an answer), `drop_file` (cut a file body after N bytes), `stall` / `stall_file` (say
nothing for a while, before the answer or after N bytes of a body, and log whether the client hung up meanwhile),
`latency`, gated and private repos, and any path in a listing (hostile ones included).
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import select
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

from fakehub import RecordedRequest, Transfer, _chunks, send_body_head, sha256_hex

__all__ = ["FakeModelScope", "MsRepo", "Stalled"]

LFS_SUFFIXES = (".bin", ".safetensors", ".gguf", ".pt", ".pth", ".model")
TIMESTAMP = 1717200000  # 2024-06-01, as the legacy API's epoch seconds


@dataclass
class MsRepo:
    repo_id: str
    files: dict[str, bytes]
    commit: str
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit
    tags: dict[str, str] = field(default_factory=dict)
    history: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit -> files
    downloads: int = 0
    likes: int = 0
    license: str | None = None
    gated: bool = False
    private: bool = False
    access_tokens: set[str] = field(default_factory=set)

    def at(self, revision: str) -> tuple[str, dict[str, bytes]] | None:
        commit = self.branches.get(revision) or self.tags.get(revision) or revision
        files = self.history.get(commit)
        return None if files is None else (commit, files)


class Stalled(NamedTuple):
    """A stall the server went through: what it was serving, and whether the client hung up before it ended."""

    path: str  # the URL path for a stalled answer, the file's path for a stalled body
    hung_up: bool


class _Rule(NamedTuple):
    pattern: str
    status: int  # 0: close the connection without answering
    remaining: list[int]  # [count] (mutable), or [-1] for always


class FakeModelScope:
    """A threaded fake ModelScope on ``127.0.0.1`` (``url``) and its storage host on ``localhost`` (``cdn_url``)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._bodies_done = threading.Condition(self._lock)  # notified when a file body's Transfer is recorded
        self._bodies_in_flight = 0
        self._generation = 0  # advanced by reset(): a stall that began before it is not logged after it
        self._ids = itertools.count(1)
        self._repos: dict[str, MsRepo] = {}
        self._requests: list[RecordedRequest] = []
        self._transfers: list[Transfer] = []
        self._rules: list[_Rule] = []
        self._drops: list[tuple[str, int, list[int]]] = []
        self._stalls: list[tuple[str, float, list[int]]] = []
        self._body_stalls: list[tuple[str, int, float, list[int]]] = []
        self._stalled: list[Stalled] = []
        self.latency = 0.0
        self.redirect_lfs = True
        self.support_range = True
        self._corrupt: dict[str, bytes] = {}
        self._listed: dict[str, dict[str, Any]] = {}
        self.redirect_info = False  # answer model info with a 302 to the storage host
        self.throughput: float | None = None  # bytes per second for file bodies
        self._wake = threading.Event()
        self._servers = [_Server(self, "api"), _Server(self, "cdn")]
        self._threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True) for s in self._servers
        ]
        for thread in self._threads:
            thread.start()

    # -- lifecycle

    def close(self) -> None:
        self._wake.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        with self._bodies_done:
            # a body still being sent from an earlier test is logged before the clear, not in the next test's list
            self._bodies_done.wait_for(lambda: self._bodies_in_flight == 0, timeout=10)
            self._generation += 1
            self._repos.clear()
            self._requests.clear()
            self._transfers.clear()
            self._rules.clear()
            self._drops.clear()
            self._stalls.clear()
            self._body_stalls.clear()
            self._stalled.clear()
            self.latency = 0.0
            self.redirect_lfs = True
            self.support_range = True
            self._corrupt.clear()
            self._listed.clear()
            self.redirect_info = False
            self.throughput = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def cdn_url(self) -> str:
        return f"http://localhost:{self._servers[1].server_address[1]}"

    # -- repos

    def add_repo(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str],
        *,
        downloads: int = 0,
        likes: int = 0,
        license: str | None = None,
        gated: bool = False,
        private: bool = False,
        access_tokens: tuple[str, ...] = (),
    ) -> MsRepo:
        """A repo whose ``master`` branch holds `files` at one commit."""
        contents = {p: d.encode() if isinstance(d, str) else d for p, d in files.items()}
        commit = hashlib.sha1(repr(sorted((p, sha256_hex(c)) for p, c in contents.items())).encode()).hexdigest()
        repo = MsRepo(repo_id, contents, commit, {"master": commit}, {}, {commit: contents}, downloads, likes)
        repo.license, repo.gated, repo.private, repo.access_tokens = license, gated, private, set(access_tokens)
        with self._lock:
            self._repos[repo_id] = repo
        return repo

    def add_branch(self, repo_id: str, name: str, files: Mapping[str, bytes | str], *, tag: bool = False) -> str:
        with self._lock:
            repo = self._repos[repo_id]
            contents = {p: d.encode() if isinstance(d, str) else d for p, d in files.items()}
            commit = hashlib.sha1(f"{name}{sorted(contents)}".encode()).hexdigest()
            repo.history[commit] = contents
            (repo.tags if tag else repo.branches)[name] = commit
            return commit

    def files_of(self, repo_id: str) -> dict[str, bytes]:
        with self._lock:
            return dict(self._repos[repo_id].files)

    # -- faults

    def fail_next(self, pattern: str, status: int = 503, times: int | None = 1) -> None:
        """Answer requests whose path matches the glob with `status` (0: close without answering)."""
        with self._lock:
            self._rules.append(_Rule(pattern, status, [-1 if times is None else times]))

    def drop_file(self, path: str, after_bytes: int, times: int | None = 1) -> None:
        """Cut the next `times` bodies of the file `path` after `after_bytes` bytes."""
        with self._lock:
            self._drops.append((path, after_bytes, [-1 if times is None else times]))

    def stall(self, pattern: str, seconds: float, times: int | None = 1) -> None:
        """Say nothing for `seconds` before answering requests whose path matches the glob (then answer)."""
        with self._lock:
            self._stalls.append((pattern, seconds, [-1 if times is None else times]))

    def stall_file(self, path: str, after_bytes: int, seconds: float, times: int | None = 1) -> None:
        """Send `after_bytes` of the file `path`, then nothing for `seconds`, then the rest."""
        with self._lock:
            self._body_stalls.append((path, after_bytes, seconds, [-1 if times is None else times]))

    def corrupt(self, path: str, content: bytes) -> None:
        """Serve `content` for every file named `path` while listings keep describing the real one."""
        with self._lock:
            self._corrupt[path] = content

    def list_as(self, path: str, **fields: Any) -> None:
        """Listings describe the file `path` with these fields instead (e.g. ``Size=-1``, ``Sha256="zz"``)."""
        with self._lock:
            self._listed[path] = fields

    # -- what happened

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def transfers(self) -> list[Transfer]:
        """Copy of the file bodies sent so far; waits (up to 10 s) for bodies still being sent to be logged, as
        FakeHub.transfers does: a client can have read a whole body before the server thread records it."""
        with self._bodies_done:
            self._bodies_done.wait_for(lambda: self._bodies_in_flight == 0, timeout=10)
            return list(self._transfers)

    @property
    def stalled(self) -> list[Stalled]:
        """The stalls that are over, in the order they ended."""
        with self._lock:
            return list(self._stalled)

    def bytes_sent(self, filename: str) -> int:
        return sum(t.sent for t in self.transfers if t.filename == filename)

    def _take(self, items: list[Any], matches: Any) -> Any:
        with self._lock:
            for item in items:
                count = item[-1]
                if count[0] != 0 and matches(item):
                    if count[0] > 0:
                        count[0] -= 1
                    return item
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeModelScope, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.role = role

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is not a server error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    @property
    def fake(self) -> FakeModelScope:
        return self.server.fake

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.fake._lock:
            self.fake._requests.append(RecordedRequest(method, self.path, headers))
        if self.fake.latency:
            threading.Event().wait(self.fake.latency)
        parts = urlsplit(self.path)
        stall = self.fake._take(self.fake._stalls, lambda s: fnmatch.fnmatchcase(parts.path, s[0]))
        if stall is not None and self._stall(parts.path, stall[1]):
            return
        rule = self.fake._take(self.fake._rules, lambda r: fnmatch.fnmatchcase(parts.path, r.pattern))
        if rule is not None:
            if rule.status == 0:
                self.close_connection = True
                self.connection.close()
                return
            self._json(rule.status, {"Code": rule.status, "Message": f"injected HTTP {rule.status}", "Success": False})
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if self.server.role == "cdn":
            self._cdn(method, unquote(parts.path))
            return
        self._route(method, parts.path, query)

    # -- answers

    def _stall(self, what: str, seconds: float) -> bool:
        """Send nothing for `seconds` or until the client hangs up (True), whichever comes first, and log it."""
        self.wfile.flush()
        generation = self.fake._generation
        deadline = time.monotonic() + seconds
        hung_up = False
        while not hung_up and not self.fake._wake.is_set() and (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.02))
            if readable:
                try:
                    hung_up = self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    hung_up = True
                if not hung_up:  # the client sent something (a pipelined request): keep waiting
                    self.fake._wake.wait(min(left, 0.02))
        with self.fake._lock:
            if self.fake._generation == generation:  # an earlier test's stall ending late is not this test's
                self.fake._stalled.append(Stalled(what, hung_up))
        if hung_up:
            self.close_connection = True
        return hung_up

    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        all_headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
        for key, value in all_headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode())

    def _legacy(self, data: Any) -> None:
        request_id = f"fakems-{next(self.fake._ids)}"
        self._json(200, {"Code": 200, "Data": data, "Message": "success", "RequestId": request_id, "Success": True})

    def _legacy_error(self, status: int, message: str) -> None:
        self._json(status, {"Code": status, "Message": message, "Success": False})

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:]
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "m_session_id" and value:
                return value
        return None

    def _repo(self, owner: str, name: str) -> MsRepo | None:
        with self.fake._lock:
            repo = self.fake._repos.get(f"{owner}/{name}")
        if repo is None or (repo.private and self._token() not in repo.access_tokens):
            return None
        return repo

    def _route(self, method: str, path: str, query: dict[str, str]) -> None:
        segs = [unquote(s) for s in path.strip("/").split("/")]
        if segs[:3] == ["openapi", "v1", "models"] and len(segs) == 5:
            if self.fake.redirect_info:
                self._send(302, b"", {"Location": f"{self.fake.cdn_url}/info/{segs[3]}/{segs[4]}"})
                return
            repo = self._repo(segs[3], segs[4])
            if repo is None:
                body = {"success": False, "code": "ResourceNotFound", "message": "model not found", "request_id": "x"}
                self._json(404, body)
                return
            self._json(200, {"success": True, "request_id": f"fakems-{next(self.fake._ids)}", "data": _info(repo)})
            return
        if segs[:3] != ["api", "v1", "models"] or len(segs) < 5:
            self._legacy_error(404, f"no route {path}")
            return
        repo = self._repo(segs[3], segs[4])
        if repo is None:
            self._legacy_error(404, "模型不存在")
            return
        rest = segs[5:]
        if not rest:
            self._legacy({"Path": segs[3], "Name": segs[4], "Downloads": repo.downloads, "Likes": repo.likes})
        elif rest == ["revisions"]:
            self._legacy(
                {
                    "RevisionMap": {
                        "Branches": [{"Revision": b, "CreatedAt": TIMESTAMP} for b in repo.branches],
                        "Tags": [{"Revision": t, "CreatedAt": TIMESTAMP} for t in repo.tags],
                    }
                }
            )
        elif rest == ["repo", "files"]:
            found = repo.at(query.get("Revision", "master"))
            if found is None:
                self._legacy_error(404, f"revision {query.get('Revision')} not found")
                return
            commit, files = found
            entries = [_entry(p, c, commit) | self.fake._listed.get(p, {}) for p, c in sorted(files.items())]
            self._legacy({"Files": entries})
        elif rest == ["repo"]:
            self._file(method, repo, query)
        else:
            self._legacy_error(404, f"no route {path}")

    def _file(self, method: str, repo: MsRepo, query: dict[str, str]) -> None:
        found = repo.at(query.get("Revision", "master"))
        path = query.get("FilePath", "")
        if found is None or path not in found[1]:
            self._legacy_error(404, f"file {path} not found")
            return
        if repo.gated and self._token() not in repo.access_tokens:
            self._legacy_error(403, "该模型需要申请授权后才能下载")
            return
        content = found[1][path]
        if self.fake.redirect_lfs and path.endswith(LFS_SUFFIXES):
            location = f"{self.fake.cdn_url}/{repo.repo_id}/{quote(found[0])}/{quote(path)}"
            self._send(302, b"", {"Location": location})
            return
        self._body(method, path, content)

    def _cdn(self, method: str, path: str) -> None:
        if path.startswith("/info/"):
            with self.fake._lock:
                found = self.fake._repos.get(path[len("/info/") :])
            if found is None:
                self._json(404, {"success": False, "code": "ResourceNotFound", "message": "model not found"})
            else:
                self._json(200, {"success": True, "data": _info(found)})
            return
        owner, name, commit, file_path = path.lstrip("/").split("/", 3)
        with self.fake._lock:
            repo = self.fake._repos.get(f"{owner}/{name}")
        files = repo.history.get(commit) if repo is not None else None
        if files is None or file_path not in files:
            self._send(404, b"NoSuchKey", {"Content-Type": "application/xml"})
            return
        self._body(method, file_path, files[file_path], {"X-Linked-ETag": f'"{sha256_hex(files[file_path])}"'})

    def _body(self, method: str, path: str, content: bytes, extra: Mapping[str, str] | None = None) -> None:
        content = self.fake._corrupt.get(path, content)
        range_header = self.headers.get("Range")
        head = send_body_head(self, method, len(content), extra or {}, support_range=self.fake.support_range)
        if head is None:
            return
        status, start, length = head
        drop = self.fake._take(self.fake._drops, lambda d: d[0] == path)
        limit = length if drop is None else min(length, drop[1])
        pause = self.fake._take(self.fake._body_stalls, lambda s: s[0] == path and s[1] < limit)
        sent = 0
        with self.fake._lock:
            self.fake._bodies_in_flight += 1
        try:
            for chunk in _chunks(content, start, start + limit):
                if pause is not None and sent <= pause[1] < sent + len(chunk):
                    head = pause[1] - sent
                    self.wfile.write(chunk[:head])
                    sent += head
                    if self._stall(path, pause[2]):
                        break
                    chunk = chunk[head:]
                self.wfile.write(chunk)
                sent += len(chunk)
                if self.fake.throughput and self.fake._wake.wait(len(chunk) / self.fake.throughput):
                    break
        finally:
            with self.fake._bodies_done:
                self.fake._transfers.append(
                    Transfer(method, self.path, path, status, range_header, length, sent, sent < length)
                )
                self.fake._bodies_in_flight -= 1
                self.fake._bodies_done.notify_all()
        if sent < length:
            self.close_connection = True
            self.wfile.flush()
            self.connection.close()


def _entry(path: str, content: bytes, commit: str) -> dict[str, Any]:
    return {
        "Name": path.rsplit("/", 1)[-1],
        "Path": path,
        "Type": "blob",
        "Size": len(content),
        "Sha256": sha256_hex(content),
        "IsLFS": path.endswith(LFS_SUFFIXES),
        "Revision": commit,
        "CommittedDate": TIMESTAMP,
        "Mode": "100644",
    }


def _info(repo: MsRepo) -> dict[str, Any]:
    return {
        "id": repo.repo_id,
        "display_name": repo.repo_id.split("/", 1)[1],
        "description": "",
        "downloads": repo.downloads,
        "likes": repo.likes,
        "license": repo.license,
        "tasks": ["text-generation"],
        "created_at": "2024-06-01T00:00:00Z",
        "last_modified": "2024-06-01T00:00:00Z",
        "file_size": sum(len(c) for c in repo.files.values()),
        "params": 0,
        "tags": [],
        "private": repo.private,
        "gated": repo.gated,
    }

"""The fake Hub speaks the real huggingface_hub client's language (no huggingface_hub function is patched).

Speed notes (the whole file runs in a few seconds):
* ``model_info`` / ``repo_info`` never retry; ``list_repo_tree`` and the *second* HEAD round of
  ``hf_hub_download`` use ``http_backoff`` (sleeps 1, 2, 4, 8, 8 s; ``Retry-After + 1`` s on 429), the GET of a
  file retries 429 the same way and resumes dropped bodies after ``time.sleep(1)``. Tests exercising those paths
  use the ``hf_sleeps`` fixture, which makes the sleeps instantaneous and records them.
* A single transient failure of the first HEAD costs no sleep at all (the client retries once immediately).
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fakehub import CLOSED_ENDPOINT, FakeHub, SleepRecorder, git_blob_sha1, sha256_hex
from huggingface_hub import (
    HfApi,
    RepoFile,
    constants,
    get_hf_file_metadata,
    get_token,
    hf_hub_download,
    hf_hub_url,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import DryRunFileInfo

REPO = "THUDM/chatglm-6b"
SHA = "0123456789abcdef0123456789abcdef01234567"
MiB = 1024 * 1024


def _files() -> dict[str, bytes]:
    return {
        "config.json": b'{"model_type": "chatglm"}',
        "README.md": b"---\nlicense: apache-2.0\n---\n# chatglm\n",
        "tokenizer_config.json": b"{}",
        "pytorch_model-00001-of-00002.bin": os.urandom(300_000),
        "pytorch_model-00002-of-00002.bin": os.urandom(200_000),
        "sub/dir/ice_text.model": os.urandom(5_000),
    }


@pytest.fixture
def repo(fakehub: FakeHub) -> dict[str, bytes]:
    files = _files()
    fakehub.add_repo(
        REPO,
        files=files,
        downloads=1234,
        likes=56,
        license="apache-2.0",
        sha=SHA,
        safetensors_total=6_173_286_400,
        last_modified="2023-06-01T00:00:00.000Z",
        tags=["transformers", "chatglm"],
        pipeline_tag="text-generation",
    )
    return files


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    }


# --------------------------------------------------------------------------------------------------------------------
# Sandbox (conftest)
# --------------------------------------------------------------------------------------------------------------------


def test_sandbox_isolates_from_real_hub_and_token(_hf_sandbox: Path) -> None:
    assert os.environ["HF_ENDPOINT"] == CLOSED_ENDPOINT
    assert constants.ENDPOINT == CLOSED_ENDPOINT
    assert constants.HUGGINGFACE_CO_URL_TEMPLATE.startswith(CLOSED_ENDPOINT + "/")
    assert hf_hub_url("a/b", "c.json") == f"{CLOSED_ENDPOINT}/a/b/resolve/main/c.json"
    for name in ("HF_HOME", "HF_HUB_CACHE", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH", "HF_XET_CACHE"):
        assert Path(getattr(constants, name)).is_relative_to(_hf_sandbox), name
    for name in ("HF_HOME", "HF_HUB_CACHE", "LLMZH_CACHE_DIR", "LLMZH_HOME"):
        assert Path(os.environ[name]).is_relative_to(_hf_sandbox), name
    assert "HF_TOKEN" not in os.environ and "HUGGING_FACE_HUB_TOKEN" not in os.environ
    assert get_token() is None
    assert constants.HF_HUB_OFFLINE is False and "HF_HUB_OFFLINE" not in os.environ
    assert (os.environ["NO_COLOR"], os.environ["COLUMNS"], os.environ["LLMZH_LANG"]) == ("1", "120", "en")


def test_sandbox_blocks_non_loopback_network() -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("huggingface.co", 443)
    with pytest.raises(ConnectionRefusedError), socket.socket() as sock:
        sock.connect(("8.8.8.8", 53))


def test_default_endpoint_is_unreachable_and_fails_fast() -> None:
    start = time.monotonic()
    with pytest.raises(httpx2.ConnectError):
        HfApi().model_info("gpt2")  # model_info does not retry
    assert time.monotonic() - start < 2


def test_fakehub_fixture_points_client_at_server(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    assert os.environ["HF_ENDPOINT"] == fakehub.url == constants.ENDPOINT
    assert HfApi().model_info(REPO).sha == SHA  # no explicit endpoint needed
    assert hf_hub_url(REPO, "config.json") == f"{fakehub.url}/{REPO}/resolve/main/config.json"


# --------------------------------------------------------------------------------------------------------------------
# model_info / tree
# --------------------------------------------------------------------------------------------------------------------


def test_model_info_with_files_metadata(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    info = HfApi(endpoint=fakehub.url).model_info(REPO, files_metadata=True)

    assert [r.path for r in fakehub.requests] == [f"/api/models/{REPO}?blobs=true"]
    assert info.id == REPO
    assert info.sha == SHA
    assert (info.downloads, info.likes) == (1234, 56)
    assert info.last_modified is not None and info.last_modified.isoformat() == "2023-06-01T00:00:00+00:00"
    assert info.gated is False
    assert info.card_data is not None and info.card_data.license == "apache-2.0"
    assert info.tags is not None and "license:apache-2.0" in info.tags
    assert info.pipeline_tag == "text-generation"
    assert info.safetensors is not None and info.safetensors.total == 6_173_286_400
    assert info.safetensors.parameters == {"F16": 6_173_286_400}
    assert info.siblings is not None
    siblings = {s.rfilename: s for s in info.siblings}
    assert set(siblings) == set(repo)
    for name, content in repo.items():
        assert siblings[name].size == len(content)
    weights = siblings["pytorch_model-00001-of-00002.bin"]
    assert weights.lfs is not None
    assert weights.lfs.sha256 == sha256_hex(repo["pytorch_model-00001-of-00002.bin"])
    assert weights.lfs.size == 300_000
    assert siblings["config.json"].lfs is None
    assert siblings["config.json"].blob_id == git_blob_sha1(repo["config.json"])
    assert siblings["sub/dir/ice_text.model"].lfs is not None  # *.model is an LFS pattern


def test_model_info_without_files_metadata(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    info = HfApi(endpoint=fakehub.url).model_info(REPO)
    assert [r.path for r in fakehub.requests] == [f"/api/models/{REPO}"]
    assert info.siblings is not None
    assert {s.rfilename for s in info.siblings} == set(repo)
    assert all(s.size is None and s.lfs is None for s in info.siblings)


def test_model_info_expand(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    info = HfApi(endpoint=fakehub.url).model_info(REPO, expand=["downloads", "likes"])
    assert fakehub.requests[0].path == f"/api/models/{REPO}?expand=downloads&expand=likes"
    assert (info.downloads, info.likes, info.sha, info.siblings) == (1234, 56, None, None)


def test_model_info_revisions(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    api = HfApi(endpoint=fakehub.url)
    new_main = fakehub.commit(REPO, {"config.json": b'{"v": 2}'}, delete=["tokenizer_config.json"])
    fakehub.add_ref(REPO, "v1.0", SHA, tag=True)
    fakehub.add_ref(REPO, "refs/pr/1", SHA)

    assert api.model_info(REPO).sha == new_main
    assert api.model_info(REPO, revision="v1.0").sha == SHA
    assert api.model_info(REPO, revision="refs/pr/1").sha == SHA  # sent as refs%2Fpr%2F1
    assert api.model_info(REPO, revision=SHA[:10]).sha == SHA
    assert "/revision/refs%2Fpr%2F1" in fakehub.requests[2].path
    assert api.list_repo_files(REPO, revision="v1.0") == sorted(repo)
    assert "tokenizer_config.json" not in api.list_repo_files(REPO)
    refs = api.list_repo_refs(REPO)
    assert {b.name for b in refs.branches} == {"main", "refs/pr/1"}
    assert [t.name for t in refs.tags] == ["v1.0"]


def test_list_repo_tree_is_paginated(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    fakehub.tree_page_size = 2
    api = HfApi(endpoint=fakehub.url)
    entries = list(api.list_repo_tree(REPO, recursive=True))
    assert {e.path for e in entries} == set(repo) | {"sub", "sub/dir"}
    assert fakehub.count("GET", f"/api/models/{REPO}/tree/main") == 4  # 8 entries, 2 per page
    top = {e.path for e in api.list_repo_tree(REPO)}
    assert top == {p for p in repo if "/" not in p} | {"sub"}
    assert {e.path for e in api.list_repo_tree(REPO, path_in_repo="sub/dir")} == {"sub/dir/ice_text.model"}
    [info] = api.get_paths_info(REPO, ["pytorch_model-00001-of-00002.bin"])
    assert isinstance(info, RepoFile) and info.size == 300_000


# --------------------------------------------------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------------------------------------------------


def test_snapshot_download_local_dir_is_byte_identical(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path
) -> None:
    local_dir = tmp_path / "out"
    result = snapshot_download(REPO, endpoint=fakehub.url, local_dir=local_dir, cache_dir=tmp_path / "cache")

    assert Path(result) == local_dir
    assert _tree_bytes(local_dir) == repo
    for name in repo:
        assert hashlib.sha256((local_dir / name).read_bytes()).hexdigest() == fakehub.file_sha256(REPO, name)
    # What the client did: repo_info, one tree listing, then HEAD + GET per file (LFS bodies come from the CDN).
    assert fakehub.count("GET", f"/api/models/{REPO}/revision/main") == 1
    assert fakehub.count("GET", f"/api/models/{REPO}/tree/{SHA}") == 1
    assert fakehub.count("HEAD", f"/{REPO}/resolve/{SHA}/*") == len(repo)
    assert fakehub.count("GET", f"/{REPO}/resolve/{SHA}/*") == 3  # the non-LFS files
    assert fakehub.count("GET", "/cdn-lfs/*") == 3  # the LFS files
    assert not any("xet" in r.path.lower() for r in fakehub.requests)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.incomplete"))


def test_snapshot_download_cache_dir_is_byte_identical(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    result = Path(snapshot_download(REPO, endpoint=fakehub.url, cache_dir=cache_dir))

    assert result == cache_dir / "models--THUDM--chatglm-6b" / "snapshots" / SHA
    assert _tree_bytes(result) == repo
    assert (cache_dir / "models--THUDM--chatglm-6b" / "refs" / "main").read_text() == SHA
    blobs = {p.name for p in (cache_dir / "models--THUDM--chatglm-6b" / "blobs").iterdir()}
    assert blobs == {fakehub.file(REPO, name).etag for name in repo}  # sha256 for LFS, git sha1 otherwise

    # Second run at the same revision: metadata calls only, no body is downloaded again.
    fakehub.reset_requests()
    assert Path(snapshot_download(REPO, endpoint=fakehub.url, cache_dir=cache_dir)) == result
    assert fakehub.transfers == []
    # Pinned to the commit sha and fully cached: no request at all.
    fakehub.reset_requests()
    snapshot_download(REPO, endpoint=fakehub.url, cache_dir=cache_dir, revision=SHA)
    assert fakehub.requests == []


def test_snapshot_download_allow_patterns(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    local_dir = tmp_path / "out"
    snapshot_download(
        REPO,
        endpoint=fakehub.url,
        local_dir=local_dir,
        cache_dir=tmp_path / "cache",
        allow_patterns=["*.json", "sub/*"],
    )
    expected = {k: v for k, v in repo.items() if k.endswith(".json") or k.startswith("sub/")}
    assert _tree_bytes(local_dir) == expected
    assert {t.filename for t in fakehub.transfers} == set(expected)


def test_snapshot_download_revision(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    fakehub.commit(REPO, {"config.json": b'{"v": 2}'})
    fakehub.add_ref(REPO, "v1.0", SHA, tag=True)
    old = Path(snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path, revision="v1.0"))
    new = Path(snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path, allow_patterns="config.json"))
    assert old.name == SHA and (old / "config.json").read_bytes() == repo["config.json"]
    assert (new / "config.json").read_bytes() == b'{"v": 2}'


def test_snapshot_download_dry_run(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    plan = snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path, dry_run=True)
    assert all(isinstance(p, DryRunFileInfo) for p in plan)
    assert {p.filename: p.file_size for p in plan} == {k: len(v) for k, v in repo.items()}
    assert all(p.will_download and not p.is_cached and p.commit_hash == SHA for p in plan)
    assert fakehub.transfers == [] and fakehub.count("GET", "/cdn-lfs/*") == 0  # HEADs only

    hf_hub_download(REPO, "config.json", endpoint=fakehub.url, cache_dir=tmp_path)
    plan = snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path, dry_run=True)
    assert {p.filename for p in plan if p.is_cached} == {"config.json"}


class RecordingBar:
    """Duck-typed progress bar: the whole interface ``snapshot_download(tqdm_class=...)`` and
    ``hf_hub_download(tqdm_class=...)`` use (no tqdm needed, so a rich-based adapter can be plugged in)."""

    instances: list[RecordingBar] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.desc: str | None = kwargs.get("desc")
        self.total: float | None = kwargs.get("total")
        self.n: float = kwargs.get("initial") or 0
        self.format_dict: dict[str, Any] = {"rate": None}
        self.updates: list[float] = []
        RecordingBar.instances.append(self)

    def __enter__(self) -> RecordingBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: float | None = 1) -> None:
        self.updates.append(n or 0)
        self.n += n or 0

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc

    def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass


def test_progress_through_custom_tqdm_class(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    RecordingBar.instances = []
    snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path / "a", tqdm_class=RecordingBar)
    transfer, reconstruct, files = RecordingBar.instances
    assert [b.kwargs["desc"] for b in (transfer, reconstruct, files)] == [
        "Downloading bytes",
        "Reconstructing (incomplete total...)",
        f"Fetching {len(repo)} files",
    ]
    total = sum(len(v) for v in repo.values())
    assert (reconstruct.n, reconstruct.total) == (total, total)  # bytes written, across all files
    assert transfer.n == total  # bytes received from the network
    assert (files.n, files.total) == (len(repo), len(repo))
    assert (transfer.desc, reconstruct.desc) == ("Download complete", "Reconstruction complete")

    RecordingBar.instances = []
    name = "pytorch_model-00001-of-00002.bin"
    hf_hub_download(REPO, name, endpoint=fakehub.url, cache_dir=tmp_path / "b", tqdm_class=RecordingBar)
    [bar] = RecordingBar.instances  # one bar per file, desc = filename from Content-Disposition
    assert (bar.kwargs["desc"], bar.total, bar.n) == (name, 300_000, 300_000)


def test_hf_hub_download_headers_and_token_not_sent_to_cdn(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path
) -> None:
    fakehub.set_gated(REPO, "manual", access_tokens={"hf_granted"})
    path = hf_hub_download(
        REPO, "pytorch_model-00001-of-00002.bin", endpoint=fakehub.url, cache_dir=tmp_path, token="hf_granted"
    )
    assert Path(path).read_bytes() == repo["pytorch_model-00001-of-00002.bin"]
    head, get = fakehub.requests
    assert head.method == "HEAD" and head.headers["authorization"] == "Bearer hf_granted"
    assert head.headers["accept-encoding"] == "identity"
    assert "hf_hub/" in head.headers["user-agent"]
    assert get.method == "GET" and get.path.startswith("/cdn-lfs/")
    assert "authorization" not in get.headers  # the client strips the token for the CDN origin

    meta = get_hf_file_metadata(hf_hub_url(REPO, "config.json", endpoint=fakehub.url), token="hf_granted")
    assert meta.commit_hash == SHA and meta.etag == git_blob_sha1(repo["config.json"])
    assert meta.size == len(repo["config.json"]) and meta.xet_file_data is None
    lfs_url = hf_hub_url(REPO, "pytorch_model-00001-of-00002.bin", endpoint=fakehub.url)
    lfs = get_hf_file_metadata(lfs_url, token="hf_granted")
    assert lfs.etag == fakehub.file_sha256(REPO, "pytorch_model-00001-of-00002.bin")
    assert lfs.size == 300_000 and lfs.location.startswith(fakehub.cdn_url)


def test_no_xet_even_when_xet_is_enabled(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)  # hf_xet is installed in the venv
    local_dir = tmp_path / "out"
    snapshot_download(REPO, endpoint=fakehub.url, local_dir=local_dir)
    assert _tree_bytes(local_dir) == repo
    assert fakehub.count("GET", "/cdn-lfs/*") == 3
    assert not any("xet" in r.path.lower() for r in fakehub.requests)


def test_lfs_served_without_redirect_and_datasets(fakehub: FakeHub, tmp_path: Path) -> None:
    fakehub.lfs_redirect = False
    fakehub.add_repo("org/data", {"train.safetensors": b"\x00" * 1000, "README.md": "hi"}, repo_type="dataset")
    out = snapshot_download("org/data", repo_type="dataset", endpoint=fakehub.url, local_dir=tmp_path / "d")
    assert _tree_bytes(Path(out)) == {"train.safetensors": b"\x00" * 1000, "README.md": b"hi"}
    assert fakehub.count("GET", "/cdn-lfs/*") == 0
    assert fakehub.count("GET", "/datasets/org/data/resolve/*") == 2


# --------------------------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------------------------


def test_repo_not_found(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    api = HfApi(endpoint=fakehub.url)
    with pytest.raises(RepositoryNotFoundError) as anonymous:
        api.model_info("nobody/nothing")
    assert anonymous.value.response.status_code == 401  # like the Hub for anonymous callers
    with pytest.raises(RepositoryNotFoundError) as authenticated:
        api.model_info("nobody/nothing", token="hf_x")
    assert authenticated.value.response.status_code == 404
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody/nothing", "config.json", endpoint=fakehub.url, cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        snapshot_download("nobody/nothing", endpoint=fakehub.url, cache_dir=tmp_path)

    fakehub.mark_gone(REPO)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(REPO)
    fakehub.mark_gone(REPO, gone=False)
    assert api.model_info(REPO).sha == SHA
    fakehub.remove_repo(REPO)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(REPO)


def test_gated_repo(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    fakehub.set_gated(REPO, "manual", access_tokens={"hf_granted"})
    api = HfApi(endpoint=fakehub.url)
    assert api.model_info(REPO).gated == "manual"  # metadata stays public

    with pytest.raises(GatedRepoError) as anonymous:
        hf_hub_download(REPO, "config.json", endpoint=fakehub.url, cache_dir=tmp_path)
    assert anonymous.value.response.status_code == 401
    assert anonymous.value.response.headers["X-Error-Code"] == "GatedRepo"
    assert anonymous.value.server_message is not None and "restricted" in anonymous.value.server_message
    with pytest.raises(GatedRepoError) as denied:
        snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path, token="hf_other")
    assert denied.value.response.status_code == 403
    assert isinstance(denied.value, RepositoryNotFoundError)  # GatedRepoError subclasses it: catch it first!

    # README.md stays downloadable, and an authorized token gets everything.
    hf_hub_download(REPO, "README.md", endpoint=fakehub.url, cache_dir=tmp_path)
    out = snapshot_download(REPO, endpoint=fakehub.url, local_dir=tmp_path / "ok", token="hf_granted")
    assert _tree_bytes(Path(out)) == repo


def test_private_repo(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    fakehub.set_private(REPO, access_tokens={"hf_owner"})
    api = HfApi(endpoint=fakehub.url)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(REPO)
    assert api.model_info(REPO, token="hf_owner").private is True


def test_revision_and_entry_not_found(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    api = HfApi(endpoint=fakehub.url)
    with pytest.raises(RevisionNotFoundError):
        api.model_info(REPO, revision="does-not-exist")
    with pytest.raises(RevisionNotFoundError):
        snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path, revision="does-not-exist")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(REPO, "config.json", endpoint=fakehub.url, cache_dir=tmp_path, revision="does-not-exist")
    with pytest.raises(RemoteEntryNotFoundError) as missing:
        hf_hub_download(REPO, "nope.bin", endpoint=fakehub.url, cache_dir=tmp_path)
    assert isinstance(missing.value, EntryNotFoundError) and isinstance(missing.value, HfHubHTTPError)
    # The client caches the non-existence of the file at that commit (X-Repo-Commit on the 404).
    assert (tmp_path / "models--THUDM--chatglm-6b" / ".no_exist" / SHA / "nope.bin").exists()


def test_server_errors_on_model_info_are_not_retried(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    api = HfApi(endpoint=fakehub.url)
    fakehub.fail_next("/api/models/*", status=503)
    with pytest.raises(HfHubHTTPError) as server_error:
        api.model_info(REPO)
    assert server_error.value.response.status_code == 503
    assert not isinstance(server_error.value, RepositoryNotFoundError)

    fakehub.fail_next("/api/models/*", status=429, retry_after=30)
    start = time.monotonic()
    with pytest.raises(HfHubHTTPError) as rate_limited:
        api.model_info(REPO)
    assert time.monotonic() - start < 2  # no sleep: model_info raises at once
    assert rate_limited.value.response.status_code == 429
    assert rate_limited.value.response.headers["Retry-After"] == "30"
    assert fakehub.count("GET", "/api/models/*") == 2
    assert api.model_info(REPO).sha == SHA  # the rules were one-shot


def test_transient_head_failure_is_retried_at_once(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    fakehub.fail_next("*/resolve/*", status=503, method="HEAD")
    start = time.monotonic()
    path = hf_hub_download(REPO, "config.json", endpoint=fakehub.url, cache_dir=tmp_path)
    assert Path(path).read_bytes() == repo["config.json"]
    assert fakehub.count("HEAD") == 2
    assert time.monotonic() - start < 1


def test_persistent_5xx_backoff_schedule(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path, hf_sleeps: SleepRecorder
) -> None:
    fakehub.fail_next("*/resolve/*", status=503, times=None, method="HEAD")
    with pytest.raises(LocalEntryNotFoundError) as excinfo:
        hf_hub_download(REPO, "config.json", endpoint=fakehub.url, cache_dir=tmp_path)
    assert isinstance(excinfo.value.__cause__, HfHubHTTPError)
    assert fakehub.count("HEAD") == 7  # 1 fast try + 1 + 5 retries
    assert hf_sleeps.calls == [1, 2, 4, 8, 8]  # 23 s of real time without the fixture


def test_429_on_file_body_honours_retry_after(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path, hf_sleeps: SleepRecorder
) -> None:
    fakehub.fail_next("/cdn-lfs/*", status=429, times=2, method="GET", retry_after=3)
    path = hf_hub_download(REPO, "pytorch_model-00002-of-00002.bin", endpoint=fakehub.url, cache_dir=tmp_path)
    assert Path(path).read_bytes() == repo["pytorch_model-00002-of-00002.bin"]
    assert hf_sleeps.calls == [4.0, 4.0]  # Retry-After + 1
    fakehub.fail_next("/cdn-lfs/*", status=500, method="GET")
    with pytest.raises(HfHubHTTPError) as excinfo:  # a 5xx on the GET itself is not retried
        hf_hub_download(REPO, "pytorch_model-00001-of-00002.bin", endpoint=fakehub.url, cache_dir=tmp_path)
    assert excinfo.value.response.status_code == 500


def test_snapshot_download_5xx_on_repo_info_is_local_entry_not_found(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path
) -> None:
    fakehub.fail_next("/api/models/*/revision/*", status=500)
    with pytest.raises(LocalEntryNotFoundError) as excinfo:
        snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path)
    assert isinstance(excinfo.value.__cause__, HfHubHTTPError)


def test_disconnect_without_response_surfaces_raw_httpx_error(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    fakehub.fail_next("/api/models/*", disconnect=True)
    with pytest.raises(httpx2.RemoteProtocolError):
        HfApi(endpoint=fakehub.url).model_info(REPO)


# --------------------------------------------------------------------------------------------------------------------
# Dropped connections, resume, latency
# --------------------------------------------------------------------------------------------------------------------


def test_cut_transfer_resumes_with_range(fakehub: FakeHub, tmp_path: Path, hf_sleeps: SleepRecorder) -> None:
    content = os.urandom(12 * MiB)  # resume granularity is DOWNLOAD_CHUNK_SIZE (10 MiB)
    fakehub.add_repo("org/big", {"model.safetensors": content})
    fakehub.drop_file("model.safetensors", after_bytes=11 * MiB)

    path = hf_hub_download("org/big", "model.safetensors", endpoint=fakehub.url, cache_dir=tmp_path)

    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == fakehub.file_sha256("org/big", "model.safetensors")
    first, second = fakehub.transfers
    assert first.dropped and first.sent == 11 * MiB and first.range is None
    assert second.range == f"bytes={constants.DOWNLOAD_CHUNK_SIZE}-" and second.status == 206
    assert second.sent == len(content) - constants.DOWNLOAD_CHUNK_SIZE < len(content)
    assert [r.headers.get("range") for r in fakehub.requests_matching("GET", "/cdn-lfs/*")] == [None, second.range]
    assert hf_sleeps.calls == [1]


def test_cut_transfer_small_chunks_resume_exactly(
    fakehub: FakeHub, tmp_path: Path, hf_sleeps: SleepRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1024)  # read at call time
    content = os.urandom(100_000)
    fakehub.add_repo("org/m", {"weights.gguf": content})
    fakehub.drop_file("weights.gguf", after_bytes=40_000)
    local_dir = tmp_path / "out"
    hf_hub_download("org/m", "weights.gguf", endpoint=fakehub.url, local_dir=local_dir)
    assert (local_dir / "weights.gguf").read_bytes() == content
    resumed_at = 40_000 // 1024 * 1024  # the last incomplete 1 KiB chunk is lost
    assert [t.range for t in fakehub.transfers] == [None, f"bytes={resumed_at}-"]
    assert fakehub.bytes_sent("weights.gguf") == 40_000 + 100_000 - resumed_at


def test_rerun_after_failed_transfer_starts_over(fakehub: FakeHub, tmp_path: Path) -> None:
    content = os.urandom(12 * MiB)
    fakehub.add_repo("org/big", {"model.safetensors": content})
    fakehub.drop_file("model.safetensors", after_bytes=11 * MiB, reset=True)  # RST: not retried by the client
    local_dir = tmp_path / "out"

    with pytest.raises(httpx2.ReadError):
        hf_hub_download("org/big", "model.safetensors", endpoint=fakehub.url, local_dir=local_dir)
    assert not [p for p in local_dir.rglob("*") if p.is_file() and p.suffix == ".incomplete"]
    assert not (local_dir / "model.safetensors").exists()

    hf_hub_download("org/big", "model.safetensors", endpoint=fakehub.url, local_dir=local_dir)
    assert (local_dir / "model.safetensors").read_bytes() == content
    assert [t.range for t in fakehub.transfers] == [None, None]  # the partial file was discarded


def test_server_side_range_support(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    url = hf_hub_url(REPO, "config.json", endpoint=fakehub.url)
    with httpx2.Client() as client:
        partial = client.get(url, headers={"Range": "bytes=2-5"})
        assert (partial.status_code, partial.content) == (206, repo["config.json"][2:6])
        assert partial.headers["Content-Range"] == f"bytes 2-5/{len(repo['config.json'])}"
        assert client.get(url, headers={"Range": "bytes=9999-"}).status_code == 416
        fakehub.support_range = False
        full = client.get(url, headers={"Range": "bytes=2-"})
        assert (full.status_code, full.content) == (200, repo["config.json"])


def test_latency_and_timeouts(fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path) -> None:
    api = HfApi(endpoint=fakehub.url)
    fakehub.latency = 0.15
    start = time.monotonic()
    api.model_info(REPO)
    assert time.monotonic() - start >= 0.15
    with pytest.raises(httpx2.ReadTimeout):
        api.model_info(REPO, timeout=0.05)
    # HEAD timing out on etag_timeout is retried once with a 60 s timeout (file_download._ETAG_RETRY_TIMEOUT).
    path = hf_hub_download(REPO, "config.json", endpoint=fakehub.url, cache_dir=tmp_path, etag_timeout=0.05)
    assert Path(path).read_bytes() == repo["config.json"]
    assert fakehub.count("HEAD") == 2


def test_request_recording(fakehub: FakeHub, repo: dict[str, bytes]) -> None:
    api = HfApi(endpoint=fakehub.url)
    api.model_info(REPO)
    api.model_info(REPO, revision="main")
    assert fakehub.count() == 2
    method, path, headers = fakehub.requests[1]
    assert (method, path) == ("GET", f"/api/models/{REPO}/revision/main")
    assert headers["host"] == fakehub.url.removeprefix("http://")
    fakehub.reset_requests()
    assert fakehub.requests == [] and fakehub.count() == 0


def test_offline_mode_sends_nothing(
    fakehub: FakeHub, repo: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot_download(REPO, endpoint=fakehub.url, cache_dir=tmp_path, allow_patterns="config.json")
    fakehub.reset_requests()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # HF_HUB_OFFLINE env var is read at import only
    with pytest.raises(OfflineModeIsEnabled):
        HfApi(endpoint=fakehub.url).model_info(REPO)
    cached = hf_hub_download(REPO, "config.json", endpoint=fakehub.url, cache_dir=tmp_path)
    assert Path(cached).read_bytes() == repo["config.json"]
    with pytest.raises(LocalEntryNotFoundError):
        hf_hub_download(REPO, "tokenizer_config.json", endpoint=fakehub.url, cache_dir=tmp_path)
    assert fakehub.requests == []

"""ModelScope as a second source: the real `modelscope_hub` client against the fake ModelScope on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakehub import FakeHub
from fakemodelscope import FakeModelScope, Stalled
from spawned import spawn, wait_for_partial
from typer.testing import CliRunner

from llmzh import modelscope as ms
from llmzh.cli import app
from llmzh.errors import HubError, UsageError
from llmzh.source import parse

runner = CliRunner()
REPO = "Qwen/Qwen2.5-0.5B-Instruct"  # the catalog's `modelscope` id of qwen2.5-0.5b-instruct
WEIGHTS = "model.safetensors"
SECRET = "ms-SECRETsecretSECRET123"


def payload(size: int, seed: str) -> bytes:
    block = hashlib.sha256(seed.encode()).digest() * 2048
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(block + counter.to_bytes(8, "big")).digest() * 2048
        counter += 1
    return bytes(out[:size])


FILES = {
    "config.json": b'{"model_type": "qwen2", "num_hidden_layers": 24}',
    "tokenizer/vocab.json": b'{"a": 1}',
    WEIGHTS: payload(2**20, "qwen"),  # 1 MB as every size prints: MB of 2^20 bytes
}


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env)


def snapshot(repo: str = REPO, revision: str = "master") -> Path:
    return ms.cache_root() / "models" / repo.replace("/", "--") / "snapshots" / revision


def file_gets(server: FakeModelScope, path: str) -> list[Any]:
    return [t for t in server.transfers if t.filename == path]


@pytest.fixture
def qwen(fakems: FakeModelScope) -> FakeModelScope:
    fakems.add_repo(REPO, FILES, downloads=1234, likes=56, license="apache-2.0")
    return fakems


# ---------------------------------------------------------------- listing and revisions


def test_listing_has_sizes_and_sha256_and_follows_revisions(qwen: FakeModelScope) -> None:
    settings = ms.MsSettings.from_options()
    listing = ms.list_repo(REPO, settings)
    assert (listing.repo, listing.revision, listing.source) == (REPO, "master", "modelscope")
    assert {f.path: (f.size, f.sha256) for f in listing.files} == {
        p: (len(c), hashlib.sha256(c).hexdigest()) for p, c in FILES.items()
    }
    qwen.add_branch(REPO, "v2", {"config.json": b"{}"})
    assert [f.path for f in ms.list_repo(REPO, settings, revision="v2").files] == ["config.json"]
    with pytest.raises(HubError, match="no revision 'v9'"):
        ms.list_repo(REPO, settings, revision="v9")


def test_live_figures_are_labelled_and_cached(qwen: FakeModelScope) -> None:
    settings = ms.MsSettings.from_options()
    info = ms.fetch_infos([REPO], settings)[REPO]
    assert (info.status, info.downloads, info.likes, info.license) == ("ok", 1234, 56, "apache-2.0")
    assert info.weights_bytes == 2**20 and info.size_bytes == sum(len(c) for c in FILES.values())
    before = len(qwen.requests)
    assert ms.fetch_infos([REPO], settings)[REPO].cached
    assert len(qwen.requests) == before


# ---------------------------------------------------------------- download


def test_download_from_modelscope_gets_the_same_files_as_from_the_hub(
    qwen: FakeModelScope, fakehub: FakeHub, tmp_path: Path
) -> None:
    fakehub.add_repo(REPO, FILES)
    from_hub = run("download", "qwen2.5-0.5b-instruct", "--source", "hf", "--local-dir", str(tmp_path / "hf"))
    assert from_hub.exit_code == 0, from_hub.stderr
    result = run("download", "qwen2.5-0.5b-instruct", "--source", "modelscope")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{REPO}: 3 files, 1 MB in {snapshot()}\n"
    assert "destination: the ModelScope cache" in result.stderr
    for path, content in FILES.items():
        assert (snapshot() / path).read_bytes() == content == (tmp_path / "hf" / path).read_bytes()


def test_plan_with_sizes_before_any_byte_moves(qwen: FakeModelScope) -> None:
    result = run("download", REPO, "--source", "modelscope", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    (part,) = plan["repos"]
    assert plan["source"] == "modelscope"
    assert part["total_bytes"] == sum(len(c) for c in FILES.values()) == part["missing_bytes"]
    assert {f["path"]: f["size"] for f in part["files"]} == {p: len(c) for p, c in FILES.items()}
    assert plan["destination"] == str(ms.cache_root())
    assert qwen.transfers == [] and not snapshot().exists()


def test_disk_check_refuses_before_any_byte(qwen: FakeModelScope, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmzh import download as download_mod

    monkeypatch.setattr(download_mod, "free_space", lambda path: 1000)
    result = run("download", REPO, "--source", "modelscope")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: not enough disk space in ")
    assert qwen.transfers == []


def test_a_cut_within_a_run_is_resumed_with_a_range_request(qwen: FakeModelScope) -> None:
    qwen.drop_file(WEIGHTS, 300_000)
    result = run("download", REPO, "--source", "modelscope", "--verify")
    assert result.exit_code == 0, result.stderr
    assert (snapshot() / WEIGHTS).read_bytes() == FILES[WEIGHTS]
    ranges = [t.range for t in file_gets(qwen, WEIGHTS)]
    assert ranges[0] is None and "bytes=300000-" in ranges  # on the API host and the storage host alike
    assert "verified 3 files" in result.stdout and "all match" in result.stdout


def test_an_interrupted_download_resumes_on_the_next_run_byte_identical(qwen: FakeModelScope) -> None:
    qwen.drop_file(WEIGHTS, 50_000, times=None)  # every attempt cut: the client gives up, keeping the partial
    first = run("download", REPO, "--source", "modelscope")
    assert first.exit_code == 1
    assert "what arrived is kept" in first.stderr and "run the same command again" in first.stderr
    partial = snapshot() / f"{WEIGHTS}.incomplete"
    kept = partial.stat().st_size
    assert 0 < kept < len(FILES[WEIGHTS])

    plan = json.loads(run("download", REPO, "--source", "modelscope", "--dry-run", "--json").stdout)
    weights = next(f for f in plan["repos"][0]["files"] if f["path"] == WEIGHTS)
    assert weights["partial_bytes"] == kept and plan["missing_bytes"] == len(FILES[WEIGHTS]) - kept

    with qwen._lock:
        qwen._drops.clear()
    before = qwen.bytes_sent(WEIGHTS)
    second = run("download", REPO, "--source", "modelscope", "--verify")
    assert second.exit_code == 0, second.stderr
    assert qwen.bytes_sent(WEIGHTS) - before == len(FILES[WEIGHTS]) - kept
    assert (snapshot() / WEIGHTS).read_bytes() == FILES[WEIGHTS] and not partial.exists()


def test_a_second_run_moves_nothing_and_a_changed_file_counts_as_missing(qwen: FakeModelScope) -> None:
    assert run("download", REPO, "--source", "modelscope").exit_code == 0
    sent = len(qwen.transfers)
    again = run("download", REPO, "--source", "modelscope")
    assert again.exit_code == 0 and "all present" in again.stderr and len(qwen.transfers) == sent
    (snapshot() / "config.json").write_bytes(b"{}")
    plan = json.loads(run("download", REPO, "--source", "modelscope", "--dry-run", "--json").stdout)
    present = {f["path"]: f["present"] for f in plan["repos"][0]["files"]}
    assert present == {"config.json": False, "tokenizer/vocab.json": True, WEIGHTS: True}


@pytest.mark.parametrize("how", ["killed", "ctrl-c"])
def test_an_interrupted_process_resumes_on_the_next_run(fakems: FakeModelScope, how: str) -> None:
    big = payload(8 * 1048576, "big")
    fakems.add_repo(REPO, {WEIGHTS: big})
    fakems.throughput = 4 * 1048576
    partial = snapshot() / f"{WEIGHTS}.incomplete"
    proc = spawn(["download", REPO, "--source", "modelscope"], os.environ)
    try:
        wait_for_partial(partial, 2 * 1048576, proc)
        started = time.monotonic()
        if how == "killed":
            proc.kill()
        else:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    while not file_gets(fakems, WEIGHTS):  # the server records the cut transfer once it notices
        time.sleep(0.01)
    if how == "ctrl-c":
        assert time.monotonic() - started < 5 and proc.returncode == 130
        assert err.splitlines()[-1] == "Interrupted: what arrived is kept; run the same command again to resume."
    kept = partial.stat().st_size
    assert 2 * 1048576 <= kept < len(big)

    fakems.throughput = None
    sent = fakems.bytes_sent(WEIGHTS)
    result = run("download", REPO, "--source", "modelscope", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert file_gets(fakems, WEIGHTS)[-1].range == f"bytes={kept}-"
    assert fakems.bytes_sent(WEIGHTS) - sent == len(big) - kept
    assert (snapshot() / WEIGHTS).read_bytes() == big


def test_a_file_that_fails_its_sha256_is_not_kept(qwen: FakeModelScope) -> None:
    qwen.corrupt(WEIGHTS, payload(2**20, "tampered"))  # served instead of what the listing describes
    result = run("download", REPO, "--source", "modelscope")
    assert result.exit_code == 1
    assert "failed its size or sha256 check" in result.stderr
    assert not (snapshot() / WEIGHTS).exists()


def test_into_a_local_dir(qwen: FakeModelScope, tmp_path: Path) -> None:
    result = run("download", REPO, "--source", "modelscope", "--local-dir", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 0, result.stderr
    assert {p: (tmp_path / "out" / p).read_bytes() for p in FILES} == FILES
    check = run("verify", REPO, "--source", "modelscope", "--local-dir", str(tmp_path / "out"))
    assert check.exit_code == 0, check.stderr
    (tmp_path / "out" / "config.json").write_bytes(b"{}")
    check = run("verify", REPO, "--source", "modelscope", "--local-dir", str(tmp_path / "out"))
    assert check.exit_code == 1 and "MISMATCH  config.json" in check.stdout


def test_verify_of_the_cache_copy_and_of_something_never_downloaded(qwen: FakeModelScope) -> None:
    missing = run("verify", REPO, "--source", "modelscope")
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: {REPO} (master) is not in the ModelScope cache {ms.cache_root()}")
    assert run("download", REPO, "--source", "modelscope", "--quiet").exit_code == 0
    check = run("verify", REPO, "--source", "modelscope", "--json")
    assert check.exit_code == 0, check.stderr
    report = json.loads(check.stdout)
    assert report["ok"] and {f["path"]: f["kind"] for f in report["files"]} == dict.fromkeys(FILES, "sha256")
    (snapshot() / WEIGHTS).write_bytes(payload(2**20, "flipped"))
    check = run("verify", REPO, "--source", "modelscope")
    assert check.exit_code == 1 and f"MISMATCH  {WEIGHTS}: sha256 " in check.stdout


def test_a_progress_bar_on_a_terminal_only(
    qwen: FakeModelScope, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from llmzh.cli import download as download_cli

    def bars(result: Any) -> list[str]:
        assert result.exit_code == 0, result.stderr
        return [line for line in result.stderr.splitlines() if line.startswith("downloading")]

    assert bars(run("download", REPO, "--source", "modelscope", "--local-dir", str(tmp_path / "a"))) == []
    monkeypatch.setattr(download_cli, "_on_terminal", lambda: True)
    (bar,) = bars(run("download", REPO, "--source", "modelscope", "--local-dir", str(tmp_path / "b")))
    assert "1.0/1.0 MB" in bar and "/s" in bar
    assert not any(line.startswith(("Downloading", "config.json")) for line in bar.splitlines())  # no client bars


# ---------------------------------------------------------------- failures, one line each


def test_5xx_is_one_line(qwen: FakeModelScope) -> None:
    qwen.fail_next("/api/v1/models/*/repo/files", 503, times=None)
    result = run("download", REPO, "--source", "modelscope")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {REPO}: {qwen.url[7:]} answered HTTP 503\n"


def logged(server: FakeModelScope, pattern: str, log: Callable[[], list[Any]]) -> list[Any]:
    """`log()` once it holds an entry for every request the server received on `pattern` (read never early)."""
    import fnmatch
    from urllib.parse import urlsplit

    deadline = time.monotonic() + 30
    while True:
        asked = [r for r in server.requests if fnmatch.fnmatchcase(urlsplit(r.path).path, pattern)]
        entries = log()
        if len(entries) >= len(asked):
            return entries
        assert time.monotonic() < deadline, f"{len(asked)} requests, {len(entries)} logged"
        time.sleep(0.01)


def stalls_over(server: FakeModelScope, pattern: str) -> list[Stalled]:
    """The server's stall log, once every request it received on `pattern` has ended its stall."""
    return logged(server, pattern, lambda: server.stalled)


@pytest.mark.parametrize("pattern", ["/openapi/v1/models/*", "/api/v1/models/*/repo/files"])
def test_timeout_bounds_a_modelscope_call_retries_included(qwen: FakeModelScope, pattern: str) -> None:
    qwen.stall(pattern, 10, times=None)  # answers after 10 s, to whoever is still there
    result = run("download", REPO, "--source", "modelscope", "--dry-run", "--timeout", "0.5")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {REPO}: {qwen.url[7:]} did not answer within 0.5 s\n"
    # One request, abandoned by the client at the deadline: no retry got a timeout of its own.
    assert stalls_over(qwen, pattern) == [Stalled(pattern.replace("*", REPO, 1), hung_up=True)]


def test_timeout_bounds_show_and_estimate_too(qwen: FakeModelScope) -> None:
    qwen.add_repo("someone/qwen-tune", {"config.json": FILES["config.json"]})
    qwen.stall("/api/v1/models/*/repo", 10, times=None)  # the config.json file
    result = run("estimate", "someone/qwen-tune", "--source", "modelscope", "--timeout", "0.5")
    assert result.exit_code == 1 and "did not answer within 0.5 s" in result.stderr
    assert stalls_over(qwen, "/api/v1/models/*/repo") == [Stalled("/api/v1/models/someone/qwen-tune/repo", True)]
    qwen.stall("/openapi/v1/models/*", 10, times=None)
    result = run("show", "qwen2.5-0.5b-instruct", "--source", "modelscope", "--timeout", "0.5")
    assert result.exit_code == 0, result.stderr
    assert "did not answer within 0.5 s" in result.stdout + result.stderr
    assert {s.hung_up for s in stalls_over(qwen, "/openapi/v1/models/*")} == {True}  # one per repo shown


def test_a_transfer_silent_for_longer_than_the_timeout_is_resumed(qwen: FakeModelScope) -> None:
    qwen.stall_file(WEIGHTS, 300_000, 10)  # then the rest, to whoever is still there
    result = run("download", REPO, "--source", "modelscope", "--timeout", "0.5", "--quiet")
    assert result.exit_code == 0, result.stderr
    transfers = logged(qwen, f"/{REPO}/*/{WEIGHTS}", lambda: file_gets(qwen, WEIGHTS))
    assert [(t.range, t.dropped) for t in transfers] == [(None, True), ("bytes=300000-", False)]
    assert qwen.stalled == [Stalled(WEIGHTS, hung_up=True)]
    assert (snapshot() / WEIGHTS).read_bytes() == FILES[WEIGHTS]


def test_404_names_the_repo_and_the_page(fakems: FakeModelScope) -> None:
    result = run("download", "nobody/nothing", "--source", "modelscope")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: nobody/nothing is not on {fakems.url[7:]}: deleted, renamed, private, or no revision 'master'",
        f"Hint: check the name at {fakems.url}/models/nobody/nothing; a private repo needs MODELSCOPE_API_TOKEN or "
        "--token",
    ]


def test_gated_repo_is_one_line_and_nothing_is_written(fakems: FakeModelScope) -> None:
    fakems.add_repo(REPO, FILES, gated=True, access_tokens=(SECRET,))
    result = run("download", REPO, "--source", "modelscope")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {REPO} is gated on {fakems.url[7:]}: request access at ")
    assert not any(p.is_file() for p in snapshot().rglob("*")) if snapshot().exists() else True
    result = run("download", REPO, "--source", "modelscope", "--token", SECRET)
    assert result.exit_code == 0, result.stderr
    assert (snapshot() / WEIGHTS).read_bytes() == FILES[WEIGHTS]


def test_private_repo_is_found_with_the_token_only(fakems: FakeModelScope) -> None:
    fakems.add_repo(REPO, FILES, private=True, access_tokens=(SECRET,))
    assert run("download", REPO, "--source", "modelscope").exit_code == 1
    result = run("download", REPO, "--source", "modelscope", env={"MODELSCOPE_API_TOKEN": SECRET})
    assert result.exit_code == 0, result.stderr


def test_an_unusable_cache_folder_is_one_line(qwen: FakeModelScope, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = run("download", REPO, "--source", "modelscope", env={"MODELSCOPE_CACHE": str(blocker)})
    assert result.exit_code == 1
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert str(blocker) in error and "Traceback" not in result.stderr


@pytest.mark.parametrize("hostile", ["../escape.json", "/etc/evil.json", "a/../../up.json", "C:\\evil.json"])
def test_a_path_that_would_escape_the_destination_is_refused(fakems: FakeModelScope, hostile: str) -> None:
    fakems.add_repo(REPO, {**FILES, hostile: b"{}"})
    result = run("download", REPO, "--source", "modelscope")
    assert result.exit_code == 1
    assert "file paths that cannot be written safely" in result.stderr
    assert fakems.transfers == [] and not snapshot().exists()


@pytest.mark.parametrize(("field", "value"), [("Size", -1), ("Size", 10**16), ("Sha256", "not-a-digest")])
def test_a_malformed_listing_is_refused_before_any_byte(qwen: FakeModelScope, field: str, value: object) -> None:
    qwen.list_as(WEIGHTS, **{field: value})
    result = run("download", REPO, "--source", "modelscope")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: refusing {REPO}: {qwen.url[7:]} sent a malformed answer (")
    assert qwen.transfers == []


def test_a_revision_that_would_name_another_folder_is_refused(qwen: FakeModelScope) -> None:
    result = run("download", REPO, "--source", "modelscope", "--revision", "../../etc")
    assert result.exit_code == 2 and "cannot name a folder" in result.stderr
    assert qwen.requests == []


def test_the_token_reaches_modelscope_only_and_is_never_printed(qwen: FakeModelScope) -> None:
    result = run("download", REPO, "--source", "modelscope", "--json", env={"MODELSCOPE_API_TOKEN": SECRET})
    assert result.exit_code == 0, result.stderr
    own = [r for r in qwen.requests if r.headers.get("host", "").startswith("127.0.0.1") and "/models/" in r.path]
    storage = [r for r in qwen.requests if r.headers.get("host", "").startswith("localhost")]
    assert storage and own  # the weights came from the second host, after a redirect
    assert all(SECRET in r.headers.get("authorization", "") + r.headers.get("cookie", "") for r in own)
    assert all(SECRET not in json.dumps(r.headers) for r in storage)
    assert SECRET not in result.stdout + result.stderr


def test_a_redirect_to_another_host_never_carries_the_token(qwen: FakeModelScope) -> None:
    qwen.redirect_info = True  # model info answered with a 302 to the storage host
    result = run("show", "qwen2.5-0.5b-instruct", "--source", "modelscope", env={"MODELSCOPE_API_TOKEN": SECRET})
    assert result.exit_code == 0, result.stderr
    elsewhere = [r for r in qwen.requests if r.headers.get("host", "").startswith("localhost")]
    assert f"/info/{REPO}" in [r.path for r in elsewhere]  # with the quantized variants' repos
    assert all(r.path.startswith("/info/") and SECRET not in json.dumps(r.headers) for r in elsewhere)
    assert any(SECRET in r.headers.get("authorization", "") for r in qwen.requests if "/openapi/" in r.path)


# ---------------------------------------------------------------- --source


def test_auto_falls_back_to_modelscope_when_the_hub_is_unreachable(qwen: FakeModelScope) -> None:
    result = run("download", "qwen2.5-0.5b-instruct", "--source", "auto")  # HF_ENDPOINT: a closed port
    assert result.exit_code == 0, result.stderr
    (note,) = [line for line in result.stderr.splitlines() if "ModelScope" in line and "instead" in line]
    assert note.startswith("127.0.0.1:9: cannot reach 127.0.0.1:9") and qwen.url in note
    assert (snapshot() / WEIGHTS).read_bytes() == FILES[WEIGHTS]


def test_the_fallback_line_in_chinese(qwen: FakeModelScope) -> None:
    result = run("download", REPO, "--source", "auto", "--dry-run", env={"LLMZH_LANG": "zh"})
    assert result.exit_code == 0, result.stderr
    assert f"改用 ModelScope（{qwen.url}）" in result.stderr


def test_auto_falls_back_in_show_too(qwen: FakeModelScope) -> None:
    result = run("show", "qwen2.5-0.5b-instruct", "--source", "auto")
    assert result.exit_code == 0, result.stderr
    assert f"using ModelScope ({qwen.url}) instead" in result.stderr
    assert "Live figures from ModelScope" in result.stdout


def test_auto_is_the_default_and_keeps_a_reachable_hub(
    qwen: FakeModelScope, fakehub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLMZH_SOURCE")
    fakehub.add_repo(REPO, FILES)
    result = run("download", REPO, "--quiet", "--token", SECRET)
    assert result.exit_code == 0, result.stderr
    assert "ModelScope" not in result.stderr and qwen.requests == []


def test_auto_never_sends_the_hub_token_to_modelscope(qwen: FakeModelScope) -> None:
    result = run("download", REPO, "--source", "auto", "--token", SECRET)
    assert result.exit_code == 0, result.stderr
    assert all(SECRET not in json.dumps(r.headers) for r in qwen.requests)


def test_an_explicit_source_never_falls_back(qwen: FakeModelScope, fakehub: FakeHub) -> None:
    result = run("download", "qwen2.5-0.5b-instruct", "--source", "hf", "--endpoint", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "cannot reach 127.0.0.1:9" in result.stderr
    assert qwen.requests == []
    result = run("download", "nobody/nothing", "--source", "modelscope")
    assert result.exit_code == 1 and fakehub.requests == []


def test_source_from_the_environment_and_bad_values(qwen: FakeModelScope) -> None:
    assert parse(None, {"LLMZH_SOURCE": "ModelScope"}) == "modelscope"
    assert parse(None, {}) == "auto"
    with pytest.raises(UsageError, match="LLMZH_SOURCE 'gitee' is not a source"):
        parse(None, {"LLMZH_SOURCE": "gitee"})
    result = run("download", REPO, "--source", "gitee")
    assert result.exit_code == 2 and "--source 'gitee' is not a source" in result.stderr
    result = run("download", REPO, "--dry-run", env={"LLMZH_SOURCE": "modelscope"})
    assert result.exit_code == 0, result.stderr


def test_a_variant_without_a_modelscope_id_says_what_to_type(fakems: FakeModelScope) -> None:
    # A GGUF level: no source read names its file layout on ModelScope.
    result = run("download", "qwen2.5-7b-instruct", "--quant", "q5_k_m", "--source", "modelscope")
    assert result.exit_code == 1
    assert "the catalog records no ModelScope id for qwen2.5-7b-instruct-gguf-q5_k_m" in result.stderr
    assert fakems.requests == []


QUANTIZED = "Qwen/Qwen2.5-0.5B-Instruct-GPTQ-Int4"  # the variant's own `modelscope` record in the catalog


def test_a_quantized_variant_downloads_from_its_own_modelscope_repo(qwen: FakeModelScope) -> None:
    qwen.add_repo(QUANTIZED, {"config.json": b"{}", WEIGHTS: payload(2000, "int4")}, downloads=77)
    result = run("download", "qwen2.5-0.5b-instruct", "--quant", "gptq-int4", "--source", "modelscope", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (snapshot(QUANTIZED) / WEIGHTS).read_bytes() == payload(2000, "int4")
    assert not snapshot(REPO).exists()
    listed = run("list", "--json", "--live", "--source", "modelscope")
    assert listed.exit_code == 0, listed.stderr
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    fields = ("repo", "modelscope", "modelscope_repo", "downloads")
    assert [tuple(rows[f"qwen2.5-0.5b-instruct-{q}"][f] for f in fields) for q in ("bf16", "gptq-int4", "awq")] == [
        ("Qwen/Qwen2.5-0.5B-Instruct", REPO, REPO, 1234),
        ("Qwen/Qwen2.5-0.5B-Instruct-GPTQ-Int4", REPO, QUANTIZED, 77),
        ("Qwen/Qwen2.5-0.5B-Instruct-AWQ", REPO, "Qwen/Qwen2.5-0.5B-Instruct-AWQ", None),  # not on this server
    ]


# ---------------------------------------------------------------- show, list --live, estimate


def test_show_and_list_live_carry_labelled_modelscope_figures(qwen: FakeModelScope) -> None:
    result = run("show", "qwen2.5-0.5b-instruct", "--source", "modelscope")
    assert result.exit_code == 0, result.stderr
    assert f"Live figures from ModelScope  ({qwen.url})" in result.stdout and "ModelScope repo" in result.stdout
    assert "1.2k" in result.stdout
    result = run("list", "--live", "--json", "--source", "modelscope")
    assert result.exit_code == 0, result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout) if r["modelscope"] == REPO}
    row, quantized = rows["qwen2.5-0.5b-instruct-bf16"], rows["qwen2.5-0.5b-instruct-gptq-int4"]
    assert row["live_source"] == "modelscope" and row["downloads"] == 1234 and row["hub_status"] == "ok"
    assert quantized["downloads"] is None  # the model's id names its default weights; the quantized repo is another


def test_the_missing_figures_line_names_modelscope(qwen: FakeModelScope) -> None:
    qwen.fail_next("/openapi/v1/models/*", 503, times=None)
    result = run("show", "qwen2.5-0.5b-instruct", "--source", "modelscope")
    assert result.exit_code == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "without fresh figures" in line]
    assert line.startswith("ModelScope: ") and line.endswith(
        f" repo(s) without fresh figures: {qwen.url[7:]} answered HTTP 503"
    )
    zh = run("show", "qwen2.5-0.5b-instruct", "--source", "modelscope", env={"LLMZH_LANG": "zh"})
    assert any(x.startswith("ModelScope：") and "个仓库没有取到最新数据" in x for x in zh.stderr.splitlines())
    result = run("list", "--live", "--strict", "--source", "modelscope")
    assert result.exit_code == 1
    error, hint = result.stderr.splitlines()[-2:]
    assert error.startswith("Error: ModelScope: ") and error.endswith(
        f" without fresh figures: {qwen.url[7:]} answered HTTP 503"
    )
    assert hint == "Hint: retry later, check MODELSCOPE_ENDPOINT, or drop --strict"


def test_estimate_reads_config_json_from_modelscope(qwen: FakeModelScope) -> None:
    config = {
        "model_type": "qwen2",
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "max_position_embeddings": 32768,
        "tie_word_embeddings": True,
        "torch_dtype": "bfloat16",
    }
    qwen.add_repo("someone/qwen-tune", {"config.json": json.dumps(config)})
    result = run("estimate", "someone/qwen-tune", "--source", "modelscope")
    assert result.exit_code == 0, result.stderr
    assert "someone/qwen-tune" in result.stdout


# ---------------------------------------------------------------- doctor


def test_doctor_asks_modelscope_and_says_where_its_token_comes_from(qwen: FakeModelScope) -> None:
    from urllib.parse import urlsplit

    result = run("doctor", "--timeout", "2", env={"MODELSCOPE_API_TOKEN": SECRET})
    assert result.exit_code == 0, result.stderr
    section = result.stdout.split("\nModelScope\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section[0].startswith(f"  endpoint: {qwen.url} — answers (HTTP ") and section[0].endswith(" ms)")
    assert section[1:] == ["  token: MODELSCOPE_API_TOKEN"]
    assert SECRET not in result.stdout + result.stderr
    assert [urlsplit(r.path).path for r in qwen.requests] == ["/openapi/v1/models"]  # asked, with the client
    data = json.loads(run("doctor", "--json", "--timeout", "2").stdout)
    assert (data["modelscope_endpoint"], data["modelscope_ok"], data["modelscope_token"]) == (qwen.url, True, "not set")
    assert {c["name"]: c["path"] for c in data["caches"]}["modelscope"] == str(ms.cache_root())


def test_doctor_in_chinese_when_modelscope_does_not_answer(qwen: FakeModelScope) -> None:
    qwen.stall("/openapi/v1/models", 10)
    result = run("doctor", "--timeout", "0.5", env={"LLMZH_LANG": "zh"})
    assert result.exit_code == 0, result.stderr
    assert f"ModelScope（魔搭社区）\n  地址: {qwen.url} — 无法访问 (" in result.stdout
    assert f"{qwen.url[7:]} 在 0.5 秒内没有响应)\n  token: 未设置\n" in result.stdout
    assert stalls_over(qwen, "/openapi/v1/models") == [Stalled("/openapi/v1/models", hung_up=True)]


def test_doctor_counts_a_stored_login_for_modelscope_cn_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelscope_hub import HubConfig
    from modelscope_hub.constants import COOKIES_FILE_NAME

    credentials = HubConfig(token="").credentials_dir
    credentials.mkdir(parents=True)
    (credentials / COOKIES_FILE_NAME).write_bytes(b"")  # only its presence is looked at, never its contents
    assert json.loads(run("doctor", "--json", "--offline").stdout)["modelscope_token"] == "not set"  # another host
    monkeypatch.delenv("MODELSCOPE_ENDPOINT")
    data = json.loads(run("doctor", "--json", "--offline").stdout)
    assert (data["modelscope_endpoint"], data["modelscope_token"]) == ("https://modelscope.cn", "stored login")
    assert data["modelscope_detail"] == "offline mode: not tried"


# ---------------------------------------------------------------- the boundary


def test_only_the_modelscope_module_imports_the_client_and_list_never_loads_it() -> None:
    import ast

    importers = []
    for path in Path(ms.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] == "modelscope_hub" for n in names):
                importers.append(path.name)
    assert set(importers) == {"modelscope.py"}
    code = (
        "import sys\nsys.argv = ['llmzh', 'list', '--vram', '8']\nfrom llmzh.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint('modelscope_hub' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stderr.strip().splitlines()[-1] == "False"

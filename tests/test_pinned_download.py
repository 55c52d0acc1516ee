"""download and verify through the real client against the fake Hub: what the user sees when the repo moves on,
the disk is elsewhere, the server ignores Range, a partial file is odd, or file GETs fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakehub import FakeHub, SleepRecorder
from test_download import MB, dl, gets, partial_of, payload, sha256_of, snapshot, verify

from llmzh import download as download_mod
from llmzh import hub
from llmzh.render import human_bytes

WEIGHTS = "pytorch_model.bin"
REPO = "demo/glm-demo"


@pytest.fixture
def glm(fakehub: FakeHub) -> FakeHub:
    fakehub.add_repo(REPO, {"config.json": b'{"a": 1}', WEIGHTS: payload(3 * MB, "fp16")})
    fakehub.add_repo("demo/glm-demo-int4", {"config.json": b"{}", "model.safetensors": payload(MB, "int4")})
    return fakehub


def test_verify_checks_the_commit_that_was_downloaded_after_the_repo_moved_on(glm: FakeHub) -> None:
    assert dl("glm-demo", "--quiet").exit_code == 0
    downloaded = glm.repo(REPO).refs["main"]
    moved = glm.commit(REPO, {WEIGHTS: payload(3 * MB, "retrained")})
    assert moved != downloaded
    result = verify("glm-demo", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["commit"] == downloaded and report["ok"] is True
    (weights,) = [f for f in report["files"] if f["path"] == WEIGHTS]
    assert weights["expected"] == glm.repo(REPO).commits[downloaded][WEIGHTS].sha256
    assert weights["expected"] != glm.repo(REPO).commits[moved][WEIGHTS].sha256
    api = [r.path for r in glm.requests_matching("GET", "/api/models/*")]
    assert api[-1].startswith(f"/api/models/{REPO}/revision/{downloaded}")  # listed at that commit, not main


def test_the_disk_check_is_about_the_local_dir(glm: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Path] = []

    def free_space(path: Path) -> int:
        asked.append(path)
        return 2 * MB

    monkeypatch.setattr(download_mod, "free_space", free_space)
    target = tmp_path / "disk" / "glm"
    result = dl("glm-demo", "--local-dir", str(target))
    assert result.exit_code == 1
    assert asked == [target]
    assert (
        result.stderr.splitlines()[0] == f"Error: not enough disk space in {target}: 3 MB still to download, 2 MB free"
    )
    assert not target.exists() and glm.transfers == []
    result = dl("glm-demo", "--local-dir", str(target), "--dry-run", "--json")
    plan = json.loads(result.stdout)
    assert (plan["destination"], plan["free_bytes"], plan["missing_bytes"], plan["fits"]) == (
        str(target),
        2 * MB,
        3 * MB + len(b'{"a": 1}'),
        False,
    )


def test_the_plan_fits_when_free_space_equals_what_is_missing(glm: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = 3 * MB + len(b'{"a": 1}')
    monkeypatch.setattr(download_mod, "free_space", lambda path: missing)
    plan = json.loads(dl("glm-demo", "--dry-run", "--json").stdout)
    assert (plan["missing_bytes"], plan["fits"]) == (missing, True)
    monkeypatch.setattr(download_mod, "free_space", lambda path: missing - 1)
    assert json.loads(dl("glm-demo", "--dry-run", "--json").stdout)["fits"] is False


def test_resume_when_the_server_ignores_range(glm: FakeHub) -> None:
    data = glm.file_bytes(REPO, WEIGHTS)
    partial = partial_of(glm, REPO, WEIGHTS)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(data[: 2 * MB])
    glm.support_range = False  # answers 200 with the whole body
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    (transfer,) = gets(glm, WEIGHTS)
    assert (transfer.range, transfer.status, transfer.sent) == (f"bytes={2 * MB}-", 200, 3 * MB)
    assert sha256_of(snapshot(glm, REPO) / WEIGHTS) == glm.file_sha256(REPO, WEIGHTS)  # not 2 MB + 3 MB
    assert not partial.exists()


def test_an_oversized_partial_is_discarded(glm: FakeHub) -> None:
    partial = partial_of(glm, REPO, WEIGHTS)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(glm.file_bytes(REPO, WEIGHTS) + b"extra")
    result = dl("glm-demo", "--dry-run")
    assert f"       3 MB  {WEIGHTS} ({human_bytes(3 * MB + 5)} kept)" in result.stdout
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    (transfer,) = gets(glm, WEIGHTS)
    assert (transfer.range, transfer.sent) == (None, 3 * MB)  # from zero
    assert sha256_of(snapshot(glm, REPO) / WEIGHTS) == glm.file_sha256(REPO, WEIGHTS)


def test_a_complete_partial_is_checked_and_moved_into_place(glm: FakeHub) -> None:
    partial = partial_of(glm, REPO, WEIGHTS)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(glm.file_bytes(REPO, WEIGHTS))
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert sum(t.sent for t in gets(glm, WEIGHTS)) == 0  # nothing sent again
    assert sha256_of(snapshot(glm, REPO) / WEIGHTS) == glm.file_sha256(REPO, WEIGHTS)


def test_a_complete_partial_with_other_content_is_fetched_again(glm: FakeHub) -> None:
    partial = partial_of(glm, REPO, WEIGHTS)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * (3 * MB))
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert [t.range for t in gets(glm, WEIGHTS)][-1] is None
    assert sha256_of(snapshot(glm, REPO) / WEIGHTS) == glm.file_sha256(REPO, WEIGHTS)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ({"status": 500}, "Error: demo/glm-demo: {host} answered HTTP 500"),
        ({"status": 503, "retry_after": 1}, "Error: demo/glm-demo: {host} answered HTTP 503"),
        ({"status": 429, "retry_after": 1}, "Error: demo/glm-demo: rate limited by {host} (HTTP 429)"),
    ],
)
def test_file_gets_that_keep_failing_are_one_line(
    glm: FakeHub, hf_sleeps: SleepRecorder, failure: dict[str, Any], message: str
) -> None:
    glm.fail_next(f"*/{WEIGHTS}", method="GET", times=None, **failure)
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == message.format(host=glm.url[7:])
    assert "Traceback" not in result.stderr
    assert not (snapshot(glm, REPO) / WEIGHTS).exists()


def test_a_file_get_that_fails_once_fails_the_run_and_the_next_run_completes(
    glm: FakeHub, hf_sleeps: SleepRecorder
) -> None:
    # huggingface_hub retries file GETs on 408/429 and dropped connections, not on 5xx: one line, then a rerun.
    glm.fail_next(f"*/{WEIGHTS}", method="GET", status=503, times=1)
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"Error: demo/glm-demo: {glm.url[7:]} answered HTTP 503"
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert sha256_of(snapshot(glm, REPO) / WEIGHTS) == glm.file_sha256(REPO, WEIGHTS)


def test_a_file_get_that_times_out_is_one_line(glm: FakeHub, hf_sleeps: SleepRecorder) -> None:
    glm.fail_next(f"*/{WEIGHTS}", method="GET", times=None, delay=5)
    result = dl("glm-demo", "--timeout", "0.5")
    assert result.exit_code == 1
    first = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(first) == 1 and "demo/glm-demo" in first[0]
    assert "Traceback" not in result.stderr
    assert not (snapshot(glm, REPO) / WEIGHTS).exists()


def test_cached_commit_reads_a_valid_ref_only(glm: FakeHub) -> None:
    assert dl("glm-demo", "--quiet").exit_code == 0
    commit = glm.repo(REPO).refs["main"]
    assert hub.cached_commit(REPO, "main") == commit
    assert hub.cached_commit(REPO, commit) == commit  # a commit names itself
    ref = hub.hub_cache_dir() / f"models--{REPO.replace('/', '--')}" / "refs" / "main"
    ref.write_text("../../elsewhere")
    assert hub.cached_commit(REPO, "main") is None
    assert hub.cached_commit(REPO, "no-such-branch") is None


def test_download_catalog_name_json_names_the_commit_and_path(glm: FakeHub) -> None:
    result = dl("glm-demo", "--json", "--quiet")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    commit = glm.repo(REPO).refs["main"]
    (part,) = report["repos"]
    assert (part["repo"], part["revision"], part["commit"], part["path"]) == (
        REPO,
        "main",
        commit,
        str(snapshot(glm, REPO)),
    )
    assert part["total_bytes"] == 3 * MB + len(b'{"a": 1}') and part["missing_bytes"] == part["total_bytes"]
    assert report["variant"] == "glm-demo-fp16" and report["dry_run"] is False


def test_a_complete_partial_counts_nothing_still_to_download(glm: FakeHub) -> None:
    partial = partial_of(glm, REPO, WEIGHTS)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(glm.file_bytes(REPO, WEIGHTS))
    plan = json.loads(dl("glm-demo", "--dry-run", "--json").stdout)
    (part,) = plan["repos"]
    assert plan["missing_bytes"] == len(b'{"a": 1}')  # only config.json
    assert [f["partial_bytes"] for f in part["files"] if f["path"] == WEIGHTS] == [3 * MB]


def test_paths_near_the_limit_are_judged_under_the_destination(tmp_path: Path) -> None:
    path = "/".join(["d" * 200] * 19) + "/model.bin"  # 3829 bytes: fits alone
    assert download_mod.unsafe_paths([path]) == []
    deep = tmp_path / ("x" * 200) / ("y" * 200)
    assert download_mod.unsafe_paths([path], deep) == [f"'{path}' (path too long)"]


@pytest.mark.parametrize(
    "path", ["huggingface/notes.md", ".cache/other/file.bin", "docs/.cache.md", "a/b/.gitignore", "git/config"]
)
def test_names_that_only_resemble_refused_segments_are_accepted(path: str) -> None:
    assert download_mod.unsafe_paths([path]) == []


def test_patterns_matching_nothing_list_the_first_six_files(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/many", {f"f{i}.bin": b"x" for i in range(8)})
    result = dl("demo/many", "--include", "*.gguf")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Hint: its files: f0.bin, f1.bin, f2.bin, f3.bin, f4.bin, f5.bin, … (8 in all)"
    )


def test_a_load_time_level_carries_its_load_code() -> None:
    from test_download import FIXTURE

    from llmzh.catalog import load_catalog

    catalog = load_catalog(FIXTURE)
    target = download_mod.resolve(catalog, "glm-demo-int8")
    assert (target.repo, target.quantized_at_load, target.load_code) == ("demo/glm-demo", True, "model.quantize(8)")
    assert download_mod.resolve(catalog, "demo/some-repo").load_code is None


# ---------------------------------------------------------------- which repo paths are refused, and why

REFUSED = [
    ("", "empty"),
    ("a\x1bb.bin", "control character"),
    ("/etc/passwd", "absolute"),
    ("C:/model.bin", "absolute"),
    ("../model.bin", "'..' segment"),
    (".git/config", "'.git' segment"),
    ("sub/.GIT. /hooks/post-checkout", "'.git' segment"),  # Windows drops the trailing dot and space
    ("x/.cache/huggingface/download/w.metadata", "'.cache/huggingface' segment"),
    (".cache/huggingface", "'.cache/huggingface' segment"),
    ("d" * 256 + "/w.bin", "name too long"),  # a folder name over NAME_MAX (255 bytes)
    ("f" * 247, "name too long"),  # a file name leaving no room for its 9-byte `.metadata` twin
]


@pytest.mark.parametrize(("path", "why"), REFUSED)
def test_each_refused_path_names_its_reason(path: str, why: str) -> None:
    (line,) = download_mod.unsafe_paths([path])
    assert line.endswith(f"' ({why})")


@pytest.mark.parametrize(
    "path",
    [
        "d" * 255 + "/w.bin",  # a folder name of exactly NAME_MAX bytes
        "d" * 250 + "/" + "f" * 246,  # a file name of 255 - 9 bytes
        ".cache/x/huggingface/w.bin",  # the two names, but not one after the other
        "huggingface/.cache/w.bin",
    ],
)
def test_paths_at_the_limits_are_accepted(path: str) -> None:
    assert download_mod.unsafe_paths([path]) == []


def path_of(length: int) -> str:
    """A relative path of exactly `length` bytes made of 200-byte folder names and a file name of 10-210 bytes."""
    folders = (length - 10) // 201
    return ("d" * 200 + "/") * folders + "f" * (length - 201 * folders)


def test_a_path_must_leave_room_for_its_metadata_twin_under_path_max(tmp_path: Path) -> None:
    # PATH_MAX 4096 bytes, the terminating NUL included: path + ".metadata" (9) must stay under it
    assert download_mod.unsafe_paths([path_of(4086)]) == []
    assert download_mod.unsafe_paths([path_of(4087)]) == [f"'{path_of(4087)}' (path too long)"]
    destination = tmp_path / "dest"
    root = len(str(destination)) + 1  # the destination and the "/" after it
    assert download_mod.unsafe_paths([path_of(4086 - root)], destination) == []
    assert download_mod.unsafe_paths([path_of(4087 - root)], destination) != []


def test_a_refusal_lists_three_paths_then_the_count() -> None:
    three = download_mod._refuse_paths("org/x", ["'a' (empty)", "'b' (empty)", "'c' (empty)"])
    assert three.message.endswith("safely: 'a' (empty), 'b' (empty), 'c' (empty)")
    four = download_mod._refuse_paths("org/x", ["'a' (empty)", "'b' (empty)", "'c' (empty)", "'d' (empty)"])
    assert four.message.endswith("safely: 'a' (empty), 'b' (empty), 'c' (empty), … (4 in all)")


def test_a_local_dir_name_the_system_refuses_is_a_usage_error() -> None:
    local = Path("/tmp/" + "x" * 300 + "/y")
    with pytest.raises(download_mod.UsageError) as caught:
        download_mod.check_local_dir(local)
    # the path cut at 200 characters, the system's own words, and the limit to keep
    assert caught.value.message == f"--local-dir {str(local)[:200]}: File name too long"
    assert caught.value.hint == "give a shorter path (each name at most 255 bytes)"


@pytest.mark.parametrize(("count", "listed"), [(6, "f0.bin, f1.bin, f2.bin, f3.bin, f4.bin, f5.bin"), (7, None)])
def test_six_files_are_listed_whole_and_seven_are_cut(fakehub: FakeHub, count: int, listed: str | None) -> None:
    fakehub.add_repo(f"demo/n{count}", {f"f{i}.bin": b"x" for i in range(count)})
    result = dl(f"demo/n{count}", "--include", "*.gguf")
    shown = listed or "f0.bin, f1.bin, f2.bin, f3.bin, f4.bin, f5.bin, … (7 in all)"
    assert result.stderr.splitlines()[-1] == f"Hint: its files: {shown}"


def test_a_second_download_has_nothing_left_to_fetch(glm: FakeHub) -> None:
    assert dl("glm-demo", "--quiet").exit_code == 0
    plan = json.loads(dl("glm-demo", "--dry-run", "--json").stdout)
    assert plan["missing_bytes"] == 0 and plan["repos"][0]["missing_bytes"] == 0
    assert all(f["present"] for f in plan["repos"][0]["files"])


LOAD_TIME_FIRST = """\
version: 1
projects:
- id: lt
  name: LT
  description: A model whose first variant is made at load time.
  license: {commercial: free, code: Apache-2.0, source: https://example.org/lt}
  models:
  - id: lt-6b
    name: LT-6B
    format: full
    variants:
    - {id: lt-6b-int8, quant: int8, quantize_from: lt-6b-fp16, load_code: model.quantize(8)}
    - {id: lt-6b-fp16, quant: fp16, repo: org/lt-6b}
"""


def test_a_model_name_downloads_its_first_variant_with_a_repo_of_its_own(tmp_path: Path) -> None:
    from llmzh.catalog import load_catalog

    path = tmp_path / "lt.yaml"
    path.write_text(LOAD_TIME_FIRST, encoding="utf-8")
    catalog = load_catalog(path)
    target = download_mod.resolve(catalog, "lt-6b")
    assert target.entry is not None and target.entry.variant.id == "lt-6b-fp16"
    assert (target.repo, target.quantized_at_load) == ("org/lt-6b", False)
    int8 = download_mod.resolve(catalog, "lt-6b-int8")  # fetched from its source's repo, quantized when loaded
    assert (int8.repo, int8.quantized_at_load, int8.load_code) == ("org/lt-6b", True, "model.quantize(8)")

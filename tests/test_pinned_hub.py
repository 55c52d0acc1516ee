"""Pinned Hub figures, cache freshness and card metadata, through the real huggingface_hub client and the fake Hub.

Every expected value is worked out here from what the fake Hub was given (file bytes, dates, card fields), never
read back from llmzh's own constants.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fakehub import FakeHub, git_blob_sha1, sha256_hex
from huggingface_hub import hf_hub_download
from huggingface_hub._local_folder import get_local_download_paths
from typer.testing import CliRunner

from llmzh import hub
from llmzh.cli import app
from llmzh.errors import HubError
from llmzh.hub import (
    HubSettings,
    _matches_etag,
    _origin,
    _resumable_transfers,
    _Transfer,
    age,
    check_access,
    download,
    failure_summary,
    fetch_card,
    fetch_config,
    fetch_infos,
    hub_cache_dir,
    list_repo,
    require_ok,
    snapshot_dir,
)
from llmzh.repoinfo import HubInfo, cache_path, read_cached

FIXTURE_ENV = {"LLMZH_CATALOG": str(Path(__file__).parent / "fixtures" / "catalog_small.yaml")}
runner = CliRunner()


def settings(hub: FakeHub, **kw: object) -> HubSettings:
    return HubSettings(endpoint=hub.url)._replace(**kw)


def age_cache(hub: FakeHub, repo: str, seconds: float) -> None:
    """Make the cached figures of `repo` `seconds` old, as if fetched that long ago."""
    path = cache_path(hub.url, repo)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["fetched_at"] = time.time() - seconds
    path.write_text(json.dumps(data), encoding="utf-8")


def live_rows(*args: str) -> dict[str, dict[str, object]]:
    result = runner.invoke(app, ["list", "--live", "--json", "--vram", "20", *args], env=FIXTURE_ENV)
    assert result.exit_code == 0, result.stderr
    return {r["id"]: r for r in json.loads(result.stdout)}


# ---------------------------------------------------------------- figures users see


def test_list_live_json_weights_are_the_weight_files_alone(fakehub: FakeHub) -> None:
    fakehub.add_repo(
        "demo/glm-demo",
        {
            "config.json": b"{}" * 10,  # 20 bytes, not weights
            "tokenizer.model": b"t" * 300,  # LFS but not a weight file
            "model-00001.safetensors": b"a" * 1000,
            "extra.pt": b"p" * 70,
            "weights.pth": b"q" * 5,
            "model.gguf": b"g" * 200,
            "pytorch_model.bin": b"b" * 40,
        },
        downloads=4321,
        likes=17,
        last_modified="2024-03-05T06:07:08.000Z",
    )
    fakehub.add_repo("demo/glm-demo-int4", {"config.json": b"{" * 33, "README.md": b"r" * 7}, downloads=0, likes=0)
    rows = live_rows()
    fp16 = rows["glm-demo-fp16"]
    assert fp16["weights_bytes"] == 1000 + 70 + 5 + 200 + 40
    assert fp16["size_bytes"] == 20 + 300 + 1000 + 70 + 5 + 200 + 40
    assert (fp16["downloads"], fp16["likes"]) == (4321, 17)
    assert fp16["last_modified"] == "2024-03-05T06:07:08+00:00"
    assert fp16["hub_status"] == "ok"
    int4 = rows["glm-demo-int4"]
    assert int4["weights_bytes"] is None  # no weight file at all: unknown, not 0
    assert int4["size_bytes"] == 40
    assert (int4["downloads"], int4["likes"]) == (0, 0)
    assert int4["hub_status"] == "ok"


def test_gone_repo_is_cached_and_shown_gone_without_figures(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/glm-demo", {"model.bin": b"x" * 10}, downloads=5)
    fakehub.add_repo("demo/glm-demo-int4", {"model.bin": b"y" * 10}, downloads=6)
    fakehub.mark_gone("demo/glm-demo-int4")
    rows = live_rows()
    assert rows["glm-demo-int4"]["hub_status"] == "gone"
    assert rows["glm-demo-int4"]["downloads"] is None and rows["glm-demo-int4"]["weights_bytes"] is None
    assert rows["glm-demo-fp16"]["downloads"] == 5
    # "gone" is an answer, kept for the TTL: the next run asks nothing about that repo
    fakehub.reset_requests()
    rows = live_rows()
    assert rows["glm-demo-int4"]["hub_status"] == "gone"
    assert fakehub.count("GET", "/api/models/demo/glm-demo-int4*") == 0
    cached = read_cached(settings(fakehub), "demo/glm-demo-int4")
    assert cached is not None and cached.status == "gone" and cached.fetched_at is not None


# ---------------------------------------------------------------- cache freshness and stale marking


def test_fresh_cache_is_served_without_a_request_and_not_stale(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"x" * 9}, downloads=11)
    first = fetch_infos(["demo/a"], settings(fakehub))["demo/a"]
    assert (first.status, first.cached, first.stale, first.downloads) == ("ok", False, False, 11)
    fakehub.add_repo("demo/a", {"model.bin": b"x" * 9}, downloads=22)
    fakehub.reset_requests()
    again = fetch_infos(["demo/a"], settings(fakehub))["demo/a"]
    assert fakehub.requests == []
    assert (again.cached, again.stale, again.downloads, again.error) == (True, False, 11, None)
    refreshed = fetch_infos(["demo/a"], settings(fakehub, refresh=True))["demo/a"]
    assert (refreshed.cached, refreshed.stale, refreshed.downloads) == (False, False, 22)


def test_expired_cache_is_refetched_and_offline_serves_it_stale(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"x"}, downloads=11)
    fetch_infos(["demo/a"], settings(fakehub))
    age_cache(fakehub, "demo/a", 3600)
    offline = fetch_infos(["demo/a"], settings(fakehub, offline=True, ttl=7200))["demo/a"]
    assert (offline.cached, offline.stale) == (True, False)  # within a 2 h TTL
    offline = fetch_infos(["demo/a"], settings(fakehub, offline=True, ttl=1800))["demo/a"]
    assert (offline.cached, offline.stale, offline.downloads) == (True, True, 11)  # past a 30 min TTL
    fakehub.add_repo("demo/a", {"model.bin": b"x"}, downloads=33)
    fakehub.reset_requests()
    online = fetch_infos(["demo/a"], settings(fakehub, ttl=1800))["demo/a"]
    assert fakehub.count("GET", "/api/models/demo/a*") == 1
    assert (online.cached, online.stale, online.downloads) == (False, False, 33)
    missing = fetch_infos(["demo/b"], settings(fakehub, offline=True))["demo/b"]
    assert (missing.status, missing.error) == ("unavailable", "offline, and not in the cache")


def test_failed_refetch_keeps_the_old_figures_marked_stale(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"x" * 12}, downloads=11, likes=2)
    fetch_infos(["demo/a"], settings(fakehub))
    age_cache(fakehub, "demo/a", 10)
    fakehub.fail_next("/api/models/demo/a", status=404, times=None, error_code="RevisionNotFound")
    info = fetch_infos(["demo/a"], settings(fakehub, ttl=5))["demo/a"]
    assert (info.status, info.cached, info.stale) == ("ok", True, True)
    assert (info.downloads, info.likes, info.size_bytes) == (11, 2, 12)
    assert info.error == "revision not found"
    assert info.has_figures
    # without a cached copy the same failure is plainly unavailable
    fakehub.add_repo("demo/b", {"model.bin": b"x"})
    fakehub.fail_next("/api/models/demo/b", status=404, times=None, error_code="RevisionNotFound")
    fresh = fetch_infos(["demo/b"], settings(fakehub))["demo/b"]
    assert (fresh.status, fresh.stale, fresh.downloads, fresh.error) == (
        "unavailable",
        False,
        None,
        "revision not found",
    )
    assert read_cached(settings(fakehub), "demo/b") is None  # a failure is never cached


def test_malformed_answer_keeps_the_old_figures_marked_stale(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"x" * 12}, downloads=11)
    fetch_infos(["demo/a"], settings(fakehub))
    age_cache(fakehub, "demo/a", 10)
    fakehub.add_repo("demo/a", {"model.bin": b"x"}, extra={"downloads": "many"})
    info = fetch_infos(["demo/a"], settings(fakehub, ttl=5))["demo/a"]
    assert (info.status, info.cached, info.stale, info.downloads) == ("ok", True, True, 11)
    assert info.error is not None and "malformed" in info.error
    cached = read_cached(settings(fakehub), "demo/a")
    assert cached is not None and cached.downloads == 11  # the bad answer did not replace the cache
    fakehub.add_repo("demo/b", {"model.bin": b"x"}, extra={"likes": -4})
    fresh = fetch_infos(["demo/b"], settings(fakehub))["demo/b"]
    assert (fresh.status, fresh.stale, fresh.likes) == ("unavailable", False, None)
    assert fresh.error is not None and "malformed" in fresh.error


def test_gated_without_access_is_unavailable_not_gated(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"x"})
    fakehub.fail_next("/api/models/demo/a", status=401, times=None, error_code="GatedRepo", message="gated")
    info = fetch_infos(["demo/a"], settings(fakehub))["demo/a"]
    assert info.status == "unavailable" and info.error is not None and "gated repo" in info.error
    fakehub.add_repo("demo/g", {"model.bin": b"x" * 3}, gated="manual", downloads=8)
    gated = fetch_infos(["demo/g"], settings(fakehub))["demo/g"]
    assert (gated.status, gated.gated, gated.downloads, gated.weights_bytes) == ("gated", "manual", 8, 3)
    assert gated.has_figures


def test_show_marks_stale_figures(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/glm-demo", {"config.json": b"c" * 1000, "model.bin": b"x" * 3000}, downloads=1234)
    fakehub.add_repo("demo/glm-demo-int4", {"model.bin": b"x"})
    fakehub.add_repo("demo/glm-demo-int4-qe", {"model.bin": b"x"})
    result = runner.invoke(app, ["show", "glm-demo", "--lang", "en"], env=FIXTURE_ENV)
    assert result.exit_code == 0, result.stderr
    assert "⚠" not in result.stdout
    age_cache(fakehub, "demo/glm-demo", 2 * 86400)
    result = runner.invoke(app, ["show", "glm-demo", "--lang", "en", "--offline"], env=FIXTURE_ENV)
    assert result.exit_code == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if "demo/glm-demo " in row)
    assert "⚠" in line and "1.2k" in line
    assert "3.91 kB" in line and "2.93 kB" in line  # all files, then the weights alone (in kB of 2^10)


# ---------------------------------------------------------------- card metadata (catalog draft)


def test_fetch_card_keeps_clean_strings_and_counts(fakehub: FakeHub) -> None:
    fakehub.add_repo(
        "demo/card",
        {"model.safetensors": b"w"},
        card_data={
            "license": " other ",
            "license_name": "demo-license",
            "license_link": "   ",
            "base_model": ["org/base", 7, "  ", " org/other "],
        },
        pipeline_tag="text-generation",
        safetensors_total=7_000,
        safetensors_parameters={"BF16": 6_000, "F32": 1_000},
        created_at="2024-02-29T23:59:59.000Z",
    )
    card = fetch_card("demo/card", settings(fakehub))
    assert card.repo == "demo/card"
    assert card.sha == fakehub.repo("demo/card").refs["main"]
    assert card.created_at == "2024-02-29"
    assert (card.license, card.license_name, card.license_link) == ("other", "demo-license", None)
    assert card.base_model == ("org/base", "org/other")
    assert card.params == 7_000
    assert dict(card.dtypes) == {"BF16": 6_000, "F32": 1_000}
    assert card.pipeline_tag == "text-generation"


def test_fetch_card_without_card_or_counts_is_all_unknown(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/bare", {"model.bin": b"w"}, safetensors_total=0)
    card = fetch_card("demo/bare", settings(fakehub))
    assert (card.license, card.license_name, card.license_link, card.pipeline_tag) == (None, None, None, None)
    assert card.base_model == ()
    assert card.params is None  # a zero total is no count
    fakehub.add_repo("demo/one", {"model.bin": b"w"}, card_data={"base_model": "org/base"})
    assert fetch_card("demo/one", settings(fakehub)).base_model == ("org/base",)


def test_fetch_card_of_a_missing_repo_says_so(fakehub: FakeHub) -> None:
    with pytest.raises(HubError) as caught:
        fetch_card("demo/nope", settings(fakehub))
    assert "demo/nope" in str(caught.value)


# ---------------------------------------------------------------- ETags of resumed partial files


def test_matches_etag_checks_the_digest_the_etag_names(tmp_path: Path) -> None:
    data = b"partial file content"
    path = tmp_path / "f"
    path.write_bytes(data)
    assert _matches_etag(path, sha256_hex(data))
    assert not _matches_etag(path, sha256_hex(data + b"!"))
    assert _matches_etag(path, git_blob_sha1(data))
    assert not _matches_etag(path, git_blob_sha1(b"other"))
    assert _matches_etag(path, None)  # no ETag: nothing to compare with
    assert _matches_etag(path, "W/not-a-digest")


# ---------------------------------------------------------------- how old, and what failed


def test_age_rounds_to_the_unit_users_read() -> None:
    now = 1_000_000.0
    assert age(None, now) == "?"
    assert age(now + 5, now) == "0 s"  # a clock that went back is not a negative age
    assert [age(now - s, now) for s in (0, 89, 90, 5399, 5400, 36 * 3600 - 1, 36 * 3600, 10 * 86400)] == [
        "0 s",
        "89 s",
        "2 min",
        "90 min",
        "2 h",
        "36 h",
        "2 d",
        "10 d",
    ]


def test_failure_summary_counts_failures_and_stale_ones_but_not_gone() -> None:
    infos = [
        HubInfo("a/ok", "ok", fetched_at=1.0),
        HubInfo("a/gone", "gone", fetched_at=1.0, error="not found on the Hub"),
        HubInfo("a/old", "ok", fetched_at=1.0, cached=True, stale=True, error="h answered HTTP 503"),
        HubInfo("a/new", "unavailable", error="h answered HTTP 503"),
        HubInfo("a/slow", "unavailable", error="h did not answer within 2 s"),
    ]
    assert failure_summary(infos) == (
        "Hub: 3 repo(s) without fresh figures: h answered HTTP 503; h did not answer within 2 s"
        " — showing 1 from the cache (stale)"
    )
    assert failure_summary(infos[3:], source="modelscope") == (
        "ModelScope: 2 repo(s) without fresh figures: h answered HTTP 503; h did not answer within 2 s"
    )
    assert failure_summary(infos[:2]) is None


# ---------------------------------------------------------------- config.json cache (the estimator's input)


def test_config_is_cached_refreshed_and_kept_when_the_hub_fails(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"config.json": json.dumps({"hidden_size": 64})})
    assert fetch_config("demo/a", settings(fakehub)) == {"hidden_size": 64}
    fakehub.add_repo("demo/a", {"config.json": json.dumps({"hidden_size": 128})})
    fakehub.reset_requests()
    assert fetch_config("demo/a", settings(fakehub)) == {"hidden_size": 64}  # within the TTL
    assert fakehub.requests == []
    assert fetch_config("demo/a", settings(fakehub, offline=True, ttl=0.0)) == {"hidden_size": 64}
    assert fetch_config("demo/a", settings(fakehub, refresh=True)) == {"hidden_size": 128}
    fakehub.fail_next("*config.json", status=503, times=None)
    assert fetch_config("demo/a", settings(fakehub, ttl=0.0)) == {"hidden_size": 128}  # stale beats nothing
    with pytest.raises(HubError) as caught:
        fetch_config("demo/b", settings(fakehub, offline=True))
    assert str(caught.value) == "demo/b: config.json is not in the cache and offline mode is on"
    fakehub.add_repo("demo/c", {"config.json": json.dumps({"hidden_size": 1})})
    with pytest.raises(HubError) as caught:
        fetch_config("demo/c", settings(fakehub))  # the rule still answers 503; nothing cached to fall back on
    assert "HTTP 503" in str(caught.value)


def test_config_behind_a_redirect_is_followed(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/lfs", {"config.json": json.dumps({"hidden_size": 32})}, lfs_patterns=("*.json",))
    assert fetch_config("demo/lfs", settings(fakehub)) == {"hidden_size": 32}  # answered by the CDN after a 302


# ---------------------------------------------------------------- licences and refusals


def test_one_item_licence_list_and_denied_access(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"x"}, card_data={"license": ["mit"]})
    assert fetch_infos(["demo/a"], settings(fakehub))["demo/a"].license == "mit"
    fakehub.add_repo("demo/b", {"model.bin": b"x"})
    fakehub.fail_next("/api/models/demo/b", status=401, times=None)
    info = fetch_infos(["demo/b"], settings(fakehub))["demo/b"]
    host = fakehub.url.split("://", 1)[1]
    assert (info.status, info.error) == ("unavailable", f"access denied by {host} (HTTP 401); check HF_TOKEN / --token")


def test_strict_passes_when_every_repo_answered(fakehub: FakeHub) -> None:
    for repo in ("demo/glm-demo", "demo/glm-demo-int4", "demo/glm-demo-int4-qe"):
        fakehub.add_repo(repo, {"model.bin": b"x"})
    result = runner.invoke(app, ["list", "--vram", "7", "--live", "--strict"], env=FIXTURE_ENV)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_gated_refusal_names_the_page_of_the_endpoint_in_use(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/g", {"README.md": b"r", "model.bin": b"x"}, gated="auto")
    listing = list_repo("demo/g", settings(fakehub))
    with pytest.raises(HubError) as caught:
        check_access(listing, ["README.md", "model.bin"], settings(fakehub))
    assert str(caught.value) == f"demo/g is gated: request access at {fakehub.url}/demo/g and wait until it is granted"


def test_strict_failure_names_the_setting_of_the_source_asked() -> None:
    failed = [HubInfo("a/b", "unavailable", error="h answered HTTP 503")]
    for source, hint in (
        ("hf", "retry later, try --endpoint / --mirror, or drop --strict"),
        ("modelscope", "retry later, check MODELSCOPE_ENDPOINT, or drop --strict"),
    ):
        with pytest.raises(HubError) as caught:
            require_ok(failed, source=source)
        assert caught.value.hint == hint
    require_ok([HubInfo("a/b", "ok", fetched_at=1.0)])  # nothing failed: nothing raised


def test_fetch_card_drops_dtype_counts_that_are_not_numbers(fakehub: FakeHub) -> None:
    counts = {"BF16": 6_000, "F8": "many", "I8": True, "F32": 2.5}
    fakehub.add_repo("demo/odd", {"model.bin": b"w"}, extra={"safetensors": {"parameters": counts, "total": 6_000}})
    card = fetch_card("demo/odd", settings(fakehub))
    assert card.dtypes == (("BF16", 6_000),)
    assert card.params == 6_000


# ---------------------------------------------------------------- downloads: what the destination already holds


def dl(*args: str) -> Any:
    return runner.invoke(app, ["download", *args, "--lang", "en"], env=FIXTURE_ENV)


def test_a_file_a_new_commit_keeps_is_present_through_its_blob(fakehub: FakeHub) -> None:
    weights = b"w" * 1000
    fakehub.add_repo("demo/a", {"config.json": b'{"v": 1}', "model.bin": weights})
    assert dl("demo/a", "--quiet").exit_code == 0
    fakehub.add_repo("demo/a", {"config.json": b'{"v": 22}', "model.bin": weights})  # the repo moved on
    commit = fakehub.repo("demo/a").refs["main"]
    result = dl("demo/a", "--dry-run")
    assert result.exit_code == 0, result.stderr
    # the new commit has no snapshot link yet, but the weights' blob (named by their sha256) is in the cache
    assert result.stdout.splitlines()[:3] == [
        f"demo/a @ main ({commit[:8]}): 2 files, 1009 B; 9 B to download",
        "        9 B  config.json",
        "     1000 B  model.bin (present)",
    ]
    fakehub.reset_requests()
    assert dl("demo/a", "--quiet").exit_code == 0
    assert [t.filename for t in fakehub.transfers] == ["config.json"]


def test_a_file_edited_in_a_local_dir_since_its_download_is_fetched_again(fakehub: FakeHub, tmp_path: Path) -> None:
    weights = b"w" * 1000
    fakehub.add_repo("demo/a", {"model.bin": weights})
    target = tmp_path / "d"
    assert dl("demo/a", "--local-dir", str(target), "--quiet").exit_code == 0
    assert dl("demo/a", "--local-dir", str(target), "--dry-run").stdout.splitlines()[:2] == [
        f"demo/a @ main ({fakehub.repo('demo/a').refs['main'][:8]}): 1 file, 1000 B; all present",
        "     1000 B  model.bin (present)",
    ]
    edited = target / "model.bin"
    edited.write_bytes(b"x" * 1000)
    later = edited.stat().st_mtime + 10  # written after huggingface_hub recorded it: no longer known to match
    os.utime(edited, (later, later))
    result = dl("demo/a", "--local-dir", str(target), "--dry-run")
    assert result.stdout.splitlines()[1] == "     1000 B  model.bin"
    assert "1000 B to download" in result.stdout.splitlines()[0]
    fakehub.reset_requests()
    assert dl("demo/a", "--local-dir", str(target), "--quiet").exit_code == 0
    assert edited.read_bytes() == weights
    assert [t.filename for t in fakehub.transfers] == ["model.bin"]


def test_the_resuming_stand_in_honours_force_download_like_the_function_it_replaces(fakehub: FakeHub) -> None:
    weights = b"w" * 1000
    fakehub.add_repo("demo/a", {"model.bin": weights})
    commit = fakehub.repo("demo/a").refs["main"]
    assert dl("demo/a", "--quiet").exit_code == 0
    blob = hub_cache_dir() / "models--demo--a" / "blobs" / sha256_hex(weights)

    def forced() -> None:
        with _resumable_transfers(_Transfer(None)):
            hf_hub_download("demo/a", "model.bin", revision=commit, force_download=True, endpoint=fakehub.url)

    fakehub.reset_requests()
    forced()  # a complete file and no partial: fetched again, whole
    assert [(t.filename, t.range, t.sent) for t in fakehub.transfers] == [("model.bin", None, 1000)]
    assert blob.read_bytes() == weights
    blob.with_name(blob.name + ".incomplete").write_bytes(weights[:400])
    fakehub.reset_requests()
    forced()  # a kept partial is not resumed when a fresh copy is asked for
    assert [(t.filename, t.range, t.sent) for t in fakehub.transfers] == [("model.bin", None, 1000)]
    assert blob.read_bytes() == weights and not blob.with_name(blob.name + ".incomplete").exists()


def test_a_download_run_off_the_main_thread_completes(fakehub: FakeHub, tmp_path: Path) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"w" * 1000})
    listing = list_repo("demo/a", settings(fakehub))
    done: list[Path] = []
    worker = threading.Thread(target=lambda: done.append(download(listing, settings(fakehub), paths=["model.bin"])))
    worker.start()
    worker.join()
    # Ctrl-C can only be caught on the main thread: elsewhere the download runs without a handler of its own
    assert done == [snapshot_dir("demo/a", listing.commit)]
    assert (done[0] / "model.bin").read_bytes() == b"w" * 1000


# ---------------------------------------------------------------- doctor, and whose origin a request goes to


def test_doctor_says_why_the_endpoint_does_not_answer() -> None:
    result = runner.invoke(app, ["doctor", "--json", "--endpoint", "http://127.0.0.1:9", "--timeout", "1"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["endpoint_ok"], report["endpoint_detail"]) == (False, "cannot reach 127.0.0.1:9 (ConnectError)")


def test_doctor_asks_the_endpoint_for_one_model_and_says_how_it_answered(fakehub: FakeHub) -> None:
    result = runner.invoke(app, ["doctor", "--json", "--endpoint", fakehub.url])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["endpoint_ok"] is True
    assert re.fullmatch(r"HTTP 404 in \d+ ms", report["endpoint_detail"])  # the fake Hub lists no models: any answer
    assert [r.path for r in fakehub.requests] == ["/api/models?limit=1"]


def test_an_origin_counts_the_default_port_of_its_scheme() -> None:
    # RFC 6454: the token guard (Hub and ModelScope) keeps the token on the endpoint's origin, written either way
    assert _origin("http://Host.example/a") == _origin("http://host.example:80/b") == ("http", "host.example", 80)
    assert _origin("https://host.example/a") == _origin("HTTPS://host.example:443/") == ("https", "host.example", 443)
    assert _origin("http://host.example:443/") != _origin("https://host.example/")
    assert _origin("https://host.example:80/") != _origin("http://host.example/")


def test_a_local_dir_file_is_present_within_huggingface_hubs_one_second_of_its_record(
    fakehub: FakeHub, tmp_path: Path
) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"w" * 1000})
    target = tmp_path / "d"
    assert dl("demo/a", "--local-dir", str(target), "--quiet").exit_code == 0
    record = target / ".cache" / "huggingface" / "download" / "model.bin.metadata"
    commit, etag, _ = record.read_text(encoding="utf-8").splitlines()
    record.write_text(f"{commit}\n{etag}\n1700000000\n", encoding="utf-8")  # recorded at a whole second
    get_local_download_paths(target, "model.bin").incomplete_path(etag).write_bytes(b"w" * 300)  # a run left it
    states = []
    for after in (0.5, 1.0, 1.5):  # the file's mtime, seconds after the record
        os.utime(target / "model.bin", (1700000000 + after, 1700000000 + after))
        (part,) = json.loads(dl("demo/a", "--local-dir", str(target), "--dry-run", "--json").stdout)["repos"]
        states.append([(f["present"], f["partial_bytes"]) for f in part["files"]])
    assert states == [[(True, 0)], [(True, 0)], [(False, 300)]]  # a partial counts for a missing file only


def test_present_files_count_no_partial_and_a_file_without_checksum_is_planned(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/a", {"model.bin": b"w" * 1000, "config.json": b"{}"})
    assert dl("demo/a", "--quiet").exit_code == 0
    (part,) = json.loads(dl("demo/a", "--dry-run", "--json").stdout)["repos"]
    assert [(f["path"], f["present"], f["partial_bytes"]) for f in part["files"]] == [
        ("config.json", True, 0),
        ("model.bin", True, 0),
    ]
    # a listing without sha256 or blob id (a mirror may omit them): nothing names a blob, so nothing is present
    siblings = [{"rfilename": "extra.bin", "size": 5}]
    fakehub.add_repo("demo/bare", {"extra.bin": b"e" * 5}, extra={"siblings": siblings})
    result = dl("demo/bare", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    (part,) = json.loads(result.stdout)["repos"]
    assert part["files"] == [{"path": "extra.bin", "size": 5, "present": False, "partial_bytes": 0}]


def test_a_bug_in_a_fetching_thread_surfaces_at_once_in_one_line(
    fakehub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakehub.add_repo("demo/glm-demo", {"model.bin": b"x"})

    def broken(repo: str, info: object) -> HubInfo:
        raise RuntimeError(f"bug while reading {repo}")

    monkeypatch.setattr(hub, "_from_model_info", broken)
    # not after the 300 s the other repos may take: the first bug ends the wait
    result = runner.invoke(app, ["show", "glm-demo", "--timeout", "300", "--lang", "en"], env=FIXTURE_ENV)
    # The other workers still run (daemon threads, ended with the process in real use); wait for them here, or one
    # would reach the next test's emptied fake Hub and leave its failed connection to the garbage collector there.
    for thread in threading.enumerate():
        if thread.name == "llmzh-hub":
            thread.join(timeout=30)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unexpected error (RuntimeError: bug while reading demo/glm-demo)\n"
        "Hint: run with LLMZH_DEBUG=1 for details\n"
    )


# ---------------------------------------------------------------- tokens, licences, byte counts, what is left behind


def test_a_stored_login_is_not_sent_to_a_mirror(fakehub: FakeHub) -> None:
    from huggingface_hub import constants

    Path(constants.HF_TOKEN_PATH).write_text("hf_storedLOGINforHuggingFaceOnly", encoding="utf-8")
    fakehub.add_repo("demo/a", {"model.bin": b"x"})
    assert fetch_infos(["demo/a"], settings(fakehub))["demo/a"].status == "ok"
    assert dl("demo/a", "--quiet").exit_code == 0
    assert fakehub.requests and all("authorization" not in r.headers for r in fakehub.requests)


def test_the_licence_tag_is_found_among_other_tags(fakehub: FakeHub) -> None:
    tags = ["text-generation", "zh", "license:apache-2.0", "license:mit"]
    fakehub.add_repo("demo/a", {"model.bin": b"x"}, tags=tags)
    assert fetch_infos(["demo/a"], settings(fakehub))["demo/a"].license == "apache-2.0"  # the first licence tag


def test_byte_counts_add_up_to_the_file_when_a_retry_starts_again_from_zero(
    fakehub: FakeHub, hf_sleeps: object
) -> None:
    mib = 1 << 20  # what llmzh writes at a time
    data = bytes(range(256)) * (5 * mib // 2 // 256)  # 2.5 MiB
    fakehub.add_repo("demo/a", {"model.bin": data})
    fakehub.support_range = False  # the retry after the cut gets the whole file again (200)
    fakehub.drop_file("model.bin", 3 * mib // 2)  # a clean close: http_get retries at once, within the call
    listing = list_repo("demo/a", settings(fakehub))
    counts: list[int] = []
    path = download(listing, settings(fakehub), paths=["model.bin"], on_bytes=counts.append)
    assert (path / "model.bin").read_bytes() == data
    assert [c for c in counts if c < 0] == [-mib]  # the MiB written before the cut was taken back...
    assert sum(counts) == len(data)  # ...so the progress bar ends at the file's size


def test_a_download_leaves_huggingface_hub_as_it_found_it(fakehub: FakeHub) -> None:
    import logging

    from huggingface_hub import constants, file_download

    fakehub.add_repo("demo/a", {"model.bin": b"x" * 100})
    before = (
        file_download._download_to_tmp_and_move,
        constants.HF_HUB_DISABLE_XET,
        constants.DOWNLOAD_CHUNK_SIZE,
        logging.getLogger("huggingface_hub").level,
    )
    assert dl("demo/a", "--quiet").exit_code == 0
    after = (
        file_download._download_to_tmp_and_move,
        constants.HF_HUB_DISABLE_XET,
        constants.DOWNLOAD_CHUNK_SIZE,
        logging.getLogger("huggingface_hub").level,
    )
    assert after == before


def test_no_request_goes_anywhere_but_where_it_was_asked(fakehub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    import platform

    import huggingface_hub
    from huggingface_hub.utils import _detect_agent

    # With telemetry on, huggingface_hub fetches a list of AI agents from its import-time endpoint (huggingface.co
    # for most users, whatever --endpoint says) once per process and day, and names the agent in the user agent.
    monkeypatch.setattr(_detect_agent, "_registry", None)  # its cache (on disk: in the test's sandbox)
    monkeypatch.setenv("AI_AGENT", "some-harness")
    fakehub.add_repo("demo/a", {"model.bin": b"x"})
    assert fetch_infos(["demo/a"], settings(fakehub))["demo/a"].status == "ok"
    (request,) = fakehub.requests  # the fake Hub is also the import-time endpoint here
    assert request.path == "/api/models/demo/a?blobs=true"
    agent = request.headers["user-agent"]
    assert agent.startswith("llmzh/")
    assert agent.split("; ")[1:] == [f"hf_hub/{huggingface_hub.__version__}", f"python/{platform.python_version()}"]

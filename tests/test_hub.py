"""Live Hub figures through the real huggingface_hub client, against the fake Hub on 127.0.0.1."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fakehub import FakeHub
from typer.testing import CliRunner

from llmzh.cli import app
from llmzh.hub import HubSettings, age, fetch_infos
from llmzh.repoinfo import cache_path, read_cached

FIXTURE = Path(__file__).parent / "fixtures" / "catalog_small.yaml"
runner = CliRunner()
GLM_REPOS = ("demo/glm-demo", "demo/glm-demo-int4", "demo/glm-demo-int4-qe")


def populate(hub: FakeHub) -> None:
    hub.add_repo(
        "demo/glm-demo",
        {
            "config.json": b"{}",
            "pytorch_model-00001-of-00002.bin": b"a" * 3000,
            "pytorch_model-00002-of-00002.bin": b"b" * 1000,
        },
        downloads=12345,
        likes=678,
        license="other",
        safetensors_total=6_200_000_000,
    )
    hub.add_repo("demo/glm-demo-int4", {"config.json": b"{}", "model.safetensors": b"q" * 500}, downloads=999, likes=5)
    hub.add_repo("demo/glm-demo-int4-qe", {"model.bin": b"e" * 400}, downloads=3, likes=1, license="apache-2.0")


FIXTURE_ENV = {"LLMZH_CATALOG": str(FIXTURE)}  # the fixture replaces the built-in catalog


def show(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["show", *args, "--lang", "en"], env={**FIXTURE_ENV, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def settings(hub: FakeHub, **kw: object) -> HubSettings:
    return HubSettings(endpoint=hub.url)._replace(**kw)


def test_show_prints_live_figures_then_serves_them_from_the_cache(fakehub: FakeHub) -> None:
    populate(fakehub)
    code, out, err = show("glm-demo")
    assert code == 0, err
    assert err == ""
    assert "12.3k" in out and "678" in out  # downloads, likes
    assert "3.91 kB" in out  # size of the weight files alone (4000 bytes, in kB of 2^10 like every size)
    assert "live" in out
    assert fakehub.count("GET", "/api/models/*") == 3
    assert all("blobs=true" in r.path for r in fakehub.requests_matching("GET", "/api/models/*"))

    fakehub.reset_requests()
    code, out, err = show("glm-demo")
    assert code == 0
    assert fakehub.requests == []  # within the TTL: no request at all
    assert "cached" in out and "ago" in out

    code, out, err = show("glm-demo", "--refresh")
    assert fakehub.count("GET", "/api/models/*") == 3
    assert "live" in out


def test_show_notes_where_the_hub_disagrees_with_the_catalog(fakehub: FakeHub) -> None:
    populate(fakehub)
    fakehub.add_repo(
        "demo/glm-demo", {"model.safetensors": b"x"}, license="apache-2.0", safetensors_total=9_000_000_000
    )
    fakehub.mark_gone("demo/glm-demo-int4-qe")
    code, out, err = show("glm-demo")
    assert code == 0
    assert "Disagrees with the catalog" in out
    assert "licence tag is 'apache-2.0', the catalog expects 'other'" in out
    assert "9.00B parameters, the catalog says 6.2B" in out
    assert "demo/glm-demo-int4-qe is gone from the Hub" in out
    assert "Hub:" not in err  # a gone repo is an answer, not a failure


def test_adapter_card_reports_its_gone_base_and_the_alternatives(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/vicuna-lora-7b", {"adapter_model.bin": b"l" * 100})
    code, out, err = show("vicuna-demo-7b")
    assert code == 0
    assert "demo/llama-7b-hf (base)" in out
    assert "base weights demo/llama-7b-hf are gone from the Hub; alternatives in the catalog: demo/llama-7b-alt" in out


@pytest.mark.parametrize(
    ("status", "error_code", "expected"),
    [
        (503, None, "answered HTTP 503"),
        (500, None, "answered HTTP 500"),
        (429, None, "rate limited"),
        (403, None, "access denied"),
    ],
)
def test_hub_failures_keep_the_card_and_print_one_line(
    fakehub: FakeHub, status: int, error_code: str | None, expected: str
) -> None:
    populate(fakehub)
    fakehub.fail_next("/api/models/*", status=status, times=None, error_code=error_code, retry_after=0)
    code, out, err = show("glm-demo")
    assert code == 0
    assert "Developers" in out and "Resources" in out  # the whole catalog card is still there
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert expected in lines[0]
    assert "Traceback" not in err
    code, out, err = show("glm-demo", "--strict")
    assert code == 1
    assert err.startswith("Error: Hub: 3 repo(s) without fresh figures")


def test_unreachable_host_timeout_and_dropped_connection(fakehub: FakeHub) -> None:
    populate(fakehub)
    code, out, err = show("glm-demo", "--endpoint", "http://127.0.0.1:9")
    assert code == 0
    assert "cannot reach 127.0.0.1:9" in err
    fakehub.fail_next("/api/models/*", delay=2.0, times=None)
    code, out, err = show("glm-demo", "--timeout", "0.2")
    assert "did not answer within 0.2 s" in err
    fakehub.clear_failures()
    fakehub.fail_next("/api/models/*", disconnect=True, times=None)
    code, out, err = show("glm-demo")
    assert code == 0
    assert "cannot reach" in err and "RemoteProtocolError" in err


def test_failure_after_a_cached_fetch_shows_stale_figures(fakehub: FakeHub) -> None:
    populate(fakehub)
    assert show("glm-demo")[0] == 0
    fakehub.fail_next("/api/models/*", status=503, times=None)
    code, out, err = show("glm-demo", "--refresh")
    assert code == 0
    assert "12.3k" in out  # the cached figures are still shown...
    assert "⚠" in out  # ...marked stale
    assert "from the cache (stale)" in err


def test_gated_and_gone_statuses(fakehub: FakeHub) -> None:
    populate(fakehub)
    fakehub.set_gated("demo/glm-demo-int4", "manual")
    fakehub.remove_repo("demo/glm-demo-int4-qe")
    infos = fetch_infos(GLM_REPOS, settings(fakehub))
    assert infos["demo/glm-demo-int4"].status == "gated"
    assert infos["demo/glm-demo-int4-qe"].status == "gone"
    assert infos["demo/glm-demo"].status == "ok"


def test_ttl_and_corrupted_cache(fakehub: FakeHub) -> None:
    populate(fakehub)
    s = settings(fakehub)
    fetch_infos(GLM_REPOS, s)
    fakehub.reset_requests()
    assert all(i.cached for i in fetch_infos(GLM_REPOS, s).values())
    assert fakehub.requests == []
    assert all(not i.cached for i in fetch_infos(GLM_REPOS, s._replace(ttl=0.0)).values())  # expired: fetched
    assert fakehub.count("GET", "/api/models/*") == 3

    assert read_cached(s, "demo/glm-demo") is not None
    path = cache_path(s.endpoint, "demo/glm-demo")
    path.write_text("{not json", encoding="utf-8")
    fakehub.reset_requests()
    info = fetch_infos(["demo/glm-demo"], s)["demo/glm-demo"]
    assert info.status == "ok" and not info.cached  # corrupted file ignored, fetched again...
    assert json.loads(path.read_text(encoding="utf-8"))["downloads"] == 12345  # ...and rewritten
    assert fakehub.count("GET", "/api/models/*") == 1


def test_cache_is_keyed_by_endpoint(fakehub: FakeHub) -> None:
    populate(fakehub)
    fetch_infos(["demo/glm-demo"], settings(fakehub))
    other = HubSettings(endpoint="http://127.0.0.1:9", offline=True)
    assert fetch_infos(["demo/glm-demo"], other)["demo/glm-demo"].status == "unavailable"


def test_offline_uses_the_cache_only(fakehub: FakeHub) -> None:
    populate(fakehub)
    fetch_infos(["demo/glm-demo"], settings(fakehub))
    fakehub.reset_requests()
    code, out, err = show("glm-demo", "--offline")
    assert code == 0
    assert fakehub.requests == []
    assert "12.3k" in out and "cached" in out
    assert "offline, and not in the cache" in err  # the two repos never fetched
    code, out, err = show("glm-demo", env={"HF_HUB_OFFLINE": "1"})
    assert fakehub.requests == []


def test_token_is_sent_but_never_shown(fakehub: FakeHub) -> None:
    populate(fakehub)
    secret = "hf_SECRETsecretSECRET123"
    fakehub.fail_next("/api/models/demo/glm-demo-int4", status=503)
    result = runner.invoke(app, ["show", "glm-demo", "--token", secret, "--refresh", "--strict"], env=FIXTURE_ENV)
    assert secret not in result.stdout and secret not in result.stderr
    auth = {r.headers.get("authorization") for r in fakehub.requests_matching("GET", "/api/models/*")}
    assert auth == {f"Bearer {secret}"}
    fakehub.reset_requests()
    code, out, err = show("glm-demo", "--refresh", env={"HF_TOKEN": secret})
    assert secret not in out + err
    assert {r.headers.get("authorization") for r in fakehub.requests} == {f"Bearer {secret}"}


def test_endpoint_option_overrides_hf_endpoint(fakehub: FakeHub) -> None:
    populate(fakehub)
    code, out, err = show("glm-demo", "--endpoint", fakehub.url, env={"HF_ENDPOINT": "http://127.0.0.1:9"})
    assert code == 0, err
    assert err == ""
    assert fakehub.count("GET", "/api/models/*") == 3
    code, out, err = show("glm-demo", "--endpoint", "ftp://nope")
    assert code == 2
    assert "not an http(s) URL" in err


def test_list_live_columns_json_and_sort(fakehub: FakeHub) -> None:
    populate(fakehub)
    result = runner.invoke(
        app, ["list", "--quant", "int4", "--quant", "fp16", "--live", "--all-levels"], env=FIXTURE_ENV
    )
    assert result.exit_code == 0, result.stderr
    assert "12.3k" in result.stdout and "999" in result.stdout
    result = runner.invoke(app, ["list", "--json", "--sort", "downloads", "--vram", "20"], env=FIXTURE_ENV)
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["glm-demo-fp16", "glm-demo-int8", "glm-demo-int4", "glm-demo-int4-qe"]
    first = rows[0]
    assert first["downloads"] == 12345 and first["likes"] == 678
    assert first["size_bytes"] == 4002 and first["weights_bytes"] == 4000
    assert first["last_modified"].startswith("20")
    assert first["hub_status"] == "ok"
    assert rows[1]["downloads"] == 12345  # load-time INT8 reports its source repo


def test_list_live_failure_fills_dashes_and_one_summary(fakehub: FakeHub) -> None:
    populate(fakehub)
    fakehub.fail_next("/api/models/demo/glm-demo-int4", status=503, times=None)
    result = runner.invoke(app, ["list", "--vram", "7", "--live", "--lang", "en"], env=FIXTURE_ENV)
    assert result.exit_code == 0
    int4_line = next(line for line in result.stdout.splitlines() if line.startswith("glm-demo-int4 "))
    assert "—" in int4_line
    assert len(result.stderr.strip().splitlines()) == 1
    assert "1 repo(s) without fresh figures" in result.stderr
    result = runner.invoke(app, ["list", "--vram", "7", "--live", "--json"], env=FIXTURE_ENV)
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["glm-demo-int4"]["hub_status"] == "unavailable" and rows["glm-demo-int4"]["downloads"] is None
    result = runner.invoke(app, ["list", "--vram", "7", "--live", "--strict"], env=FIXTURE_ENV)
    assert result.exit_code == 1


def test_requests_run_concurrently(fakehub: FakeHub) -> None:
    repos = [f"demo/r{i}" for i in range(12)]
    for repo in repos:
        fakehub.add_repo(repo, {"model.bin": b"x"})
    fakehub.latency = 0.2
    infos = fetch_infos(repos, settings(fakehub, max_workers=6))
    assert all(i.status == "ok" for i in infos.values())
    assert fakehub.max_in_flight >= 4  # the pool keeps several requests in flight at once
    assert fakehub.max_in_flight <= 6  # and never more than its bound


def test_age() -> None:
    now = time.time()
    assert age(now - 30, now) == "30 s"
    assert age(now - 3 * 3600, now) == "3 h"
    assert age(now - 5 * 86400, now) == "5 d"
    assert age(None) == "?"

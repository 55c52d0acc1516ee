"""`llmzh download` and `llmzh verify` through the real huggingface_hub client, against the fake Hub on 127.0.0.1."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from fakehub import FakeHub, SleepRecorder
from spawned import spawn, wait_for_partial
from typer.testing import CliRunner

from llmzh import download as download_mod
from llmzh import hub
from llmzh.cli import app
from llmzh.errors import HubError
from llmzh.hub import HubSettings, fetch_config
from llmzh.render import human_bytes

FIXTURE = Path(__file__).parent / "fixtures" / "catalog_small.yaml"
runner = CliRunner()
MB = 2**20  # sizes print in binary units, like the memory figures
SECRET = "hf_SECRETsecretSECRET123"

# Lineage cases the shared fixture catalog lacks: a base with its own licence and alternatives, and delta weights.
LINEAGE_CATALOG = """\
version: 1
projects:
- id: lora-demo
  name: LoRA-Demo
  description: A LoRA adapter on a base whose recorded repo is gone.
  license: {weights: LLaMA licence (inherited), commercial: research-only, source: https://example.org/lora}
  models:
  - id: lora-demo-7b
    name: LoRA-Demo 7B
    format: lora
    base_weights:
      name: LLaMA-7B
      repo: demo/llama-gone
      alternatives: [demo/llama-alt-a, demo/llama-alt-b]
      license: {weights: LLaMA v1 licence (Meta), commercial: research-only, source: https://example.org/llama}
    variants:
    - id: lora-demo-7b-int8
      quant: bnb-int8
      repo: demo/lora-adapter
- id: delta-demo
  name: Delta-Demo
  description: XOR delta weights against Meta's original files.
  license: {weights: GPL-3.0, commercial: research-only, source: https://example.org/delta}
  models:
  - id: delta-demo-7b
    name: Delta-Demo 7B
    format: delta
    base_weights:
      name: LLaMA-7B (Meta original)
      note: {zh: 用 decrypt.py 还原, en: restore with decrypt.py against Meta's consolidated.00.pth}
    variants:
    - id: delta-demo-7b-gptq-int4
      quant: gptq-int4
      repo: demo/delta-enc
      files: ["*-4bit-*.enc"]
"""


def payload(size: int, seed: str) -> bytes:
    """Incompressible, reproducible bytes: a wrong offset on resume would show in the sha256."""
    block = hashlib.sha256(seed.encode()).digest() * 2048  # 64 KiB
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(block + counter.to_bytes(8, "big")).digest() * 2048
        counter += 1
    return bytes(out[:size])


def dl(*args: str, catalog: Path = FIXTURE, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["download", *args], env={"LLMZH_CATALOG": str(catalog), **(env or {})})


def verify(*args: str, catalog: Path = FIXTURE) -> Any:
    return runner.invoke(app, ["verify", *args], env={"LLMZH_CATALOG": str(catalog)})


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def storage(repo: str) -> Path:
    return hub.hub_cache_dir() / f"models--{repo.replace('/', '--')}"


def snapshot(hub_: FakeHub, repo: str) -> Path:
    return storage(repo) / "snapshots" / hub_.repo(repo).refs["main"]


def partial_of(hub_: FakeHub, repo: str, path: str) -> Path:
    return storage(repo) / "blobs" / f"{hub_.file_sha256(repo, path)}.incomplete"


def gets(hub_: FakeHub, filename: str) -> list[Any]:
    return [t for t in hub_.transfers if t.method == "GET" and t.filename == filename]


@pytest.fixture
def glm(fakehub: FakeHub) -> FakeHub:
    fakehub.add_repo("demo/glm-demo", {"config.json": b'{"a": 1}', "pytorch_model.bin": payload(3 * MB, "fp16")})
    fakehub.add_repo("demo/glm-demo-int4", {"config.json": b"{}", "model.safetensors": payload(MB, "int4")})
    return fakehub


@pytest.fixture
def lineage_catalog(tmp_path: Path) -> Path:
    path = tmp_path / "lineage.yaml"
    path.write_text(LINEAGE_CATALOG, encoding="utf-8")
    return path


@pytest.fixture
def small_disk(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Stand in a disk with `free[0]` bytes free for llmzh's check (huggingface_hub itself is untouched)."""
    free = [10 * MB]
    monkeypatch.setattr(download_mod, "free_space", lambda path: free[0])
    return free


# ---------------------------------------------------------------- what it downloads


def test_catalog_name_downloads_the_default_variant_into_the_cache(glm: FakeHub) -> None:
    result = dl("glm-demo")
    assert result.exit_code == 0, result.stderr
    folder = snapshot(glm, "demo/glm-demo")
    assert sha256_of(folder / "pytorch_model.bin") == glm.file_sha256("demo/glm-demo", "pytorch_model.bin")
    assert (folder / "config.json").read_bytes() == b'{"a": 1}'
    assert result.stdout == f"demo/glm-demo: 2 files, 3 MB in {folder}\n"
    assert result.stderr.splitlines()[0].startswith("demo/glm-demo @ main (")
    assert "2 files, 3 MB; 3 MB to download" in result.stderr
    assert "licence: Demo Model License · commercial after registration" in result.stderr
    assert not gets(glm, "model.safetensors")  # the INT4 repo was not touched


def test_raw_repo_id_into_a_local_dir(fakehub: FakeHub, tmp_path: Path) -> None:
    fakehub.add_repo("someone/not-in-catalog", {"config.json": b"{}", "sub/model.safetensors": payload(MB, "raw")})
    target = tmp_path / "copy"
    result = dl("someone/not-in-catalog", "--local-dir", str(target))
    assert result.exit_code == 0, result.stderr
    assert sha256_of(target / "sub" / "model.safetensors") == fakehub.file_sha256(
        "someone/not-in-catalog", "sub/model.safetensors"
    )
    assert result.stdout == f"someone/not-in-catalog: 2 files, 1 MB in {target}\n"
    assert not (storage("someone/not-in-catalog") / "blobs").exists()  # a plain copy, not the cache
    assert "licence" not in result.stderr  # the catalog knows nothing about it


def test_quant_picks_the_variant_repo(glm: FakeHub) -> None:
    result = dl("glm-demo", "--quant", "INT4", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("demo/glm-demo-int4: 2 files, 1 MB in ")
    assert (snapshot(glm, "demo/glm-demo-int4") / "model.safetensors").is_file()
    assert not gets(glm, "pytorch_model.bin")
    assert "@ main" not in result.stderr  # --quiet: no plan


def test_level_made_at_load_time_downloads_the_source_and_prints_the_line(glm: FakeHub) -> None:
    result = dl("glm-demo", "--quant", "int8")
    assert result.exit_code == 0, result.stderr
    assert (snapshot(glm, "demo/glm-demo") / "pytorch_model.bin").is_file()
    assert (
        "glm-demo-int8 is quantized at load time from the demo/glm-demo weights just fetched; "
        "load it with: model.quantize(8)"
    ) in result.stderr.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["glm-demo", "--quant", "int3"], "unknown level 'int3' for --quant"),
        (["glm-demo", "--quant", "gptq-int4"], "glm-demo has no gptq-int4 variant"),
        (["glm-demo-int4", "--quant", "fp16"], "glm-demo-int4 is the int4 variant; --quant fp16 contradicts it"),
        (["demo/glm-demo", "--quant", "int4"], "--quant picks a variant of a catalog model, not of a Hub repo"),
        (["vicuna-demo"], "vicuna-demo has 2 models; name one"),
        (["glm-demo", "--with-base"], "--with-base: glm-demo is a model with full weights"),
        (["glm-demo", "--base-repo", "not a repo"], "--base-repo 'not a repo' is not a Hub repo id"),
        (["glm-demo", "--mirror", "nowhere"], "unknown mirror 'nowhere'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(glm: FakeHub, args: list[str], message: str) -> None:
    result = dl(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {message}")
    assert "Traceback" not in result.stderr
    assert glm.transfers == []


def test_include_and_exclude_select_files_and_the_plan_counts_only_them(glm: FakeHub) -> None:
    result = dl("glm-demo", "--include", "*.json", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "demo/glm-demo @ main (" + glm.repo("demo/glm-demo").refs["main"][:8] + "): 1 file, 8 B; 8 B to download",
        "        8 B  config.json",
    ]
    result = dl("glm-demo", "--exclude", "*.json", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in snapshot(glm, "demo/glm-demo").iterdir()) == ["pytorch_model.bin"]


def test_patterns_that_match_nothing(glm: FakeHub) -> None:
    result = dl("glm-demo", "--include", "*.gguf")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no file of demo/glm-demo matches --include '*.gguf'\nHint: its files: config.json, pytorch_model.bin\n"
    )


def test_catalog_file_patterns_pick_one_level_of_a_shared_repo(fakehub: FakeHub, lineage_catalog: Path) -> None:
    fakehub.add_repo("demo/delta-enc", {"m-4bit-128g.pt.00.enc": b"4" * 100, "m-8bit-128g.pt.00.enc": b"8" * 200})
    result = dl("delta-demo-7b-gptq-int4", "--dry-run", catalog=lineage_catalog)
    assert result.exit_code == 0, result.stderr
    assert "1 file, 100 B" in result.stdout
    assert "m-8bit" not in result.stdout


@pytest.mark.parametrize(
    ("args", "repo", "note"),
    [
        (["chatglm-6b", "--quant", "int4"], "THUDM/chatglm-6b-int4", None),
        (["chatglm-6b-int4"], "THUDM/chatglm-6b-int4", None),
        (["chatglm-6b", "--quant", "int8"], "THUDM/chatglm-6b", ".quantize(8)"),
        (
            ["chinese-vicuna-7b"],
            "Chinese-Vicuna/Chinese-Vicuna-lora-7b-belle-and-guanaco",
            "decapoda-research/llama-7b-hf is gone from the Hub; alternatives in the catalog: "
            "baffo32/decapoda-research-llama-7B-hf, yahma/llama-7b-hf, huggyllama/llama-7b",
        ),
    ],
)
def test_the_issue_examples_resolve_in_the_shipped_catalog(
    fakehub: FakeHub, args: list[str], repo: str, note: str | None
) -> None:
    fakehub.add_repo(repo, {"config.json": b"{}"})
    result = runner.invoke(app, ["download", *args, "--dry-run", "--json", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [r["repo"] for r in plan["repos"]] == [repo]
    if note is not None:
        assert any(note in line for line in plan["notes"])


# ---------------------------------------------------------------- before any byte moves


def test_dry_run_prints_the_plan_and_writes_nothing(glm: FakeHub, small_disk: list[int]) -> None:
    result = dl("glm-demo", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    commit = glm.repo("demo/glm-demo").refs["main"]
    assert json.loads(result.stdout) == {
        "dry_run": True,
        "source": "hf",
        "variant": "glm-demo-fp16",
        "format": "full",
        "quantized_at_load": False,
        "load_code": None,
        "license": "Demo Model License · commercial after registration (free commercial use after registration)",
        "destination": str(hub.hub_cache_dir()),
        "free_bytes": 10 * MB,
        "missing_bytes": 3 * MB + 8,
        "fits": True,
        "repos": [
            {
                "role": "weights",
                "repo": "demo/glm-demo",
                "revision": "main",
                "commit": commit,
                "path": None,
                "total_bytes": 3 * MB + 8,
                "missing_bytes": 3 * MB + 8,
                "files": [
                    {"path": "config.json", "size": 8, "present": False, "partial_bytes": 0},
                    {"path": "pytorch_model.bin", "size": 3 * MB, "present": False, "partial_bytes": 0},
                ],
            }
        ],
        "verified": [],
        "notes": [],
    }
    assert glm.transfers == [] and glm.count("HEAD") == 0
    assert not storage("demo/glm-demo").exists()

    result = dl("glm-demo", "--dry-run")
    assert result.stdout == (
        f"demo/glm-demo @ main ({commit[:8]}): 2 files, 3 MB; 3 MB to download\n"
        "        8 B  config.json\n"
        "       3 MB  pytorch_model.bin\n"
        f"destination: the Hugging Face cache {hub.hub_cache_dir()} (10 MB free)\n"
    )


def test_disk_check_refuses_with_needed_and_free_space_and_writes_nothing(glm: FakeHub, small_disk: list[int]) -> None:
    small_disk[0] = 2 * MB
    result = dl("glm-demo")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: not enough disk space in {hub.hub_cache_dir()}: 3 MB still to download, 2 MB free\n"
        "Hint: free some space, choose --local-dir on another disk, or pass --force to try anyway\n"
    )
    assert glm.transfers == [] and not storage("demo/glm-demo").exists()

    assert "would be refused" in dl("glm-demo", "--dry-run").stderr  # the plan says so, exit 0

    result = dl("glm-demo", "--force", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (snapshot(glm, "demo/glm-demo") / "pytorch_model.bin").is_file()


def test_disk_check_counts_only_what_is_still_missing(glm: FakeHub, small_disk: list[int]) -> None:
    partial = partial_of(glm, "demo/glm-demo", "pytorch_model.bin")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(glm.file_bytes("demo/glm-demo", "pytorch_model.bin")[: 2 * MB])
    small_disk[0] = int(1.5 * MB)  # less than the file, more than what is missing of it
    result = dl("glm-demo", "--dry-run")
    assert "       3 MB  pytorch_model.bin (2 MB kept)" in result.stdout
    assert "2 files, 3 MB; 1 MB to download" in result.stdout
    assert dl("glm-demo", "--quiet").exit_code == 0


def test_gated_repo_without_a_token_says_how_to_get_access(glm: FakeHub) -> None:
    glm.set_gated("demo/glm-demo-int4", "manual", access_tokens=[SECRET])
    result = dl("glm-demo-int4")
    assert result.exit_code == 1
    error, hint = result.stderr.splitlines()
    assert error == (
        f"Error: demo/glm-demo-int4 is gated: request access at {glm.url}/demo/glm-demo-int4 and wait until it is "
        "granted"
    )
    assert hint.startswith("Hint: then pass your token with HF_TOKEN=hf_... or --token (tokens: ")
    assert hint.endswith("/settings/tokens)")
    assert glm.transfers == [] and not storage("demo/glm-demo-int4").exists()
    assert dl("glm-demo-int4", "--token", "hf_not_granted").exit_code == 1
    result = dl("glm-demo-int4", "--quiet", env={"HF_TOKEN": SECRET})
    assert result.exit_code == 0, result.stderr


def test_gone_repo_and_unknown_revision(glm: FakeHub) -> None:
    glm.mark_gone("demo/glm-demo-int4")
    result = dl("glm-demo-int4")
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0]
        == f"Error: demo/glm-demo-int4 is not on {glm.url[7:]}: deleted, renamed or private"
    )
    result = dl("glm-demo", "--revision", "v9")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "Error: demo/glm-demo has no revision 'v9'"
    glm.add_ref("demo/glm-demo", "v1", tag=True)
    assert dl("glm-demo", "--revision", "v1", "--quiet").exit_code == 0


@pytest.mark.parametrize(
    ("hostile", "why"),
    [
        ("../escape.bin", "'..' segment"),
        ("/etc/escape.bin", "absolute"),
        ("a/../../escape.bin", "'..' segment"),
        ("C:\\escape.bin", "absolute"),
    ],
)
def test_a_path_that_would_escape_the_destination_is_refused(
    fakehub: FakeHub, tmp_path: Path, hostile: str, why: str
) -> None:
    fakehub.add_repo("evil/repo", {"config.json": b"{}", hostile: b"x" * 10})
    target = tmp_path / "a" / "b"
    result = dl("evil/repo", "--local-dir", str(target))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: refusing evil/repo: the Hub lists file paths that cannot be written safely: '{hostile}' ({why})\n"
    )
    assert fakehub.transfers == [] and not target.exists()
    assert not list(tmp_path.rglob("escape.bin"))
    assert dl("evil/repo", "--local-dir", str(target), "--exclude", hostile, "--quiet").exit_code == 0


def test_offline_mode_refuses_at_once(glm: FakeHub) -> None:
    result = dl("glm-demo", env={"HF_HUB_OFFLINE": "1"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: offline mode (HF_HUB_OFFLINE) is on: nothing can be fetched\n")
    assert glm.requests == []


# ---------------------------------------------------------------- adapters, deltas and lineage


def test_lora_adapter_names_its_gone_base_alternatives_and_both_licences(
    fakehub: FakeHub, lineage_catalog: Path
) -> None:
    fakehub.add_repo("demo/lora-adapter", {"adapter_config.json": b"{}", "adapter_model.bin": b"l" * 1000})
    result = dl("lora-demo-7b", catalog=lineage_catalog)
    assert result.exit_code == 0, result.stderr
    adapter = snapshot(fakehub, "demo/lora-adapter")
    assert result.stderr.splitlines()[2:] == [
        "licence: LLaMA licence (inherited) · research only; base weights LLaMA-7B: LLaMA v1 licence (Meta) · "
        "research only",
        "lora-demo-7b is a LoRA adapter: it needs the base weights LLaMA-7B; the catalog records demo/llama-gone",
        "demo/llama-gone is gone from the Hub; alternatives in the catalog: demo/llama-alt-a, demo/llama-alt-b",
        'combine them with: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("<base weights>"), '
        f'"{adapter}")',
    ]


def test_a_known_repo_id_keeps_its_lineage(fakehub: FakeHub, lineage_catalog: Path) -> None:
    fakehub.add_repo("demo/lora-adapter", {"adapter_model.bin": b"l" * 10})
    fakehub.add_repo("demo/llama-gone", {"config.json": b"{}"})
    result = dl("demo/lora-adapter", "--dry-run", "--json", catalog=lineage_catalog)
    notes = json.loads(result.stdout)["notes"]
    assert notes == [
        "lora-demo-7b is a LoRA adapter: it needs the base weights LLaMA-7B; the catalog records demo/llama-gone",
        'combine them with: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("demo/llama-gone"), '
        '"demo/lora-adapter")',
    ]


def test_with_base_fetches_both_and_the_disk_check_covers_both(
    fakehub: FakeHub, lineage_catalog: Path, tmp_path: Path, small_disk: list[int]
) -> None:
    fakehub.add_repo("demo/lora-adapter", {"adapter_model.bin": payload(MB, "adapter")})
    fakehub.add_repo("demo/llama-alt-a", {"config.json": b"{}", "model.safetensors": payload(2 * MB, "base")})
    result = dl("lora-demo-7b", "--with-base", catalog=lineage_catalog)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: base weights demo/llama-gone are gone from the Hub; the catalog records: demo/llama-alt-a, "
        "demo/llama-alt-b\nHint: choose one with --base-repo, e.g. --base-repo demo/llama-alt-a\n"
    )
    assert fakehub.transfers == []

    target = tmp_path / "lora"
    args = ("lora-demo-7b", "--base-repo", "demo/llama-alt-a", "--local-dir", str(target))
    small_disk[0] = int(2.5 * MB)  # either repo fits, both do not
    result = dl(*args, catalog=lineage_catalog)
    assert result.exit_code == 1
    assert "3 MB still to download, 2.5 MB free" in result.stderr
    assert fakehub.transfers == []

    small_disk[0] = 4 * MB
    result = dl(*args, catalog=lineage_catalog)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"demo/lora-adapter: 1 file, 1 MB in {target}\n"
        f"base weights demo/llama-alt-a: 2 files, 2 MB in {target / 'base'}\n"
    )
    assert sha256_of(target / "base" / "model.safetensors") == fakehub.file_sha256(
        "demo/llama-alt-a", "model.safetensors"
    )
    assert (
        f'combine them with: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("{target / "base"}"), '
        f'"{target}")'
    ) in result.stderr.splitlines()


def test_delta_weights_explain_the_restore_and_have_no_base_repo(fakehub: FakeHub, lineage_catalog: Path) -> None:
    fakehub.add_repo("demo/delta-enc", {"m-4bit-128g.pt.00.enc": b"4" * 100})
    result = dl("delta-demo-7b", "--quiet", catalog=lineage_catalog)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[1:] == [
        "delta-demo-7b is delta weights: it needs the base weights LLaMA-7B (Meta original); "
        "the catalog records no Hub repo for them",
        "restore them: restore with decrypt.py against Meta's consolidated.00.pth",
    ]
    result = dl("delta-demo-7b", "--with-base", catalog=lineage_catalog)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the catalog records no Hub repo for the base weights of delta-demo-7b (LLaMA-7B (Meta original))\n"
        "Hint: restore with decrypt.py against Meta's consolidated.00.pth\n"
    )


# ---------------------------------------------------------------- resume and failures


def test_resume_after_a_connection_cut_mid_file(glm: FakeHub, hf_sleeps: SleepRecorder) -> None:
    name = "pytorch_model.bin"
    glm.throughput = 50 * MB  # the client reads as bytes arrive, so the cut lands where the server made it
    glm.drop_file(name, 2 * MB, reset=True)  # a reset is not retried within the call: the run fails
    result = dl("glm-demo")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        "Error: the connection dropped while downloading demo/glm-demo (ReadError); what arrived is kept",
        "Hint: run the same command again to resume",
    ]
    kept = partial_of(glm, "demo/glm-demo", name).stat().st_size
    assert MB <= kept <= 2 * MB  # whole 1 MiB writes up to the cut

    glm.reset_requests()
    result = dl("glm-demo")
    assert result.exit_code == 0, result.stderr
    assert f"3 MB; {human_bytes(3 * MB - kept)} to download" in result.stderr  # only what is missing
    (transfer,) = gets(glm, name)
    assert transfer.range == f"bytes={kept}-"
    assert transfer.sent == 3 * MB - kept
    assert sha256_of(snapshot(glm, "demo/glm-demo") / name) == glm.file_sha256("demo/glm-demo", name)
    assert not partial_of(glm, "demo/glm-demo", name).exists()


def test_a_cut_within_a_run_is_resumed_by_huggingface_hub_itself(glm: FakeHub, hf_sleeps: SleepRecorder) -> None:
    glm.drop_file("pytorch_model.bin", 2 * MB + 12345)  # a clean close: http_get retries with Range at once
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    first, second = gets(glm, "pytorch_model.bin")
    assert first.dropped and second.range is not None and second.range.startswith("bytes=")
    assert sha256_of(snapshot(glm, "demo/glm-demo") / "pytorch_model.bin") == glm.file_sha256(
        "demo/glm-demo", "pytorch_model.bin"
    )


def test_resume_into_a_local_dir(glm: FakeHub, tmp_path: Path, hf_sleeps: SleepRecorder) -> None:
    target = tmp_path / "glm"
    glm.throughput = 50 * MB
    glm.drop_file("pytorch_model.bin", 2 * MB, reset=True)
    assert dl("demo/glm-demo", "--local-dir", str(target)).exit_code == 1
    assert not (target / "pytorch_model.bin").exists()
    (partial,) = (target / ".cache" / "huggingface" / "download").glob("*.incomplete")
    kept = partial.stat().st_size
    assert kept >= 1048576
    glm.reset_requests()
    result = dl("demo/glm-demo", "--local-dir", str(target), "--dry-run")
    assert f"       3 MB  pytorch_model.bin ({human_bytes(kept)} kept)" in result.stdout.splitlines()
    assert dl("demo/glm-demo", "--local-dir", str(target)).exit_code == 0
    (transfer,) = gets(glm, "pytorch_model.bin")
    assert transfer.range == f"bytes={kept}-"
    assert sha256_of(target / "pytorch_model.bin") == glm.file_sha256("demo/glm-demo", "pytorch_model.bin")


def test_a_partial_that_is_not_a_prefix_is_discarded_and_fetched_again(glm: FakeHub) -> None:
    partial = partial_of(glm, "demo/glm-demo", "pytorch_model.bin")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * (2 * MB))  # e.g. a crash that left zeros where data should be
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    resumed, fresh = gets(glm, "pytorch_model.bin")
    assert resumed.range == f"bytes={2 * MB}-" and fresh.range is None
    assert sha256_of(snapshot(glm, "demo/glm-demo") / "pytorch_model.bin") == glm.file_sha256(
        "demo/glm-demo", "pytorch_model.bin"
    )


def test_disk_full_mid_way_keeps_the_partial_for_resume(glm: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = hub._PartialWriter.write

    def write_until_full(self: Any, data: bytes) -> int:
        if self.raw.tell() + len(data) > 2_000_000:  # the disk fills within the second 1 MiB chunk
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(hub._PartialWriter, "write", write_until_full)
    result = dl("glm-demo")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        f"Error: disk full while downloading demo/glm-demo to {hub.hub_cache_dir()}; what arrived is kept",
        "Hint: free some space (or choose --local-dir on another disk), then run the same command to resume",
    ]
    assert partial_of(glm, "demo/glm-demo", "pytorch_model.bin").stat().st_size == 1048576

    monkeypatch.setattr(hub._PartialWriter, "write", real_write)
    glm.reset_requests()
    assert dl("glm-demo", "--quiet").exit_code == 0
    (transfer,) = gets(glm, "pytorch_model.bin")
    assert transfer.range == "bytes=1048576-"
    assert sha256_of(snapshot(glm, "demo/glm-demo") / "pytorch_model.bin") == glm.file_sha256(
        "demo/glm-demo", "pytorch_model.bin"
    )


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ({"status": 503}, "Error: demo/glm-demo: {host} answered HTTP 503"),
        (
            {"status": 200},
            "Error: demo/glm-demo: {host} does not answer like a Hugging Face Hub; check --endpoint / HF_ENDPOINT",
        ),
        (
            {"disconnect": True},
            "Error: the connection dropped while downloading demo/glm-demo (RemoteProtocolError); what arrived is kept",
        ),
    ],
)
def test_file_metadata_failures_are_one_line(
    glm: FakeHub, hf_sleeps: SleepRecorder, failure: dict[str, Any], message: str
) -> None:
    glm.fail_next("*/resolve/*", method="HEAD", times=None, **failure)
    result = dl("glm-demo")
    assert result.exit_code == 1
    assert message.format(host=glm.url[7:]) in result.stderr.splitlines()
    assert "Traceback" not in result.stderr and glm.transfers == []


def _spawn(fakehub: FakeHub, repo: str) -> subprocess.Popen[str]:
    """`llmzh download REPO` in a process of its own, which a test can interrupt or kill."""
    return spawn(["download", repo], {**os.environ, **fakehub.env(), "LLMZH_CATALOG": str(FIXTURE)})


@pytest.mark.parametrize("how", ["killed", "ctrl-c"])
def test_an_interrupted_process_resumes_on_the_next_run(fakehub: FakeHub, how: str) -> None:
    repo, name = "demo/big", "model.safetensors"
    fakehub.add_repo(repo, {name: payload(8 * MB, "big")})
    fakehub.throughput = 4 * MB
    partial = partial_of(fakehub, repo, name)
    proc = _spawn(fakehub, repo)
    try:
        wait_for_partial(partial, 2 * 1048576, proc)
        if how == "killed":
            proc.kill()
        else:
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    while not gets(fakehub, name):  # the server records the cut transfer once it notices
        time.sleep(0.01)
    if how == "ctrl-c":
        assert time.monotonic() - started < 5  # the download threads stop too
        assert proc.returncode == 130
        assert err.splitlines()[-1] == "Interrupted: what arrived is kept; run the same command again to resume."
    kept = partial.stat().st_size
    assert kept >= 2 * 1048576 and kept % 1048576 == 0

    fakehub.throughput = None
    fakehub.reset_requests()
    result = dl(repo, "--quiet")
    assert result.exit_code == 0, result.stderr
    (transfer,) = gets(fakehub, name)
    assert transfer.range == f"bytes={kept}-"
    assert sha256_of(snapshot(fakehub, repo) / name) == fakehub.file_sha256(repo, name)


def test_without_the_replaceable_function_downloads_still_work(glm: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    assert hub._replaceable()  # fails on a huggingface_hub release that changed it: resume across runs needs a look
    monkeypatch.setattr(hub, "_REPLACED_SIGNATURE", ("something", "else"))
    result = dl("glm-demo", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert sha256_of(snapshot(glm, "demo/glm-demo") / "pytorch_model.bin") == glm.file_sha256(
        "demo/glm-demo", "pytorch_model.bin"
    )


# ---------------------------------------------------------------- verify


def test_verify_reports_matches_mismatches_and_missing_files(glm: FakeHub) -> None:
    assert dl("glm-demo", "--quiet").exit_code == 0
    commit = glm.repo("demo/glm-demo").refs["main"]
    folder = snapshot(glm, "demo/glm-demo")
    result = verify("glm-demo")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"verified 2 files of demo/glm-demo ({commit[:8]}) in {folder}: all match\n"

    weights = folder / "pytorch_model.bin"
    blob = weights.resolve()
    blob.write_bytes(b"X" + blob.read_bytes()[1:])
    (folder / "config.json").unlink()
    result = verify("glm-demo", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    expected_sha = glm.file_sha256("demo/glm-demo", "pytorch_model.bin")
    assert report["ok"] is False
    assert report["files"] == [
        {
            "path": "config.json",
            "kind": "git-sha1",
            "expected": glm.repo("demo/glm-demo").commits[commit]["config.json"].blob_id,
            "actual": None,
            "ok": False,
        },
        {
            "path": "pytorch_model.bin",
            "kind": "sha256",
            "expected": expected_sha,
            "actual": sha256_of(weights),
            "ok": False,
        },
    ]
    result = verify("glm-demo")
    assert result.stdout.splitlines()[:2] == [
        f"MISMATCH  pytorch_model.bin: sha256 {sha256_of(weights)} differs from the Hub's {expected_sha}",
        "MISSING   config.json",
    ]
    assert result.stderr.startswith("Error: files do not match the Hub's checksums: pytorch_model.bin, config.json\n")


def test_download_verify_and_verify_of_a_local_dir(glm: FakeHub, tmp_path: Path) -> None:
    target = tmp_path / "int4"
    result = dl("glm-demo-int4", "--local-dir", str(target), "--verify", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith(f"in {target}: all match")
    (target / "model.safetensors").write_bytes(b"tampered")
    result = verify("glm-demo-int4", "--local-dir", str(target))
    assert result.exit_code == 1
    assert result.stdout.startswith("MISMATCH  model.safetensors: sha256 ")


def test_verify_of_something_never_downloaded(glm: FakeHub) -> None:
    result = verify("glm-demo")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: demo/glm-demo (main) is not in the Hugging Face cache {hub.hub_cache_dir()}\n"
    )


# ---------------------------------------------------------------- tokens, mirrors, progress


def test_the_token_reaches_the_hub_only_and_is_never_printed(glm: FakeHub) -> None:
    glm.set_gated("demo/glm-demo", "manual", access_tokens=[SECRET])
    result = dl("glm-demo", "--token", SECRET, "--json")
    assert result.exit_code == 0, result.stderr
    cdn = [r for r in glm.requests if r.path.startswith("/cdn-lfs/")]
    on_hub = [r for r in glm.requests if not r.path.startswith("/cdn-lfs/")]
    assert cdn and all("authorization" not in r.headers for r in cdn)
    assert on_hub and all(r.headers.get("authorization") == f"Bearer {SECRET}" for r in on_hub)
    assert SECRET not in result.stdout + result.stderr


def test_the_token_guard_drops_the_token_for_any_other_origin(glm: FakeHub) -> None:
    from huggingface_hub import get_session

    with hub._talking_to(HubSettings(endpoint=glm.url)):
        get_session().get(f"{glm.cdn_url}/cdn-lfs/none", headers={"authorization": f"Bearer {SECRET}"})
        get_session().get(f"{glm.url}/api/models/demo/glm-demo", headers={"authorization": f"Bearer {SECRET}"})
    get_session().get(f"{glm.cdn_url}/cdn-lfs/none", headers={"authorization": f"Bearer {SECRET}"})
    cdn, own, outside = glm.requests
    assert "authorization" not in cdn.headers
    assert own.headers["authorization"] == f"Bearer {SECRET}"
    assert outside.headers["authorization"] == f"Bearer {SECRET}"  # the guard is scoped to llmzh's own calls


def test_endpoint_option_and_mirror_carry_every_request(glm: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    result = dl("glm-demo", "--endpoint", glm.url, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert glm.count("HEAD") == 2 and len(gets(glm, "pytorch_model.bin")) == 1

    glm.reset_requests()
    result = dl("glm-demo-int4", "--mirror", "hf-mirror")
    assert result.exit_code == 1
    assert result.stderr == "Error: demo/glm-demo-int4: cannot reach hf-mirror.com (ConnectError)\n"
    assert glm.requests == []


def test_a_progress_bar_on_a_terminal_only_and_none_with_quiet(glm: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmzh.cli import download as download_cli

    def bars(result: Any) -> list[str]:
        assert result.exit_code == 0, result.stderr
        return [line for line in result.stderr.splitlines() if line.startswith("downloading")]

    assert bars(dl("glm-demo-int4")) == []  # CliRunner's streams are not terminals
    shutil.rmtree(storage("demo/glm-demo-int4"))
    monkeypatch.setattr(download_cli, "_on_terminal", lambda: True)
    (bar,) = bars(dl("glm-demo-int4"))
    assert "1.0/1.0 MB" in bar and "/s" in bar and "0:00:00" in bar  # bytes, speed, time left
    shutil.rmtree(storage("demo/glm-demo-int4"))
    result = dl("glm-demo-int4", "--quiet")
    assert bars(result) == [] and "@ main" not in result.stderr


def test_help_has_examples() -> None:
    for command in ("download", "verify"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Examples:" in result.stdout


# ---------------------------------------------------------------- config.json for the estimator


def test_fetch_config_is_cached_and_survives_failures(fakehub: FakeHub) -> None:
    fakehub.add_repo("org/m", {"config.json": b'{"model_type": "llama", "hidden_size": 4096}'})
    settings = HubSettings(endpoint=fakehub.url)
    assert fetch_config("org/m", settings) == {"model_type": "llama", "hidden_size": 4096}
    fakehub.reset_requests()
    assert fetch_config("org/m", settings)["hidden_size"] == 4096
    assert fetch_config("org/m", settings._replace(offline=True))["model_type"] == "llama"
    assert fakehub.requests == []
    fakehub.fail_next("*config.json", status=503)
    assert fetch_config("org/m", settings._replace(refresh=True))["hidden_size"] == 4096  # stale beats nothing
    assert fakehub.count("GET", "*/resolve/*") == 1

    with pytest.raises(HubError, match="org/other: config.json is not in the cache and offline mode is on"):
        fetch_config("org/other", settings._replace(offline=True))
    fakehub.add_repo("org/no-config", {"model.safetensors": b"x"})
    with pytest.raises(HubError, match="org/no-config: file not found in the repo"):
        fetch_config("org/no-config", settings)
    with pytest.raises(HubError, match="org/gone is not on") as gone:
        fetch_config("org/gone", settings)
    assert gone.value.status == "gone"

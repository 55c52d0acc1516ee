"""Hardware detection through fake probes, `--vram auto`, `recommend` ranking and `doctor`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmzh import hardware
from llmzh.cli import app
from llmzh.hardware import GiB, Gpu, budget, detect

RANK = Path(__file__).parent / "fixtures" / "catalog_rank.yaml"
RANK_ENV = {"LLMZH_CATALOG": str(RANK)}  # the fixture replaces the built-in catalog
runner = CliRunner()


class FakeProbe:
    def __init__(self, gpus: list[Gpu] | None = None, *, apple: Gpu | None = None, ram: float = 32, error: str = ""):
        self.gpus, self.apple_gpu, self.ram_gb, self.error = gpus or [], apple, ram, error

    def nvidia(self) -> list[Gpu]:
        if self.error:
            raise OSError(self.error)
        return self.gpus

    def apple(self, ram_total_bytes: int) -> Gpu | None:
        return self.apple_gpu

    def ram(self) -> tuple[int, int]:
        return int(self.ram_gb * GiB), int(self.ram_gb * 0.75 * GiB)


ONE = [Gpu(0, "NVIDIA GeForce RTX 4060", 8 * GiB, int(7.5 * GiB))]
TWO = [Gpu(0, "NVIDIA RTX 3090", 24 * GiB, 20 * GiB), Gpu(1, "NVIDIA RTX 3090", 24 * GiB, 23 * GiB)]
APPLE = Gpu(0, "Apple M2", int(10.7 * GiB), int(10.7 * GiB), kind="apple", estimated=True)


def use(monkeypatch: pytest.MonkeyPatch, probe: FakeProbe) -> None:
    monkeypatch.setattr(hardware, "default_probe", lambda: probe)


def test_one_gpu() -> None:
    hw = detect(FakeProbe(ONE))
    assert hw.best_gpu is not None and hw.best_gpu.name == "NVIDIA GeForce RTX 4060"
    found = budget(hw)
    assert found.vram_gb == pytest.approx(7.5)
    assert "7.5 GB free of 8.0 GB" in found.summary


def test_two_gpus_per_card_and_total() -> None:
    found = budget(detect(FakeProbe(TWO)))
    assert found.vram_gb == pytest.approx(23)  # the best single card
    assert found.total_vram_gb == pytest.approx(43)
    assert "2 GPUs, 43.0 GB free in all" in found.summary


def test_no_gpu_falls_back_to_ram() -> None:
    found = budget(detect(FakeProbe(error="no NVIDIA driver", ram=16)))
    assert found.vram_gb is None
    assert found.ram_gb == pytest.approx(12)
    assert found.summary.startswith("No GPU detected (NVIDIA: no NVIDIA driver)")


def test_apple_unified_memory_share_is_marked_estimated() -> None:
    found = budget(detect(FakeProbe(apple=APPLE, ram=16)))
    assert found.vram_gb == pytest.approx(10.7)
    assert "≈10.7 GB free" in found.summary and "unified memory" in found.summary


def test_apple_share_rule() -> None:
    probe = hardware.SystemProbe()
    if hardware.platform.system() == "Darwin":  # pragma: no cover - only on a Mac
        pytest.skip("reads the real machine")
    assert probe.apple(16 * GiB) is None  # not Apple Silicon: nothing to report


def test_list_vram_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeProbe(ONE))
    result = runner.invoke(app, ["list", "--vram", "auto", "--json"], env=RANK_ENV)
    assert result.exit_code == 0, result.stderr
    assert {r["id"] for r in json.loads(result.stdout)} == {"beta-6b-int4", "gamma-2b-bf16", "gamma-1b-bf16"}
    assert "Detected NVIDIA GeForce RTX 4060" in result.stderr


def test_list_vram_auto_without_gpu_lists_cpu_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeProbe(error="no NVIDIA driver", ram=4))
    result = runner.invoke(app, ["list", "--vram", "auto", "--json"], env=RANK_ENV)
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == ["gamma-1b-q4"]
    assert "No GPU detected" in result.stderr


def ranking(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["recommend", "--json", *args], env=RANK_ENV)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_recommend_ranks_by_scores_then_recency_with_best_level_per_model() -> None:
    picks = ranking("--vram", "16")
    assert [p["id"] for p in picks] == ["beta-6b-fp16", "alpha-7b-bf16", "gamma-1b-bf16", "gamma-2b-bf16"]
    first = picks[0]
    assert first["rank"] == 1 and first["quant"] == "fp16" and first["ceval"] == 85
    assert first["spare_gb"] == 3.0 and first["tight"] is False and first["need_source"] == "published"
    assert "fits 16 GB at fp16 with 4K context" in str(first["reason"]) and "C-Eval 85" in str(first["reason"])
    # at 8 GB Alpha drops to AWQ with little headroom: marked tight
    alpha = next(p for p in ranking("--vram", "8") if p["model"] == "alpha-7b")
    assert alpha["quant"] == "awq" and alpha["tight"] is True and "tight" in str(alpha["reason"])


def test_recommend_filters() -> None:
    assert [p["model"] for p in ranking("--vram", "16", "--commercial")] == ["alpha-7b", "gamma-1b", "gamma-2b"]
    assert [p["model"] for p in ranking("--vram", "16", "--task", "code")] == ["alpha-7b"]
    assert [p["model"] for p in ranking("--vram", "16", "--task", "medical")] == ["gamma-1b", "gamma-2b"]
    assert [p["id"] for p in ranking("--ram", "2")] == ["gamma-1b-q4"]


def test_recommend_auto_and_text(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeProbe(TWO))
    result = runner.invoke(app, ["recommend", "--lang", "zh"], env=RANK_ENV)
    assert result.exit_code == 0, result.stderr
    assert "可放入 23 GB 显存" in result.stdout
    result = runner.invoke(app, ["recommend", "--vram", "1"], env=RANK_ENV)
    assert result.exit_code == 0
    assert "No model in the catalog fits 1.0 GB" in result.stderr


def test_doctor_never_shows_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeProbe(ONE))
    secret = "hf_doctorSECRET0123456789"
    result = runner.invoke(app, ["doctor", "--token", secret, "--endpoint", "http://127.0.0.1:9", "--timeout", "1"])
    assert result.exit_code == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    assert "token: --token" in result.stdout
    assert "NVIDIA GeForce RTX 4060" in result.stdout and "does not answer" in result.stdout
    data = json.loads(runner.invoke(app, ["doctor", "--json", "--offline"], env={"HF_TOKEN": secret}).stdout)
    assert data["token"] == "HF_TOKEN" and secret not in json.dumps(data)
    assert data["versions"]["llmzh"] and data["gpus"][0]["free_bytes"] == int(7.5 * GiB)
    assert {c["name"] for c in data["caches"]} == {"llmzh", "huggingface_hub", "modelscope"}

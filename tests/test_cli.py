"""`llmzh list` and `llmzh show` through Typer's CliRunner, on the small fixture catalog."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmzh.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "catalog_small.yaml"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"LLMZH_CATALOG": str(FIXTURE), **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def ids(*args: str) -> list[str]:
    code, out, err = run("list", *args, "--json")
    assert code == 0, err
    return [row["id"] for row in json.loads(out)]


GLM = ["glm-demo-int4-qe", "glm-demo-int4", "glm-demo-int8", "glm-demo-fp16"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--vram", "6"], ["glm-demo-int4-qe", "glm-demo-int4"]),
        (["--vram", "4"], []),
        (["--vram", "8", "--quant", "int4"], ["glm-demo-int4-qe", "glm-demo-int4"]),
        (["--vram", "8", "--quant", "=int4"], ["glm-demo-int4"]),
        (["--vram", "9", "--finetune"], ["glm-demo-int4", "glm-demo-int8", "vicuna-demo-7b"]),
        (["--vram", "8", "--finetune"], ["glm-demo-int4"]),
        (["--cpu"], ["llama-zh-demo-7b-q4", "glm-demo-cpu"]),
        (["--ram", "16"], ["llama-zh-demo-7b-q4"]),
        (["--ram", "64"], ["llama-zh-demo-7b-q4", "glm-demo-cpu"]),
        (["--quant", "int4", "--quant", "INT4-QE"], ["glm-demo-int4-qe", "glm-demo-int4", "llama-zh-demo-7b-q4"]),
        (["--quant", "=int4", "--quant", "=INT4-QE"], ["glm-demo-int4-qe", "glm-demo-int4"]),
        (["--license", "GPL"], ["llama-zh-demo-7b-fp16", "llama-zh-demo-7b-q4"]),
        (["--commercial", "--vram", "100"], GLM),
        (
            ["--base", "llama", "--sort", "name"],
            ["llama-zh-demo-7b-fp16", "llama-zh-demo-7b-q4", "vicuna-demo-7b", "vicuna-demo-medical"],
        ),
        (["--search", "医学"], ["vicuna-demo-medical"]),
        (["--search", "demoglm", "--sort", "name"], sorted([*GLM, "glm-demo-cpu"])),
        (["--sort", "params", "--quant", "bnb-int8"], ["vicuna-demo-7b", "vicuna-demo-medical"]),
    ],
)
def test_list_filters(args: list[str], expected: list[str]) -> None:
    assert ids(*args) == expected


def test_list_json_row_fields() -> None:
    code, out, _ = run("list", "--json", "--quant", "=int8")
    assert code == 0
    (row,) = json.loads(out)
    assert row == {
        "id": "glm-demo-int8",
        "project": "glm-demo",
        "model": "glm-demo",
        "name": "DemoGLM-6B",
        "name_zh": "DemoGLM-6B",
        "repo": "demo/glm-demo",  # the source repo of a load-time quantization
        "quantize_from": "glm-demo-fp16",
        "quant": "int8",
        "format": "full",
        "device": "gpu",
        "vram_gb": 8.0,
        "vram_source": "published",
        "finetune_vram_gb": 9.0,
        "finetune_vram_source": "published",
        "ram_gb": None,
        "license": "Demo Model License",
        "code_license": "Apache-2.0",
        "commercial": "registration",
        "base_model": None,
        "params_b": 6.2,
        "context_length": 2048,
        "max_context": None,
        "release_date": None,
        "ceval": 38.9,
        "cmmlu": None,
        "modelscope": None,
        "modelscope_repo": None,
        "ollama": None,
    }


def test_unknown_figure_never_fits_but_can_be_listed_separately() -> None:
    assert "vicuna-demo-medical" not in ids("--vram", "100")
    code, out, err = run("list", "--vram", "6", "--include-unknown", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows][:2] == ["glm-demo-int4-qe", "glm-demo-int4"]
    unknown = [r for r in rows if r["vram_gb"] is None]
    assert {r["id"] for r in unknown} == {
        "vicuna-demo-7b",
        "vicuna-demo-medical",
        "llama-zh-demo-7b-fp16",
        "llama-zh-demo-7b-q4",
    }
    code, out, err = run("list", "--vram", "6", "--include-unknown")
    assert "VRAM unknown" in out


def test_nothing_fits_names_the_nearest_miss() -> None:
    code, out, err = run("list", "--vram", "3")
    assert code == 0
    assert out.strip() == ""
    assert "Nothing fits 3 GB of VRAM; the smallest is glm-demo-int4-qe at 4.3 GB." in err
    code, out, err = run("list", "--ram", "4")
    assert "the smallest is llama-zh-demo-7b-q4 at 5 GB" in err
    code, out, err = run("list", "--search", "no-such-thing", "--json")
    assert code == 0
    assert json.loads(out) == []
    assert "No models match" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--vram", "-3"], "must be a positive number of GB"),
        (["list", "--vram", "0"], "must be a positive number of GB"),
        (["list", "--vram", "six"], "--vram"),
        (["list", "--ram", "-1"], "must be a positive number of GB"),
        (["list", "--quant", "int3"], "unknown level 'int3'"),
        (["list", "--sort", "colour"], "--sort"),
        (["list", "--cpu", "--vram", "8"], "--cpu"),
        (["list", "--lang", "fr"], "--lang"),
        (["show"], "Missing argument 'NAME'"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env={"LLMZH_CATALOG": str(FIXTURE)})
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_list_table_and_languages() -> None:
    code, out, _ = run("list", "--vram", "6", "--lang", "en", "--all-levels")
    assert code == 0
    assert "Min VRAM" in out
    assert "glm-demo-int4-qe" in out and "4.3 GB" in out
    assert "after reg." in out
    code, out, _ = run("list", "--vram", "6", "--lang", "zh")
    assert "最低显存" in out and "登记后商用" in out
    code, out, _ = run("list", "--vram", "6", env={"LLMZH_LANG": "zh"})
    assert "最低显存" in out
    code, out, _ = run("list", "--vram", "6", env={"LLMZH_LANG": None, "LANG": "zh_CN.UTF-8"})  # type: ignore[dict-item]
    assert "最低显存" in out
    code, out, _ = run("list", "--wide", "--quant", "fp16", "--lang", "en")
    assert "Params" in out and "6.2B" in out and "38.9" in out


def test_list_markdown_overview() -> None:
    code, out, _ = run("list", "--format", "md", "--lang", "zh")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(
        "|  | 基座模型 | 额外的预训练数据集 | 指令微调数据集 | 额外的训练过程 | 量化支持 | 项目特点 |"
    )
    assert "| 演示GLM | GLM | NA | NA | 人类反馈强化学习 | ✔ | 较早的开源模型 |" in lines
    vicuna = "| 中文小羊驼演示 | LLaMA-7B/13B | ❌ | [belle](https://example.org/belle) | NA | ✔ |"
    assert vicuna + " 以Lora方式训练，显存需求小 |" in lines


def test_show_project_card() -> None:
    code, out, err = run("show", "glm-demo", "--lang", "zh")
    assert code == 0, err
    for expected in (
        "演示GLM",
        "开发者",
        "清华大学",
        "项目地址",
        "模型简述",
        "资源消耗",
        "提供DEMO的场景",
        "文案写作",
        "许可",
        "登记后可商用",
        "glm-demo-int4-qe",
        "4.3 GB",
        "加载时量化自 demo/glm-demo",
        "NA",
    ):
        assert expected in out, expected
    assert "其他公布值: 10 GB" in out  # a disagreement between sources is shown, not hidden


@pytest.mark.parametrize("name", ["GLM-DEMO-INT4", "演示GLM", "vicuna-demo-7b"])
def test_show_accepts_ids_case_insensitively_and_chinese_names(name: str) -> None:
    code, out, err = run("show", name, "--lang", "en")
    assert code == 0, err


def test_show_adapter_names_its_base_weights() -> None:
    code, out, _ = run("show", "vicuna-demo-7b", "--lang", "en")
    assert "Needs base weights: LLaMA-7B — demo/llama-7b-hf" in out
    assert "demo/llama-7b-alt" in out
    assert "research only" in out


def test_show_unknown_suggests_and_exits_1() -> None:
    code, out, err = run("show", "glm-dmeo")
    assert code == 1
    assert "no project, model or variant named 'glm-dmeo'" in err
    assert "did you mean glm-demo" in err
    assert "Traceback" not in err


def test_show_ambiguous_lists_candidates(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("name: LLaMA-zh-Demo 7B", "name: Vicuna-Demo 7B")
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["show", "vicuna-demo 7b"], env={"LLMZH_CATALOG": str(path)})
    assert result.exit_code == 1
    assert "ambiguous" in result.stderr
    assert "llama-zh-demo-7b (model)" in result.stderr and "vicuna-demo-7b (model)" in result.stderr


def test_show_json_is_the_whole_record_with_sources() -> None:
    code, out, _ = run("show", "glm-demo-int4", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["id"] == "glm-demo"
    variants = record["models"][0]["variants"]
    assert [v["id"] for v in variants][:2] == ["glm-demo-fp16", "glm-demo-int8"]
    assert variants[1]["vram_gb"]["alt"][0] == {
        "value": 10.0,
        "unit": "GB",
        "source": "https://example.org/glm-demo/README_en.md",
        "condition": None,
        "kind": None,
        "ctx": None,
        "alt": [],
    }
    assert record["license"]["commercial"] == "registration"


def test_colour_only_when_asked_and_no_color_honoured() -> None:
    colour = re.compile(r"\x1b\[(3\d|9\d)")
    _, out, _ = run("show", "glm-demo")
    assert not colour.search(out)  # not a terminal: no colour
    _, out, _ = run("show", "glm-demo", env={"NO_COLOR": None, "FORCE_COLOR": "1"})  # type: ignore[dict-item]
    assert colour.search(out)
    _, out, _ = run("show", "glm-demo", env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert not colour.search(out)


def test_help_explains_with_examples() -> None:
    for command in ("list", "show"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Examples" in result.stdout
    result = runner.invoke(app, ["--version"])
    assert result.stdout.startswith("llmzh ")

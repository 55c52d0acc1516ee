"""Catalog schema of issue 10: memory units, native/maximum context, benchmarks, aliases, nested configs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmzh.catalog import default_catalog_path, load_catalog, validate
from llmzh.cli import app
from llmzh.schema import Unit, to_gib

runner = CliRunner()

BASE = textwrap.dedent(
    """\
    version: 1
    projects:
    - id: demo
      name: Demo
      aliases: [演示, DemoLM]
      description: A demo project.
      license: {commercial: free, source: https://example.org/license}
      models:
      - id: demo-7b
        name: Demo 7B
        format: full
        aliases: [demo7]
        params_b: {value: 7, source: https://example.org/readme}
        context_length: {value: 32768, source: https://example.org/config}
        max_context: {value: 131072, source: https://example.org/readme, condition: YaRN factor 4}
        multimodal: true
        benchmarks:
        - {name: C-Eval, value: 70.5, setting: 5-shot, source: https://example.org/readme}
        - {name: MMLU-Pro, value: 50.1, source: https://example.org/oc, evaluator: OpenCompass}
        architecture:
          source: https://example.org/config
          config:
            model_type: qwen3_5
            text_config: {hidden_size: 4096, layer_types: [linear_attention, full_attention]}
            vision_config: {depth: 27}
        variants:
        - id: demo-7b-bf16
          quant: bf16
          repo: demo/demo-7b
          ollama: {tag: "demo:7b", source: https://ollama.com/library/demo}
          vram_gb: {value: 14082, unit: MiB, source: https://example.org/readme}
        - id: demo-7b-awq
          quant: awq
          repo: demo/demo-7b-awq
          quantization_config: {quant_method: awq, bits: 4, modules_to_not_convert: [visual]}
          vram_gb: {value: 6177, unit: MB, source: https://example.org/readme}
    """
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "unit", "gib"),
    [
        (14082, Unit.MIB, 13.751953125),
        (6177, Unit.MB, 6.0322265625),  # torch's MB: max_memory_allocated() / 1024**2
        (13, Unit.GB, 13.0),  # GPU tools' GB is GiB
        (6.7, Unit.G, 6.7),
        (16, Unit.GIB, 16.0),
    ],
)
def test_one_conversion_of_units(value: float, unit: Unit, gib: float) -> None:
    assert to_gib(value, unit) == pytest.approx(gib)


def test_new_fields_load(tmp_path: Path) -> None:
    result = validate(write(tmp_path, BASE))
    assert result.problems == ()
    assert result.catalog is not None
    project = result.catalog.projects[0]
    model = project.models[0]
    assert project.aliases == ("演示", "DemoLM")
    assert model.aliases == ("demo7",)
    assert model.multimodal is True
    assert model.longest_context == 131072
    assert model.max_context is not None and model.max_context.condition is not None
    assert model.max_context.condition.en == "YaRN factor 4"
    assert model.architecture is not None
    assert model.architecture.config["text_config"]["layer_types"] == ["linear_attention", "full_attention"]
    assert [b.evaluator for b in model.benchmarks] == ["developer", "OpenCompass"]
    bf16, awq = model.variants
    assert bf16.ollama is not None and bf16.ollama.tag == "demo:7b"
    assert awq.quantization_config == {"quant_method": "awq", "bits": 4, "modules_to_not_convert": ["visual"]}
    assert bf16.vram_gb is not None and (bf16.vram_gb.value, bf16.vram_gb.unit) == (14082, Unit.MIB)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{value: 14082, unit: MiB,", "{value: 14082,", "vram_gb: missing required key 'unit'"),
        ("{value: 14082, unit: MiB,", "{value: 14082, unit: GiGa,", "vram_gb.unit: unknown unit 'GiGa'"),
        ("{name: C-Eval,", "{name: ceval,", "benchmarks[0].name: unknown benchmark 'ceval'"),
        ("{value: 131072, source", "{value: 8192, source", "max_context.value: 8192 is below the native"),
        ("vision_config: {depth: 27}", "vision_config: {depth: !!set {}}", "config.vision_config.depth: expected"),
    ],
)
def test_schema_rejects(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASE
    result = validate(write(tmp_path, BASE.replace(old, new)))
    assert any(message in str(p) for p in result.problems), result.problems


def _list_json(*args: str, catalog: Path | None = None) -> list[dict[str, object]]:
    env = {"LLMZH_CATALOG": str(catalog)} if catalog is not None else {}
    result = runner.invoke(app, ["list", "--json", *args], env=env)
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_list_compares_in_gib_whatever_the_source_printed(tmp_path: Path) -> None:
    rows = {r["id"]: r for r in _list_json(catalog=write(tmp_path, BASE))}
    assert rows["demo-7b-bf16"]["vram_gb"] == pytest.approx(13.751953125)
    assert rows["demo-7b-awq"]["vram_gb"] == pytest.approx(6.0322265625)
    assert rows["demo-7b-bf16"]["ceval"] == 70.5
    assert [r["id"] for r in _list_json("--vram", "13.7", catalog=write(tmp_path, BASE))] == ["demo-7b-awq"]


def test_shipped_figures_keep_the_source_number_and_unit() -> None:
    """The figures once converted three ways are the sources' own numbers again, converted in one place."""
    catalog = load_catalog(default_catalog_path())
    variants = {e.variant.id: e.variant for e in catalog.entries()}
    lora = variants["chatglm3-6b-fp16"].finetune_vram_gb
    assert lora is not None and (lora.value, lora.unit) == (14082, Unit.MIB)
    qwen3 = variants["qwen3-8b-bf16"].vram_gb
    assert qwen3 is not None and (qwen3.value, qwen3.unit) == (15947, Unit.MB)
    minicpm = variants["minicpm-2b-sft-bf16"].finetune_vram_gb
    assert minicpm is not None and (minicpm.value, minicpm.unit) == (10619, Unit.MIB)
    rows = {r["id"]: r for r in _list_json("--search", "qwen3")}
    assert rows["qwen3-8b-bf16"]["vram_gb"] == pytest.approx(15947 / 1024)


def test_every_shipped_memory_figure_has_a_unit_the_source_prints() -> None:
    text = default_catalog_path().read_text(encoding="utf-8")
    assert "converted from MiB" not in text and "1 GB = 1000 MB" not in text


LLAMA_LIKE = textwrap.dedent(
    """\
    version: 1
    projects:
    - id: llama-like
      name: Llama-like
      description: A model whose parameter count is computed.
      license: {commercial: free, source: https://example.org/license}
      models:
      - id: llama-like-7b
        name: Llama-like 7B
        format: full
        params_b: {value: 6.74, kind: estimated, source: https://example.org/config}
        architecture:
          source: https://example.org/config
          config: {model_type: llama, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32,
                   num_attention_heads: 32, num_key_value_heads: 32, vocab_size: 32000, tie_word_embeddings: false}
        variants:
        - {id: llama-like-7b-bf16, quant: bf16, repo: demo/llama-like-7b}
    """
)


def test_an_estimated_parameter_count_must_be_the_architectures(tmp_path: Path) -> None:
    from llmzh.catalog import check

    assert check(write(tmp_path, LLAMA_LIKE)).problems == ()
    bad = LLAMA_LIKE.replace("{value: 6.74, kind: estimated", "{value: 7, kind: estimated")
    problems = [str(p) for p in check(write(tmp_path, bad)).problems]
    assert any("must be the architecture's count rounded to 0.01B: 6.74, not 7" in p for p in problems), problems


def test_recommend_task_finds_the_models_made_for_it(tmp_path: Path) -> None:
    coder = BASE.replace("    aliases: [demo7]\n", "    aliases: [demo7]\n    tasks: [chat, code]\n")
    base_model = coder.replace("tasks: [chat, code]", "tasks: []")
    path = write(tmp_path, coder)
    result = runner.invoke(
        app,
        ["recommend", "--vram", "24", "--ctx", "2048", "--task", "code", "--json"],
        env={"LLMZH_CATALOG": str(path)},
    )
    assert result.exit_code == 0, result.stderr
    assert [p["model"] for p in json.loads(result.stdout)] == ["demo-7b"]
    result = runner.invoke(
        app,
        ["recommend", "--vram", "24", "--ctx", "2048", "--task", "math", "--json"],
        env={"LLMZH_CATALOG": str(path)},
    )
    assert json.loads(result.stdout) == []
    path = write(tmp_path, base_model)
    result = runner.invoke(
        app, ["recommend", "--vram", "24", "--ctx", "2048", "--json"], env={"LLMZH_CATALOG": str(path)}
    )
    assert json.loads(result.stdout) == []  # a base model is for fine-tuning, not to run


def test_unknown_task_is_rejected(tmp_path: Path) -> None:
    text = BASE.replace("    aliases: [demo7]\n", "    aliases: [demo7]\n    tasks: [coding]\n")
    result = validate(write(tmp_path, text))
    assert any("tasks[0]: unknown task 'coding'" in str(p) for p in result.problems), result.problems


def test_show_marks_an_architecture_the_estimator_cannot_read_yet(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("model_type: qwen3_5", "model_type: mystery"))  # a family no one models
    result = runner.invoke(app, ["show", "demo-7b", "--lang", "en"], env={"LLMZH_CATALOG": str(path)})
    assert result.exit_code == 0, result.stderr
    assert "The estimator cannot read this architecture yet" in " ".join(result.stdout.split())
    assert "14082 MiB (≈13.75 GB)" in result.stdout

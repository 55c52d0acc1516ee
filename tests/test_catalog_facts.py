"""Facts of the shipped catalog that an audit found wrong (issue 10): each rule pinned as users see it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from llmzh.catalog import default_catalog_path, load_catalog
from llmzh.cli import app
from llmzh.i18n import commercial
from llmzh.schema import Commercial, Model, Project

runner = CliRunner()


def _rows(*args: str) -> dict[str, dict[str, object]]:
    result = runner.invoke(app, ["list", "--json", *args])
    assert result.exit_code == 0, result.stderr
    return {str(r["id"]): r for r in json.loads(result.stdout)}


def _model(model_id: str) -> tuple[Project, Model]:
    catalog = load_catalog(default_catalog_path())
    for project in catalog.projects:
        for model in project.models:
            if model.id == model_id:
                return project, model
    raise AssertionError(model_id)


# ---------------------------------------------------------------- licences as they stand today


def test_minicpm_is_apache_since_2025_06_06_and_keeps_its_history() -> None:
    project, _ = _model("minicpm-2b-sft")
    lic = project.license
    assert (lic.weights, lic.commercial) == ("Apache-2.0", Commercial.FREE)
    assert lic.source is not None and "7124549" in lic.source
    history = " ".join(n.text.en + " " + (n.source or "") for n in project.notes)
    assert "ab25fc9" in history and "7124549" in history  # both the old and the current terms' sources
    rows = _rows("--search", "minicpm", "--commercial")
    assert rows and all(r["commercial"] == "free" for r in rows.values())


def test_qwen15_licences_resolved_from_the_licence_text() -> None:
    rows = _rows("--search", "qwen1.5")
    assert rows["qwen1.5-7b-chat-bf16"]["commercial"] == "free"
    assert rows["qwen1.5-7b-chat-bf16"]["license"] == "Tongyi Qianwen LICENSE AGREEMENT"
    assert rows["qwen1.5-1.8b-chat-bf16"]["commercial"] == "research-only"
    assert rows["qwen1.5-1.8b-chat-bf16"]["license"] == "Tongyi Qianwen RESEARCH LICENSE AGREEMENT"
    commercial_ok = _rows("--search", "qwen1.5", "--commercial")
    assert "qwen1.5-7b-chat-bf16" in commercial_ok and "qwen1.5-1.8b-chat-bf16" not in commercial_ok


def test_unknown_terms_have_one_word() -> None:
    for lang in ("zh", "en"):
        assert commercial(Commercial.UNKNOWN, lang) in ("商用条款未知", "commercial terms unknown")
    result = runner.invoke(app, ["list", "--search", "open-llama", "--wide", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "unstated" not in result.stdout and "not stated" not in result.stdout
    text = default_catalog_path().read_text(encoding="utf-8")
    assert "commercial: unstated" not in text


# ---------------------------------------------------------------- context: native and extended


def test_qwen25_7b_is_32k_native_and_128k_with_yarn() -> None:
    _, model = _model("qwen2.5-7b-instruct")
    assert model.context_length is not None and model.context_length.value == 32768
    assert model.max_context is not None and model.max_context.value == 131072
    assert model.max_context.condition is not None and "YaRN" in model.max_context.condition.en
    row = _rows("--search", "qwen2.5-7b-instruct")["qwen2.5-7b-instruct-awq"]
    assert (row["context_length"], row["max_context"]) == (32768, 131072)


def test_list_ctx_never_offers_a_shorter_model() -> None:
    rows = _rows("--vram", "24", "--ctx", "32768")
    assert rows
    assert "chatglm2-6b-int4" not in rows and "chatglm2-6b-32k-fp16" in rows  # 8K native; the 32K release fits
    for row in rows.values():
        longest = row["max_context"] or row["context_length"]
        assert longest is None or int(str(longest)) >= 32768, row["id"]


def test_recommend_ctx_never_offers_a_shorter_model() -> None:
    result = runner.invoke(app, ["recommend", "--vram", "24", "--ctx", "131072", "--json"])
    assert result.exit_code == 0, result.stderr
    picks = json.loads(result.stdout)
    assert picks
    catalog = load_catalog(default_catalog_path())
    longest = {m.id: m.longest_context for p in catalog.projects for m in p.models}
    assert all((longest[p["model"]] or 0) >= 131072 for p in picks), [p["model"] for p in picks]
    assert "qwen2.5-7b-instruct" in {p["model"] for p in picks}  # 32K native, 128K with YaRN


def test_estimate_warns_above_the_native_context() -> None:
    result = runner.invoke(app, ["estimate", "qwen2.5-7b-instruct", "--ctx", "65536", "--quant", "awq", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "trained for 32768 tokens" in result.stderr and "YaRN" in result.stderr
    within = runner.invoke(app, ["estimate", "qwen2.5-7b-instruct", "--ctx", "32768", "--quant", "awq"])
    assert within.exit_code == 0 and "32768" not in within.stderr


# ---------------------------------------------------------------- parameters for every model


def test_every_model_has_a_parameter_count_and_computed_ones_say_so() -> None:
    catalog = load_catalog(default_catalog_path())
    missing = [m.id for p in catalog.projects for m in p.models if m.params_b is None]
    assert missing == []
    result = runner.invoke(app, ["show", "chatglm2-6b", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "≈6.24B" in result.stdout
    ordered = [r["model"] for r in json.loads(runner.invoke(app, ["list", "--json", "--sort", "params"]).stdout)]
    assert ordered.index("chatglm2-6b") < ordered.index("qwen-7b-chat")  # 6.24B sorts before 7B, not last


# ---------------------------------------------------------------- tasks and names


def test_every_project_carries_the_names_people_type() -> None:
    catalog = load_catalog(default_catalog_path())
    assert all(p.aliases for p in catalog.projects), [p.id for p in catalog.projects if not p.aliases]
    by_alias: dict[str, set[str]] = {}
    for project in catalog.projects:
        for alias in project.aliases:
            by_alias.setdefault(alias, set()).add(project.id)
    expected = {
        "通义千问": "qwen3",
        "千问": "qwen2.5",
        "Qwen": "qwen",
        "智谱": "glm-4",
        "ChatGLM": "chatglm3",
        "GLM": "chatglm-6b",
        "百川": "baichuan2-7b",
        "Baichuan": "baichuan-7b",
        "零一万物": "yi",
        "Yi": "yi-1.5",
        "书生·浦语": "internlm",
        "InternLM": "internlm",
        "面壁": "minicpm",
        "MiniCPM": "minicpm",
        "深度求索": "deepseek-llm",
        "DeepSeek": "deepseek-llm",
    }
    for alias, project in expected.items():
        assert project in by_alias.get(alias, set()), alias


def test_every_model_has_tasks_from_the_vocabulary_or_is_a_base_model() -> None:
    from llmzh.schema import TASKS

    catalog = load_catalog(default_catalog_path())
    models = [m for p in catalog.projects for m in p.models]
    assert all(set(m.tasks) <= set(TASKS) for m in models)
    base_models = {m.id for m in models if not m.tasks}  # pretrained for fine-tuning, as their cards say
    assert base_models == {
        "chatglm3-6b-base",
        "glm-4-9b",
        "baichuan-7b",
        "baichuan2-7b-base",
        "internlm-7b",
        "yi-6b",
        "deepseek-llm-7b-base",
        "chinese-llama-2-7b",
        "chinese-llama-2-1.3b",
        "chinese-llama-2-lora-7b",
    }
    _, glm4 = _model("glm-4-9b-chat")
    assert {"agent", "long-context"} <= set(glm4.tasks)


def test_an_official_ollama_tag_shows_with_its_variant() -> None:
    result = runner.invoke(app, ["show", "qwen3-8b", "--lang", "en", "--offline"])
    assert result.exit_code == 0, result.stderr
    assert "Ollama: ollama run qwen3:8b" in result.stdout


def test_every_2025_2026_model_renders_in_show_in_both_languages() -> None:
    catalog = load_catalog(default_catalog_path())
    recent = [m.id for p in catalog.projects for m in p.models if m.release_date and m.release_date.value >= "2025-01"]
    projects = {p.id for p in catalog.projects for m in p.models if m.id in recent}
    assert len(recent) >= 20 and len(projects) >= 8  # issue 10: done when
    for model_id in recent:
        for lang in ("zh", "en"):
            result = runner.invoke(app, ["show", model_id, "--lang", lang, "--offline"])
            assert result.exit_code == 0, (model_id, lang, result.stderr)
            assert model_id in result.stdout


def test_the_repos_issue_10_names_are_in_the_catalog() -> None:
    repos = {e.variant.repo or "" for e in load_catalog(default_catalog_path()).entries()}
    wanted = [
        ("Qwen/Qwen3.5-0.8B",),
        ("Qwen/Qwen3.5-2B",),
        ("Qwen/Qwen3.5-4B",),
        ("Qwen/Qwen3.5-9B",),
        ("THUDM/GLM-4-9B-0414", "zai-org/GLM-4-9B-0414"),
        ("internlm/internlm3-8b-instruct",),
        ("openbmb/MiniCPM3-4B",),
        ("openbmb/MiniCPM4-8B", "openbmb/MiniCPM4.1-8B"),
        ("tencent/Hunyuan-7B-Instruct",),
        ("baidu/ERNIE-4.5-0.3B-PT", "baidu/ERNIE-4.5-0.3B-Paddle", "baidu/ERNIE-4.5-0.3B-Base-PT"),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",),
        ("XiaomiMiMo/MiMo-7B-RL", "XiaomiMiMo/MiMo-7B-SFT"),
    ]
    assert [names for names in wanted if not repos & set(names)] == []

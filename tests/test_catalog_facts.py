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

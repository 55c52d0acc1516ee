"""Users' own models: the user catalog file and `--catalog` files add to the built-in catalog."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from llmzh.cli import app

runner = CliRunner()

MINE = textwrap.dedent(
    """\
    version: 1
    projects:
    - id: my-lab
      name: {zh: 我的实验室, en: My Lab}
      description: A fine-tune of our own.
      license: {commercial: free, source: https://example.org/mine}
      models:
      - id: my-lab-7b
        name: My Lab 7B
        format: full
        tasks: [chat]
        variants:
        - {id: my-lab-7b-bf16, quant: bf16, repo: me/my-lab-7b,
           vram_gb: {value: 15, unit: GB, source: https://example.org/mine}}
    """
)


def _list(*args: str) -> tuple[int, list[str], str]:
    result = runner.invoke(app, ["list", "--json", *args])
    ids = [row["id"] for row in json.loads(result.stdout)] if result.exit_code == 0 else []
    return result.exit_code, ids, result.stderr


def test_catalog_option_adds_to_the_built_in_catalog(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(MINE, encoding="utf-8")
    code, ids, err = _list("--catalog", str(mine))
    assert code == 0, err
    assert "my-lab-7b-bf16" in ids and "qwen3-8b-bf16" in ids
    other = tmp_path / "other.yaml"
    other.write_text(MINE.replace("my-lab", "your-lab"), encoding="utf-8")
    code, ids, err = _list("--catalog", str(mine), "--catalog", str(other))
    assert code == 0, err
    assert {"my-lab-7b-bf16", "your-lab-7b-bf16", "qwen3-8b-bf16"} <= set(ids)


def test_the_user_catalog_in_llmzh_home_is_read_without_options() -> None:
    home = Path(os.environ["LLMZH_HOME"])  # a temporary directory (conftest)
    home.mkdir(parents=True, exist_ok=True)
    (home / "models.yaml").write_text(MINE, encoding="utf-8")
    code, ids, err = _list()
    assert code == 0, err
    assert "my-lab-7b-bf16" in ids and "qwen3-8b-bf16" in ids
    result = runner.invoke(app, ["show", "my-lab-7b", "--lang", "en"])
    assert result.exit_code == 0 and "My Lab 7B" in result.stdout


def test_an_id_in_two_files_names_both(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(MINE.replace("id: my-lab-7b-bf16", "id: qwen3-8b-bf16"), encoding="utf-8")
    code, _, err = _list("--catalog", str(mine))
    assert code == 1
    assert f"{mine}: duplicate id 'qwen3-8b-bf16': a variant here, a variant in " in err
    assert "data/models.yaml" in err


def test_a_user_file_gets_the_same_checks(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(MINE.replace("{value: 15, unit: GB,", "{value: 15,"), encoding="utf-8")
    code, _, err = _list("--catalog", str(mine))
    assert code == 1
    assert f"{mine}:14: " in err and "missing required key 'unit'" in err


def test_catalog_check_covers_the_users_own_file() -> None:
    home = Path(os.environ["LLMZH_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    mine = home / "models.yaml"
    mine.write_text(MINE, encoding="utf-8")
    result = runner.invoke(app, ["catalog", "check"])
    assert result.exit_code == 0, result.stderr
    assert f"{mine}: OK — 1 projects, 1 models, 1 variants." in result.stderr
    mine.write_text(MINE.replace("id: my-lab-7b-bf16", "id: qwen3-8b-bf16"), encoding="utf-8")
    result = runner.invoke(app, ["catalog", "check"])
    assert result.exit_code == 1
    assert f"{mine}: duplicate id 'qwen3-8b-bf16'" in result.stderr

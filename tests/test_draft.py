"""`llmzh catalog draft REPO` against the fake Hub: config.json, card metadata and safetensors counts, sourced."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from fakehub import FakeHub
from typer.testing import CliRunner

from llmzh.catalog import validate
from llmzh.cli import app

runner = CliRunner()

CONFIG = {
    "architectures": ["Qwen3ForCausalLM"],
    "model_type": "qwen3",
    "hidden_size": 2560,
    "intermediate_size": 9728,
    "num_hidden_layers": 36,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 151936,
    "max_position_embeddings": 262144,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
}


def _add(hub: FakeHub, repo: str, config: dict[str, object], **kwargs: object) -> str:
    sha = "0123456789abcdef0123456789abcdef01234567"
    hub.add_repo(repo, {"config.json": json.dumps(config).encode()}, sha=sha, **kwargs)  # type: ignore[arg-type]
    return sha


def test_draft_reads_config_card_and_safetensors_and_says_where_from(fakehub: FakeHub, tmp_path: Path) -> None:
    sha = _add(
        fakehub,
        "my-org/My-Model-4B",
        CONFIG,
        license="apache-2.0",
        card_data={"license": "apache-2.0", "base_model": "Qwen/Qwen3-4B"},
        safetensors_total=4_022_468_096,
        created_at="2025-08-06T12:00:00.000Z",
    )
    out = tmp_path / "mine.yaml"
    result = runner.invoke(app, ["catalog", "draft", "my-org/My-Model-4B", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    (project,) = document["projects"]
    (model,) = project["models"]
    config_url = f"{fakehub.url}/my-org/My-Model-4B/blob/{sha}/config.json"
    assert project["id"] == "my-model-4b"
    assert project["license"]["commercial"] == "free"
    assert project["license"]["hub_tag"] == "apache-2.0"
    assert project["license"]["source"] == f"{fakehub.url}/my-org/My-Model-4B/blob/{sha}/README.md"
    assert project["base_model"] == "Qwen/Qwen3-4B"
    assert model["params_b"]["value"] == 4.02
    assert model["params_b"]["source"] == f"{fakehub.url}/api/models/my-org/My-Model-4B"
    assert model["context_length"] == {
        "value": 262144,
        "source": config_url,
        "condition": {"zh": "config.json 的 max_position_embeddings", "en": "max_position_embeddings in config.json"},
    }
    assert model["release_date"]["value"] == "2025-08-06"
    assert model["architecture"] == {"source": config_url, "config": CONFIG}
    assert model["variants"] == [
        {
            "id": "my-model-4b-bf16",
            "quant": "bf16",
            "repo": "my-org/My-Model-4B",
            "source": f"{fakehub.url}/my-org/My-Model-4B",
        }
    ]
    assert validate(out).problems == ()  # a loadable catalog file, for a person to complete
    again = runner.invoke(app, ["catalog", "draft", "my-org/My-Model-4B", "-o", str(out)])
    assert again.exit_code == 2 and "exists" in again.stderr


def test_draft_of_a_quantized_repo_with_other_licence(fakehub: FakeHub) -> None:
    quantized = {**CONFIG, "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128}}
    _add(
        fakehub,
        "my-org/model-awq",
        quantized,
        card_data={"license": "other", "license_name": "my-licence", "license_link": "https://example.org/l"},
    )
    result = runner.invoke(app, ["catalog", "draft", "my-org/model-awq"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Draft written by `llmzh catalog draft my-org/model-awq`")
    (project,) = yaml.safe_load(result.stdout)["projects"]
    assert project["license"]["commercial"] == "unknown"  # `other`: a person must read the licence
    assert project["license"]["weights"] == "my-licence"
    (variant,) = project["models"][0]["variants"]
    assert variant["quant"] == "awq"
    assert variant["quantization_config"] == {"quant_method": "awq", "bits": 4, "group_size": 128}
    params = project["models"][0]["params_b"]
    assert params["kind"] == "estimated"  # no safetensors count on the Hub: computed from the architecture


def test_draft_errors_are_one_line(fakehub: FakeHub) -> None:
    result = runner.invoke(app, ["catalog", "draft", "my-org/missing"])
    assert result.exit_code == 1
    assert "my-org/missing is not on" in result.stderr and "Traceback" not in result.stderr
    result = runner.invoke(app, ["catalog", "draft", "no-slash"])
    assert result.exit_code == 2 and "owner/name" in result.stderr

"""`llmzh catalog draft REPO`: a starting catalog entry from a Hub repo's config.json, card and safetensors counts,
every fact with the URL it came from, for a person to complete."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmzh.errors import LlmzhError

if TYPE_CHECKING:
    from llmzh.hub import RepoCard

# Licence tags whose terms allow commercial use without registration.
FREE_TAGS = frozenset({"apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "cc-by-4.0"})
DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}
CONTEXT_KEYS = ("max_position_embeddings", "seq_length", "max_sequence_length", "n_positions")

HEADER = """\
# Draft written by `llmzh catalog draft {repo}`: every fact below carries the URL it was read from.
# Complete it before use: description, tasks (chat, reasoning, code, math, vision, long-context, medical, legal,
# agent, embedding; none marks a base model), the commercial terms where they say unknown, benchmarks and memory
# figures (with their source's unit), then run `llmzh catalog check FILE` and save it as ~/.config/llmzh/models.yaml
# or pass it with --catalog.
"""


def slug(repo: str) -> str:
    """A catalog id from a repo name: lower case, only letters, digits, '.', '_' and '-'."""
    name = repo.rsplit("/", 1)[-1].lower()
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")
    if not cleaned:
        raise LlmzhError(f"cannot make a catalog id from {repo!r}", hint="give the repo as owner/name")
    return cleaned


def _find(config: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, int] | None:
    """The first of `keys` holding a positive whole number, at the top level or in `text_config`."""
    for scope in (config, config.get("text_config")):
        if isinstance(scope, Mapping):
            for key in keys:
                value = scope.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return key, value
    return None


def _quant(config: Mapping[str, Any]) -> str:
    quant = config.get("quantization_config")
    if isinstance(quant, Mapping):
        method = str(quant.get("quant_method", "")).lower()
        bits = quant.get("bits")
        if method == "awq":
            return "awq"
        if method == "gptq" and bits in (4, 8):
            return f"gptq-int{bits}"
        if method == "fp8":
            return "fp8"
    dtype = config.get("torch_dtype") or config.get("dtype")
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    scope = config.get("text_config")
    if isinstance(scope, Mapping) and isinstance(scope.get("torch_dtype"), str):
        return DTYPES.get(scope["torch_dtype"], "bf16")
    return "bf16"


def _counted(config: Mapping[str, Any]) -> float | None:
    from llmzh.estimate import arch_from_config, count_params

    try:
        return round(count_params(arch_from_config(config)).total / 1e9, 2)
    except LlmzhError:
        return None


def _license(card: RepoCard, card_url: str) -> dict[str, Any]:
    tag = card.license
    lic: dict[str, Any] = {}
    if card.license_name or tag:
        lic["weights"] = card.license_name or tag
    if card.license_link:
        lic["weights_url"] = card.license_link
    if tag is not None and tag.lower() in FREE_TAGS:
        lic["commercial"] = "free"
        lic["condition"] = {
            "zh": f"Hub 许可标签 {tag}：允许商用",
            "en": f"Hub licence tag {tag}: commercial use allowed",
        }
    else:
        lic["commercial"] = "unknown"
        what = f"{tag}" + (f" ({card.license_name})" if card.license_name else "") if tag else "none"
        lic["condition"] = {
            "zh": f"Hub 许可标签：{what}；请阅读许可全文，改为 free / registration / research-only",
            "en": f"Hub licence tag: {what}; read the licence and set free / registration / research-only",
        }
    if tag:
        lic["hub_tag"] = tag
    lic["source"] = card_url
    return lic


def draft_entry(repo: str, endpoint: str, card: RepoCard, config: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog document (`version`, `projects`) with one project, model and variant for `repo`."""
    ident = slug(repo)
    rev = card.sha or "main"
    config_url = f"{endpoint}/{repo}/blob/{rev}/config.json"
    card_url = f"{endpoint}/{repo}/blob/{rev}/README.md"
    api_url = f"{endpoint}/api/models/{repo}"
    name = repo.rsplit("/", 1)[-1]
    model: dict[str, Any] = {"id": ident, "name": name, "format": "full"}
    if card.params is not None:
        model["params_b"] = {
            "value": round(card.params / 1e9, 2),
            "source": api_url,
            "condition": {
                "zh": f"Hub 的 safetensors 元数据：{card.params} 个参数",
                "en": f"the Hub's safetensors metadata: {card.params} parameters",
            },
        }
    else:
        estimated = _counted(config)
        if estimated is not None:
            model["params_b"] = {
                "value": estimated,
                "kind": "estimated",
                "source": config_url,
                "condition": {
                    "zh": "Hub 未给出参数量；由 config.json 的架构计算",
                    "en": "no count on the Hub; computed from the architecture in config.json",
                },
            }
    found = _find(config, CONTEXT_KEYS)
    if found is not None:
        key, value = found
        model["context_length"] = {
            "value": value,
            "source": config_url,
            "condition": {"zh": f"config.json 的 {key}", "en": f"{key} in config.json"},
        }
    if card.created_at is not None:
        model["release_date"] = {"value": card.created_at, "source": api_url}
    model["architecture"] = {
        "source": config_url,
        "config": dict(config),
    }
    variant: dict[str, Any] = {"id": f"{ident}-{_quant(config)}", "quant": _quant(config), "repo": repo}
    quant_config = config.get("quantization_config")
    if isinstance(quant_config, Mapping):
        variant["quantization_config"] = dict(quant_config)
    variant["source"] = f"{endpoint}/{repo}"
    model["variants"] = [variant]
    project: dict[str, Any] = {
        "id": ident,
        "name": name,
        "description": {"zh": f"{name}（草稿：请补充说明）", "en": f"{name} (draft: describe the model)"},
        "license": _license(card, card_url),
    }
    if card.base_model:
        project["base_model"] = ", ".join(card.base_model)
    project["sources"] = [f"{endpoint}/{repo}", config_url, card_url]
    project["models"] = [model]
    return {"version": 1, "projects": [project]}


def draft_yaml(repo: str, endpoint: str, card: RepoCard, config: Mapping[str, Any]) -> str:
    import yaml

    document = draft_entry(repo, endpoint, card, config)
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
    return HEADER.format(repo=repo) + body

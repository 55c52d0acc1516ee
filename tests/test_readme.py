"""Every `llmzh` command in README.md's code blocks runs as shown, against a fake Hub that holds every repo.

Commands are read from ```bash / ```console / ```sh blocks (console lines start with `$ `), in README order, so a
`verify` after a `download` finds what was downloaded. Endpoints (`--mirror`, `--endpoint URL`, `HF_ENDPOINT=`)
are pointed at the fake Hub: no test reaches a real host. A new example in the README is picked up by itself.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from fakehub import FakeHub
from fakemodelscope import FakeModelScope
from typer.testing import CliRunner

from llmzh.catalog import load_catalog
from llmzh.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
runner = CliRunner()


def readme_commands(text: str) -> list[tuple[dict[str, str], list[str]]]:
    """(environment, arguments after `llmzh`) for each llmzh command in the README's shell code blocks."""
    commands = []
    for lang, body in re.findall(r"```(bash|console|sh|shell)\n(.*?)```", text, flags=re.DOTALL):
        for line in body.splitlines():
            if lang == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            for part in re.split(r"&&|\|\||;", line):
                words = shlex.split(part, comments=True)
                env = {}
                while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                    key, _, value = words.pop(0).partition("=")
                    env[key] = value
                if words and words[0] == "llmzh":
                    commands.append((env, words[1:]))
    return commands


def test_the_readme_has_examples_to_run() -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))
    names = {args[0] for _, args in commands}
    assert {"list", "show", "estimate", "recommend", "download", "verify"} <= names


def _config(architecture: object) -> dict[str, object]:
    config = getattr(architecture, "config", None)
    return dict(config) if config else {}


def _stock_modelscope(ms: FakeModelScope, commands: list[tuple[dict[str, str], list[str]]]) -> None:
    """Every ModelScope id of the catalog, and every repo an example asks ModelScope for (with the example's
    token, when it gives one, for a private repo)."""
    files = {"config.json": json.dumps({"model_type": "qwen2"}), "model.safetensors": b"w" * 1024}
    repos = {m.modelscope for p in load_catalog().projects for m in p.models if m.modelscope}
    for repo in sorted(r for r in repos if r):
        ms.add_repo(repo, files)
    for env, args in commands:
        if "modelscope" not in args:
            continue
        token = env.get("MODELSCOPE_API_TOKEN")
        for word in args:
            if re.match(r"^[\w.-]+/[\w.-]+$", word) and not word.startswith("."):
                ms.add_repo(word, files, private=token is not None, access_tokens=(token,) if token else ())


def _stock(hub: FakeHub, commands: list[tuple[dict[str, str], list[str]]]) -> None:
    """Every repo the catalog or an example names, with its config.json where the catalog has it."""
    configs: dict[str, dict[str, object]] = {}
    repos: set[str] = set()
    for entry in load_catalog().entries():
        variant, model = entry.variant, entry.model
        for repo in (variant.repo, *variant.also_at):
            if repo:
                repos.add(repo)
                if model.architecture is not None:
                    configs.setdefault(repo, _config(model.architecture))
        base = model.base_weights
        if base is not None:
            repos.update(r for r in (base.repo, *base.alternatives) if r)
    repos.update(
        word
        for _, args in commands
        for word in args
        if REPO.match(word) and word.isascii() and not word.startswith(".") and "modelscope" not in args
    )
    for repo in sorted(repos):
        config = json.dumps(configs.get(repo) or {"model_type": "llama"})
        hub.add_repo(repo, {"config.json": config, "model.safetensors": b"w" * 1024}, downloads=10, likes=1)


def _pointed_at(args: list[str], env: dict[str, str], url: str) -> tuple[list[str], dict[str, str]]:
    out: list[str] = []
    words = iter(args)
    for word in words:
        if word == "--mirror":
            next(words)
            out += ["--endpoint", url]
        elif word == "--endpoint":
            next(words)
            out += ["--endpoint", url]
        else:
            out.append(word)
    return out, {k: (url if k == "HF_ENDPOINT" else v) for k, v in env.items()}


def test_every_readme_example_runs(
    fakehub: FakeHub, fakems: FakeModelScope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))
    _stock(fakehub, commands)
    _stock_modelscope(fakems, commands)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()  # `llmzh export -o docs/catalog.md`, as run from a checkout
    failures = []
    for env, args in commands:
        argv, environ = _pointed_at(args, env, fakehub.url)
        result = runner.invoke(app, argv, env=environ)
        if result.exit_code != 0 or "Traceback" in result.stderr:
            failures.append(f"llmzh {shlex.join(args)} -> {result.exit_code}: {result.stderr.strip()[-300:]}")
    assert failures == [], "\n".join(failures)

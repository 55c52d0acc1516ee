"""First contact (issue 15): names people type or paste, one language, 80 columns, filters and defaults."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fakehub import CLOSED_ENDPOINT, FakeHub
from rich.cells import cell_len
from test_hardware import FakeProbe, use
from typer.testing import CliRunner

from llmzh import hub
from llmzh.catalog import Ambiguous, load_catalog, lookup
from llmzh.cli import app
from llmzh.hub import HubSettings
from llmzh.names import parse_name

FIXTURE = Path(__file__).parent / "fixtures" / "catalog_small.yaml"
FX = ["--catalog", str(FIXTURE)]
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run llmzh; `--catalog FILE` here means that file instead of the built-in catalog (LLMZH_CATALOG), which the
    command-line option adds to."""
    argv, environ = list(args), dict(env or {})
    if "--catalog" in argv:
        at = argv.index("--catalog")
        environ["LLMZH_CATALOG"] = argv[at + 1]
        del argv[at : at + 2]
    result = runner.invoke(app, argv, env=environ)
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- 1. no traceback, ever: what NAME may be

NAME_COMMANDS = [
    ["catalog draft", "--offline"],
    ["show", "--offline"],
    ["estimate", "--offline"],
    ["download", "--dry-run"],
    ["verify"],
]
HOSTILE = [
    "a/b/c",
    "org/",
    "/name",
    "a b/c",
    "../../etc/passwd",
    "C:\\models\\qwen",
    "https://huggingface.co/datasets/org/data",
    "https://example.com/Qwen/Qwen2.5-7B-Instruct",
    "hf-mirror.com/Qwen",
    "x\x00y",
    "q" * 300,
]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("command", NAME_COMMANDS, ids=lambda c: c[0])
def test_hostile_names_get_one_line_and_exit_1(fakehub: FakeHub, command: list[str], name: str) -> None:
    code, out, err = run(*command[0].split(), name, *command[1:], "--catalog", str(FIXTURE))
    assert code == 1, err
    lines = err.splitlines()
    assert lines[0].startswith("Error: ") and len(lines) <= 2, err
    assert "Traceback" not in err and out == ""
    assert fakehub.requests == []  # refused before any client call


@pytest.mark.parametrize("repo", ["a-/b", "a--b/c", "o/" + "x" * 100])
@pytest.mark.parametrize("command", NAME_COMMANDS, ids=lambda c: c[0])
def test_a_repo_id_the_hub_cannot_have_is_a_usage_error(fakehub: FakeHub, command: list[str], repo: str) -> None:
    """Written as a repo id, but against the Hub's rules: the Hub client's reason, exit 2 (tests/test_hostile.py)."""
    code, out, err = run(*command[0].split(), repo, *command[1:], "--catalog", str(FIXTURE))
    assert code == 2 and err.startswith(f"Error: {repo!r} is not a Hub repo id: "), err
    assert fakehub.requests == []


@pytest.mark.parametrize("command", NAME_COMMANDS, ids=lambda c: c[0])
def test_an_empty_name_is_a_usage_error(command: list[str]) -> None:
    code, _, err = run(*command[0].split(), "  ", *command[1:], "--catalog", str(FIXTURE))
    assert code == 2 and err.startswith("Error: NAME is empty")


@pytest.mark.parametrize(
    ("pasted", "repo", "source"),
    [
        ("https://huggingface.co/Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "huggingface"),
        ("https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/tree/main", "Qwen/Qwen2.5-7B-Instruct", "huggingface"),
        ("huggingface.co/THUDM/chatglm-6b/blob/main/config.json", "THUDM/chatglm-6b", "huggingface"),
        ("https://hf-mirror.com/01-ai/Yi-6B-Chat", "01-ai/Yi-6B-Chat", "huggingface"),
        ("https://www.modelscope.cn/models/qwen/Qwen2.5-7B-Instruct/summary", "qwen/Qwen2.5-7B-Instruct", "modelscope"),
        ("  Qwen/Qwen2.5-7B-Instruct ", "Qwen/Qwen2.5-7B-Instruct", None),
        ("https://modelscope.cn/models/%E6%9F%90%E7%BB%84%E7%BB%87/model-7b/files", "某组织/model-7b", "modelscope"),
    ],
)
def test_pasted_model_pages_become_repo_ids(pasted: str, repo: str, source: str | None) -> None:
    name = parse_name(pasted)
    assert (name.repo, name.source) == (repo, source)


def test_a_pasted_url_works_wherever_a_name_does(fakehub: FakeHub) -> None:
    code, out, err = run("show", "https://huggingface.co/demo/glm-demo-int4", "--json", "--catalog", str(FIXTURE))
    assert code == 0, err
    assert json.loads(out)["id"] == "glm-demo"
    fakehub.add_repo("demo/glm-demo-int4", {"config.json": b"{}", "model.safetensors": b"q" * 500})
    code, out, err = run(
        "download", "https://hf-mirror.com/demo/glm-demo-int4/tree/main", "--dry-run", "--catalog", str(FIXTURE)
    )
    assert code == 0, err
    assert out.startswith("demo/glm-demo-int4 @ main")


# ---------------------------------------------------------------- 2. names people type


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Qwen/Qwen2.5-7B-Instruct", ("variant", "qwen2.5-7b-instruct-bf16")),  # a repo id finds its variant
        ("qwen/qwen2.5-7b-instruct", ("variant", "qwen2.5-7b-instruct-bf16")),
        ("https://modelscope.cn/models/qwen/Qwen2.5-7B-Instruct", ("variant", "qwen2.5-7b-instruct-bf16")),
        ("Qwen 2.5", ("project", "qwen2.5")),  # spaces and dashes as people type them
        ("qwen2.5-7b", ("model", "qwen2.5-7b-instruct")),  # a part of a name
        ("书生", ("project", "internlm")),
        ("Yi-1.5-9B-Chat", ("model", "yi-1.5-9b-chat")),
    ],
)
def test_names_people_type(typed: str, expected: tuple[str, str]) -> None:
    match = lookup(load_catalog(), typed).match
    assert match is not None and (match.kind, match.id) == expected


def test_aliases_people_type(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace(
        '  name: {zh: "演示GLM", en: "DemoGLM"}',
        '  name: {zh: "演示GLM", en: "DemoGLM"}\n  aliases: [智谱演示, Zhipu Demo]',
    )
    text = text.replace("    name: Vicuna-Demo 7B\n", "    name: Vicuna-Demo 7B\n    aliases: [小羊驼]\n")
    path = tmp_path / "aliases.yaml"
    path.write_text(text, encoding="utf-8")
    cat = load_catalog(path)
    for typed, expected in (
        ("智谱演示", "glm-demo"),
        ("zhipu demo", "glm-demo"),
        ("智谱", "glm-demo"),
        ("小羊驼", "vicuna-demo-7b"),
    ):
        match = lookup(cat, typed).match
        assert match is not None and match.id == expected, typed
    code, out, err = run("show", "智谱演示", "--offline", "--lang", "zh", "--catalog", str(path))
    assert code == 0 and out.startswith("演示GLM"), err


def test_a_family_name_lists_its_projects(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    for name in ('  name: {zh: "演示GLM", en: "DemoGLM"}', '  name: {zh: "中文小羊驼演示", en: "Vicuna-Demo"}'):
        text = text.replace(name, f"{name}\n  aliases: [演示家族]")
    path = tmp_path / "family.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run("show", "演示家族", "--catalog", str(path), env={"COLUMNS": "80"})
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["glm-demo", "vicuna-demo"]
    assert "matches 2 catalog entries" in err
    code, out, err = run("show", "演示家族", "--json", "--catalog", str(path))
    assert [c["id"] for c in json.loads(out)] == ["glm-demo", "vicuna-demo"]
    code, _, err = run("estimate", "演示家族", "--catalog", str(path))
    assert code == 1 and "glm-demo (project), vicuna-demo (project)" in err


@pytest.mark.parametrize(
    ("family", "projects"),
    [
        ("通义千问", {"qwen", "qwen1.5", "qwen2", "qwen2.5", "qwen3"}),  # the README's example
        ("千问", {"qwen", "qwen1.5", "qwen2", "qwen2.5", "qwen3"}),
        ("百川", {"baichuan-7b", "baichuan2-7b"}),
        ("智谱", {"chatglm-6b", "chatglm2", "chatglm3", "glm-4"}),
        ("零一万物", {"yi", "yi-1.5"}),
    ],
)
def test_family_names_people_type(family: str, projects: set[str]) -> None:
    """The catalog's aliases name several projects: a family, which show lists."""
    with pytest.raises(Ambiguous) as many:
        lookup(load_catalog(), family)
    assert many.value.family and {m.id for m in many.value.candidates} >= projects


def test_ambiguous_and_unknown_names() -> None:
    cat = load_catalog()
    with pytest.raises(Ambiguous) as many:
        lookup(cat, "7b-chat")  # part of many names, in several projects
    assert not many.value.family and {"qwen", "internlm", "deepseek-llm"} <= {m.id for m in many.value.candidates}
    code, _, err = run("show", "qwenn")
    assert code == 1
    assert "no project, model or variant named 'qwenn'" in err and "did you mean qwen" in err
    code, _, err = run("estimate", "baichuan")
    assert code == 1 and "baichuan-7b (project)" in err and "baichuan2-7b (project)" in err


def test_show_the_readme_example_and_a_catalog_repo(fakehub: FakeHub) -> None:
    code, out, err = run("show", "通义千问", "--offline", "--lang", "zh")
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[2:]][:2] == ["qwen", "qwen1.5"]
    assert "'通义千问' 对应目录中的" in err
    code, out, err = run("show", "Qwen/Qwen2.5-7B-Instruct", "--json")
    assert code == 0 and json.loads(out)["id"] == "qwen2.5"


QWEN_LIKE_CONFIG = {
    "model_type": "qwen2",
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "max_position_embeddings": 32768,
}


def test_show_an_uncatalogued_repo_prints_its_hub_figures_and_an_estimate(fakehub: FakeHub) -> None:
    fakehub.add_repo(
        "someone/tiny-qwen",
        {"config.json": json.dumps(QWEN_LIKE_CONFIG), "model.safetensors": b"w" * 2048},
        downloads=4321,
        likes=9,
    )
    code, out, err = run("show", "https://huggingface.co/someone/tiny-qwen", "--catalog", str(FIXTURE))
    assert code == 0, err
    assert "someone/tiny-qwen is not in the catalog" in err
    assert "4.3k" in out and "someone/tiny-qwen" in out
    assert "someone/tiny-qwen memory estimate" in out and "bf16" in out
    fakehub.mark_gone("someone/tiny-qwen")
    code, _, err = run("show", "someone/tiny-qwen", "--refresh", "--catalog", str(FIXTURE))
    assert code == 1 and "not in the catalog, and the Hub has no such repo" in err


# ---------------------------------------------------------------- 3. one language

# Words that stay as they are in Chinese text: names of products, formats and units.
_KEEP = {"Hugging", "Face", "Hub", "ModelScope", "GPU", "CPU", "NVIDIA", "LoRA", "GGUF", "GGML", "Apple", "Silicon"}


# Lines of code to copy (commands, Python), which stay as they are in any language and are never cut.
_CODE = re.compile(r"^\s*(\$ |(vllm|llama\.cpp|ollama|transformers): |\w+ = \w|from \w+ import )")


def english_sentences(text: str) -> list[str]:
    """Runs of three or more English words, two of them lower-case: sentences a zh user should not have to read
    (names such as "Demo Model License" or "Hugging Face Hub" are Title Case and stay as they are)."""
    text = "\n".join(line for line in text.splitlines() if not _CODE.match(line))
    text = re.sub(r"`[^`]*`|https?://\S+|\S*[/\\]\S*|--?[\w-]+|\b\w+[-_.]\w[\w.-]*", " ", text)
    found = []
    for run_ in re.findall(r"[A-Za-z]{2,}(?:(?:,? |['’])[A-Za-z]{2,}){2,}", text):
        words = [w for w in re.findall(r"[A-Za-z]+", run_) if w not in _KEEP]
        sentence = len(re.findall(r"[A-Za-z] [A-Za-z]", run_)) >= 2  # not a list such as "gguf, ggml, gptq"
        if sentence and len(words) >= 3 and sum(w[0].islower() for w in words) >= 2:
            found.append(run_)
    return found


def test_the_leak_detector_finds_english() -> None:
    assert english_sentences("Nothing fits 0.3 GB of VRAM; the smallest is x") != []
    assert (
        english_sentences("错误：目录中没有名为 'x' 的项目（`llmzh list --vram 6`，https://hf-mirror.com/a/b）") == []
    )


def _zh_scenarios(fakehub: FakeHub, tmp_path: Path) -> list[list[str]]:
    fakehub.add_repo("demo/glm-demo", {"config.json": b"{}", "pytorch_model.bin": b"a" * 3000}, downloads=5)
    fakehub.add_repo("demo/glm-demo-int4-qe", {"model.bin": b"e" * 400}, license="apache-2.0")
    fakehub.add_repo("demo/vicuna-lora-7b", {"adapter_model.bin": b"l" * 100})
    fakehub.add_repo("someone/tiny-qwen", {"config.json": json.dumps(QWEN_LIKE_CONFIG)}, downloads=3)
    fx = ["--catalog", str(FIXTURE)]
    return [
        ["show", "glm-demo", "--refresh", *fx],
        ["show", "someone/tiny-qwen", *fx],
        ["download", "vicuna-demo-7b", "--dry-run", *fx],
        ["list", "--live", "--vram", "24", *fx],
        ["list", "--vram", "6", *fx],
        ["list", "--vram", "0.1", *fx],
        ["list", "--vram", "lots", *fx],
        ["list", "--quant", "int5", *fx],
        ["show", "glm-demo", "--offline", *fx],
        ["show", "glm-dmeo", *fx],
        ["show", "a/b/c", *fx],
        ["estimate", "qwen2.5-7b-instruct", "--vram", "8"],
        ["estimate", "qwen2.5-7b-instruct", "--vram", "auto"],
        ["recommend", "--vram", "8", "--limit", "2"],
        ["recommend", "--vram", "0.1", "--commercial"],
        ["recommend", "--vram", "64", "--task", "legal", "--commercial"],
        ["download", "glm-demo", "--dry-run", *fx],
        ["download", "glm-demo", "--quant", "int4", "--quant", "int8", *fx],
        ["verify", "glm-demo", *fx],
        ["doctor"],
        ["catalog", "check", str(FIXTURE)],
        ["catalog", "draft", "someone/tiny-qwen", "-o", str(tmp_path / "draft.yaml")],
        ["catalog", "draft", "a/b", "--offline"],
        ["export", "--format", "json", "-o", str(tmp_path / "c.json"), *fx],
    ]


def test_no_english_sentence_leaks_into_zh_output(
    fakehub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, FakeProbe(error="no NVIDIA driver", ram=16))
    leaks: dict[str, list[str]] = {}
    for args in _zh_scenarios(fakehub, tmp_path):
        for where in ("before", "after"):  # `llmzh --lang zh CMD` and `llmzh CMD --lang zh`
            argv = ["--lang", "zh", *args] if where == "before" else [*args, "--lang", "zh"]
            code, out, err = run(*argv, env={"LLMZH_LANG": "en"})
            assert code in (0, 1, 2), (argv, err)
            assert "Traceback" not in err
            found = english_sentences(out + "\n" + err)
            if found:
                leaks[" ".join(argv)] = found
    assert leaks == {}, "\n".join(f"{k}: {v}" for k, v in leaks.items())


def test_english_stays_english() -> None:
    code, _, err = run("list", "--vram", "0.1", "--catalog", str(FIXTURE), "--lang", "en")
    assert code == 0 and err.startswith("Nothing fits 0.1 GB of VRAM")
    code, _, err = run("--lang", "en", "show", "a/b/c", env={"LLMZH_LANG": "zh"})
    assert err.startswith("Error: 'a/b/c' is neither a catalog name nor a Hub repo id")


@pytest.mark.parametrize(
    "command", [["doctor"], ["verify", "x"], ["catalog", "check"], ["catalog", "draft", "a/b", "--offline"]]
)
def test_every_command_takes_lang(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeProbe(error="no NVIDIA driver"))
    code, _, err = run(*command, "--lang", "zh")
    assert code != 2, err
    code, _, err = run("--lang", "zh", *command)
    assert code != 2, err


def test_every_help_text_has_chinese() -> None:
    """Each command's help, option help and example, built as `llmzh --lang zh CMD --help` shows them."""
    import typer.main

    from llmzh.cli import localize

    built: Any = typer.main.get_command(app)
    localize(built)
    leaks = []

    def walk(command: Any, path: str) -> None:
        texts = [command.help, command.epilog, *(getattr(p, "help", None) for p in command.params)]
        leaks.extend((path, s) for t in texts if t for s in english_sentences(t))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(built, "llmzh")
    assert leaks == []


# A child process outside the test's socket guard: a bare environment, every endpoint on the closed loopback port.
CLEAN_ENV = {
    "COLUMNS": "100",
    "NO_COLOR": "1",
    "PATH": "/usr/bin:/bin",
    "LLMZH_LANG": "en",
    "HF_ENDPOINT": CLOSED_ENDPOINT,
    "MODELSCOPE_ENDPOINT": CLOSED_ENDPOINT,
}


def test_zh_help_through_the_entry_point() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "llmzh", "--lang", "zh", "list", "--help"],
        capture_output=True,
        text=True,
        env=CLEAN_ENV,
        check=True,
    )
    assert "列出能在你的硬件上运行的模型" in result.stdout and "示例：" in result.stdout


# ---------------------------------------------------------------- 4. 80 columns


def _widest(text: str) -> int:
    """The widest line, commands and code to copy aside (printed whole, on their own lines)."""
    return max((cell_len(line) for line in text.splitlines() if not _CODE.match(line)), default=0)


WIDTH_COMMANDS = [
    ["list", "--vram", "6"],
    ["list", "--vram", "6", "--lang", "zh"],
    ["list", "--vram", "24", "--wide"],
    ["list", "--vram", "24", "--wide", "--lang", "zh"],
    ["list", "--cpu", "--ram", "16", "--all-levels"],
    ["estimate", "qwen2.5-7b-instruct", "--vram", "8"],
    ["estimate", "qwen2.5-7b-instruct", "--lang", "zh"],
    ["recommend", "--vram", "8", "--lang", "zh"],
    ["show", "chinese-vicuna", "--offline"],
    ["show", "chatglm-6b", "--offline", "--lang", "zh"],
    ["show", "通义千问", "--offline"],
    ["list", "--vram", "8", "--live", "--lang", "zh"],
    ["list", "--vram", "8", "--live", "--wide"],
]


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("args", WIDTH_COMMANDS, ids=" ".join)
def test_every_table_fits_the_terminal_and_keeps_ids_whole(args: list[str], columns: int) -> None:
    code, out, err = run(*args, env={"COLUMNS": str(columns)})
    assert code == 0, err
    assert _widest(out) <= columns, out
    cat = load_catalog()
    if args[0] == "list":
        header = out.splitlines()[0]
        asked = ("RAM", "内存") if "--cpu" in args else ("Min VRAM", "最低显存")
        assert any(label in header for label in asked), header  # the figure asked about never goes
        _, listed, _ = run(*args, "--json")
        ids = {row["id"] for row in json.loads(listed)}
        shown = {line.split()[0] for line in out.splitlines()[2:] if line.strip()}
        assert shown <= ids and shown  # every row starts with a whole id
    if args[0] == "show" and args[1] != "通义千问":
        match = lookup(cat, args[1]).match
        assert match is not None
        for entry in cat.entries():
            if entry.project.id == match.project.id and entry.variant.repo:
                assert entry.variant.repo in out  # whole, to copy


def test_the_hub_table_keeps_repo_ids_and_statuses_whole(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/glm-demo", {"config.json": b"{}"}, downloads=1)
    for columns in (80, 120):
        code, out, _ = run("show", "vicuna-demo", "--catalog", str(FIXTURE), env={"COLUMNS": str(columns)})
        assert code == 0
        assert _widest(out) <= columns
        for repo in ("demo/vicuna-lora-7b", "demo/llama-7b-hf (base)", "demo/vicuna-medical"):
            assert repo in out
        assert "unavailable" in out or "gone" in out


def test_piped_output_has_full_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS")
    code, out, _ = run("list", "--vram", "24", "--wide")
    assert code == 0
    assert _widest(out) > 200  # every column, nothing shortened
    assert "…" not in out


def test_sizes_use_the_tools_unit() -> None:
    from llmzh.render import human_bytes

    assert human_bytes(15 * 2**30) == "15 GB" and human_bytes(812 * 2**20) == "812 MB"


# ---------------------------------------------------------------- 5. filters that mean what people mean


def _ids(*args: str) -> set[str]:
    code, out, err = run("list", "--json", *args)
    assert code == 0, err
    return {row["id"] for row in json.loads(out)}


def _quants(*args: str) -> set[str]:
    code, out, err = run("list", "--json", *args)
    assert code == 0, err
    return {row["quant"] for row in json.loads(out)}


def test_quant_families() -> None:
    four = _quants("--quant", "int4")
    assert {"int4", "gptq-int4", "awq", "q4_k_m"} <= four
    assert four <= {"int4", "int4-qe", "gptq-int4", "awq", "bnb-nf4", "bnb-fp4", "q4_k_m", "q4_0", "ggml-q4_0"}
    assert _quants("--quant", "4bit") == four == _quants("--quant", "4-bit")
    assert _quants("--quant", "int8") <= {"int8", "gptq-int8", "bnb-int8", "q8_0"}
    assert "gptq-int8" in _quants("--quant", "8bit")
    assert _quants("--quant", "=int4") == {"int4"}
    assert _quants("--quant", "gguf") <= {"q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0", "q3_k_m", "q2_k"}
    assert _quants("--quant", "q4") <= {"q4_k_m", "q4_0", "ggml-q4_0"}
    assert _quants("--quant", "gptq-int4") == {"gptq-int4"}
    commercial = _ids("--quant", "int4", "--commercial")
    assert any(i.startswith("qwen2.5") and "gptq-int4" in i for i in commercial)  # the help's own example


@pytest.mark.parametrize("typed", ["8GB", "8G", "8 GiB", "8gb", "8192MiB"])
def test_vram_with_units(typed: str) -> None:
    assert _ids("--vram", typed) == _ids("--vram", "8")


def test_download_refuses_two_levels_and_picks_within_a_family(fakehub: FakeHub) -> None:
    code, _, err = run("download", "glm-demo", "--quant", "int4", "--quant", "int8", "--catalog", str(FIXTURE))
    assert code == 2 and "--quant was given 2 times" in err
    fakehub.add_repo("demo/glm-demo-int4", {"config.json": b"{}", "model.safetensors": b"q" * 500})
    code, out, err = run("download", "glm-demo", "--quant", "4bit", "--dry-run", "--catalog", str(FIXTURE))
    assert code == 2 and "glm-demo has several 4bit variants: int4, int4-qe" in err
    code, out, err = run("download", "glm-demo", "--quant", "int4", "--dry-run", "--catalog", str(FIXTURE))
    assert code == 0 and out.startswith("demo/glm-demo-int4 @ main")


# ---------------------------------------------------------------- 6. sensible defaults


def test_list_opens_with_the_most_capable_model_once() -> None:
    from llmzh.ranking import standings

    code, out, _ = run("list", "--vram", "6")
    rows = [line.split()[0] for line in out.splitlines()[2:]]
    cat = load_catalog()
    model_of = {e.variant.id: e.model for e in cat.entries()}
    models = [model_of[r].id for r in rows]
    assert len(models) == len(set(models))  # one row per model
    standing = standings(model_of.values())
    scores = [standing[model_of[r].id].strength or -99.0 for r in rows]
    assert scores[0] == max(scores) and scores == sorted(scores, reverse=True)
    assert set(rows) < _ids("--vram", "6")  # the other levels are one option away
    code, out, _ = run("list", "--vram", "6", "--all-levels")
    assert {line.split()[0] for line in out.splitlines()[2:]} == _ids("--vram", "6")
    code, out, _ = run("list", "--vram", "6", "--sort", "vram")
    needs = [float(re.sub(r"[^0-9.]", "", line.split()[2])) for line in out.splitlines()[2:]]
    assert needs == sorted(needs)


def test_list_json_is_still_one_object_per_variant_by_vram() -> None:
    code, out, _ = run("list", "--vram", "6", "--json")
    rows = json.loads(out)
    assert len(rows) > len({r["model"] for r in rows})
    assert [r["vram_gb"] for r in rows] == sorted(r["vram_gb"] for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vram", "0.1"], "No model in the catalog fits 0.1 GB of GPU memory at a 4096-token context."),
        (["--vram", "0.1", "--commercial"], "even without --commercial"),
        (["--vram", "64", "--task", "legal", "--commercial"], "passes --task legal --commercial, whatever the memory"),
        (["--vram", "7", "--ctx", "2048", "--task", "medical", *FX], "Models fit 7.0 GB of GPU memory at a 2048-token"),
        (["--vram", "7", "--task", "math", *FX], "No model in the catalog passes --task math, whatever the memory."),
    ],
)
def test_recommend_says_what_excluded_everything(args: list[str], message: str) -> None:
    code, out, err = run("recommend", *args)
    assert code == 0 and out == ""
    assert message in err


def test_estimate_auto_without_a_gpu_judges_fits_in_ram(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeProbe(error="no NVIDIA driver", ram=16))
    code, out, err = run("estimate", "qwen2.5-0.5b-instruct", "--vram", "auto")
    assert code == 0, err
    assert "Fits 12 GB RAM" in out and "✔" in out


def test_timeout_bounds_the_whole_live_phase(fakehub: FakeHub) -> None:
    """Six repos, two at a time, each answered after 0.6 s: a per-request timeout of 1 s would let all six
    through (waves at 0, 0.6 and 1.2 s); a 1 s budget for the whole phase leaves the third wave unasked."""
    repos = [f"demo/slow-{i}" for i in range(6)]
    for repo in repos:
        fakehub.add_repo(repo, {"config.json": b"{}"}, downloads=1)
    fakehub.latency = 0.6
    settings = HubSettings(endpoint=fakehub.url, timeout=1.0, max_workers=2)
    infos = hub.fetch_infos(repos, settings)
    late = [r for r in repos if infos[r].status == "unavailable"]
    time.sleep(1.0)  # long enough for a third wave to reach the server, were there one
    asked = {r.path.split("?")[0].removeprefix("/api/models/") for r in fakehub.requests_matching("GET", "/api/*")}
    assert len(asked) == 4  # the first two waves; the last two repos were never asked for
    assert [r for r in repos if infos[r].status == "ok"] == sorted(set(repos) - set(late)) and len(late) == 4
    assert all(infos[r].error == f"{settings.host} did not answer within 1 s" for r in late)


def test_missing_values_print_one_way() -> None:
    code, out, _ = run("show", "glm-demo", "--offline", "--catalog", str(FIXTURE))
    row = next(line for line in out.splitlines() if line.startswith("glm-demo-cpu"))
    assert "—" in row and " - " not in row


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["list", "--sort", "foo"], "错误：--sort 的值无效：'foo' 不是可选值之一"),
        (["list", "--nope"], "错误：没有这个选项：--nope"),
        (["list", "--ctx", "abc"], "错误：--ctx 的值无效：'abc' 不是有效的整数。"),
        (["show"], "错误：缺少参数 NAME。"),
        (["bogus"], "错误：没有命令 bogus。"),
    ],
)
def test_the_parsers_own_usage_errors_in_zh(args: list[str], expected: str) -> None:
    """Typer's usage errors (an unknown option, a bad choice) through the real entry point, as a user sees them."""
    import subprocess
    import sys

    env = CLEAN_ENV
    result = subprocess.run(
        [sys.executable, "-m", "llmzh", "--lang", "zh", *args], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 2
    assert result.stderr.startswith(expected) and english_sentences(result.stderr) == [], result.stderr
    english = subprocess.run([sys.executable, "-m", "llmzh", *args], capture_output=True, text=True, env=env)
    assert english.returncode == 2 and "错误" not in english.stderr  # English stays Typer's own

"""What `llmzh list` and `llmzh estimate` of a catalog model load: their start-up is a benchmark (bench/startup.py,
<= 1.3x a bare `import typer, rich.table, yaml`), and each library below would spend a good part of its margin."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("yaml", "huggingface_hub", "modelscope_hub", "rich.console", "rich.table", "pydantic", "requests", "httpx")

PROBE = """\
import json, sys
sys.argv = ['llmzh', *sys.argv[1:]]
from llmzh.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> tuple[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True, check=True
    )
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [("list", "--vram", "6"), ("estimate", "qwen2.5-7b-instruct")])
def test_a_command_served_from_the_catalog_cache_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    first, loaded = _loaded(*args)  # an empty cache: the catalog is parsed, which needs PyYAML
    assert "yaml" in loaded
    again, loaded = _loaded(*args)
    assert again == first and first.strip()
    assert loaded == []

"""`llmzh list` on large generated catalogs: time at 1,250 / 2,500 / 5,000 variants.

Target (issue 2): 5,000 variants listed in <= 1 s, growing linearly (time per variant roughly constant).

    python bench/scale.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

QUANTS = ["fp16", "int8", "int4", "gptq-int4", "awq"]


def make_catalog(variants: int) -> dict[str, object]:
    """Projects of 2 models x 5 variants each, with the text fields a real entry carries."""
    projects = []
    per_project = 2 * len(QUANTS)
    for p in range(variants // per_project):
        models = []
        for m in range(2):
            mid = f"proj{p}-m{m}"
            models.append(
                {
                    "id": mid,
                    "name": {"zh": f"模型{p}-{m}", "en": f"Model {p}-{m}"},
                    "format": "full",
                    "params_b": {"value": 1.5 + m * 5, "source": "https://example.org/readme"},
                    "context_length": {"value": 32768, "source": "https://example.org/readme"},
                    "variants": [
                        {
                            "id": f"{mid}-{q}",
                            "quant": q,
                            "repo": f"org{p}/model-{m}-{q}",
                            "vram_gb": {
                                "value": round(1 + (p * 7 + m * 3 + i) % 40 + 0.5, 1),
                                "kind": "peak",
                                "source": "https://example.org/bench",
                                "condition": {"zh": "生成 2048 个 token", "en": "generating 2048 tokens"},
                            },
                        }
                        for i, q in enumerate(QUANTS)
                    ],
                }
            )
        projects.append(
            {
                "id": f"proj{p}",
                "name": {"zh": f"项目{p}", "en": f"Project {p}"},
                "description": {"zh": "一个用于压力测试的中文模型项目。" * 3, "en": "A project for load testing. " * 3},
                "highlights": {"zh": "测试", "en": "test"},
                "license": {"commercial": "free", "code": "Apache-2.0", "source": "https://example.org/license"},
                "models": models,
            }
        )
    return {"version": 1, "projects": projects}


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("llmzh")
    base_cmd = [str(script)] if script.exists() else [sys.executable, "-m", "llmzh"]
    env = {**os.environ, "LLMZH_LANG": "en", "COLUMNS": "120"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # time the tool, not the bytecode compiler (see bench/startup.py)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (1250, 2500, 5000):
            path = Path(tmp, f"catalog-{size}.yaml")
            path.write_text(yaml.safe_dump(make_catalog(size), allow_unicode=True, sort_keys=False), encoding="utf-8")
            cmd = [*base_cmd, "list", "--vram", "24", "--catalog", str(path)]
            cold = _time(cmd, env)  # parses, validates and caches the catalog
            times = [_time(cmd, env) for _ in range(args.runs)]
            results.append((size, statistics.median(times), path.stat().st_size, cold))
    print(f"{'variants':>8}  {'file':>8}  {'first run':>9}  {'median':>9}  {'per 1k variants':>15}")
    for size, median, nbytes, cold in results:
        per_k = median / size * 1000 * 1000
        print(f"{size:>8}  {nbytes / 1e6:>6.1f}MB  {cold * 1000:>7.0f}ms  {median * 1000:>7.0f}ms  {per_k:>13.0f}ms")
    small, big = results[0], results[-1]
    print("first run = cold cache (the file is parsed and validated, then cached); median = later runs")
    print(f"5,000 variants: {big[1]:.2f} s (target <= 1 s)")
    print(f"time ratio 5000/1250 = {big[1] / small[1]:.2f} (linear growth would be <= 4)")


if __name__ == "__main__":
    main()

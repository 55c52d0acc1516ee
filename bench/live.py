"""`llmzh list --live` over every repo in the catalog, against the fake Hub with 150 ms added to each request.

Prints the wall time, the number of requests and the serial equivalent (requests x latency).
Targets (issue 3): wall <= serial / 3 + 0.6 s; a second run within the TTL makes zero requests and takes
<= 1.2x the plain `llmzh list` time.

    python bench/live.py [--latency 0.15] [--runs 5]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakehub import FakeHub  # noqa: E402

from llmzh.catalog import load_catalog, repo_index  # noqa: E402


def _llmzh() -> list[str]:
    script = Path(sys.executable).with_name("llmzh")
    return [str(script)] if script.exists() else [sys.executable, "-m", "llmzh"]


def _run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*_llmzh(), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    repos = sorted({r for r in repo_index(load_catalog()).values() if r})
    with FakeHub() as hub, tempfile.TemporaryDirectory() as cache:
        for i, repo in enumerate(repos):
            hub.add_repo(repo, {"config.json": b"{}", "model.safetensors": b"w" * (1000 + i)}, downloads=i, likes=i)
        hub.latency = args.latency
        env = {
            **os.environ,
            "HF_ENDPOINT": hub.url,
            "LLMZH_CACHE_DIR": cache,
            "LLMZH_LANG": "en",
            "COLUMNS": "160",
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }
        env.pop("LLMZH_CATALOG", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # time the tool, not the bytecode compiler (see bench/startup.py)
        env.pop("HF_TOKEN", None)

        first = _run(["list", "--live"], env)
        requests = len(hub.requests)
        serial = requests * args.latency
        hub.reset_requests()

        plain, cached = [], []
        for _ in range(args.runs):  # interleaved
            plain.append(_run(["list"], env))
            cached.append(_run(["list", "--live"], env))
        second_requests = len(hub.requests)

    p, c = statistics.median(plain), statistics.median(cached)
    print(f"repos in the catalog:          {len(repos)}")
    print(f"first run, cold cache:         wall {first:.2f} s, {requests} requests at {args.latency * 1000:.0f} ms")
    print(f"serial equivalent:             {serial:.2f} s   (target: wall <= {serial / 3 + 0.6:.2f} s)")
    print(f"speed-up over serial:          {serial / first:.1f}x")
    print(f"second runs within the TTL:    {second_requests} requests over {args.runs} runs (target 0)")
    print(f"plain `list` median:           {p * 1000:.0f} ms")
    print(f"cached `list --live` median:   {c * 1000:.0f} ms   ratio {c / p:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()

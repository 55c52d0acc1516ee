"""Start-up cost of `llmzh list --vram 6` and `llmzh estimate qwen2.5-7b-instruct` against the floor
`python -c "import typer, rich.table, yaml"`.

Runs them interleaved (so machine noise hits all alike) and prints the medians and their ratios. Where the OS
reports it, also the CPU time (user + sys) the process used: on a shared machine other jobs stretch wall time far
more than CPU time, so the CPU ratio shows whether a wall ratio near the target is noise.
Targets (issues 2 and 11): each ratio <= 1.3 (wall time).

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _llmzh() -> list[str]:
    script = Path(sys.executable).with_name("llmzh")
    if script.exists():
        return [str(script)]
    found = shutil.which("llmzh")
    return [found] if found else [sys.executable, "-m", "llmzh"]


def _cpu() -> float:
    """CPU seconds used by waited-for child processes so far (0 where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start, _cpu() - cpu


ENV = {**os.environ, "LLMZH_LANG": "en", "COLUMNS": "120"}
ENV.pop("LLMZH_CATALOG", None)
# An installed package has its bytecode compiled (pip does it at install time); an editable checkout gets it on
# the first run unless writing bytecode is disabled, which would time the compiler instead of the tool.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    floor_cmd = [sys.executable, "-c", "import typer, rich.table, yaml"]
    commands = {
        "list --vram 6": [*_llmzh(), "list", "--vram", "6"],
        "estimate qwen2.5-7b-instruct": [*_llmzh(), "estimate", "qwen2.5-7b-instruct"],
    }
    _time(floor_cmd)  # warm the page cache and .pyc files
    for cmd in commands.values():
        _time(cmd)
    floor: list[tuple[float, float]] = []
    tools: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):
        floor.append(_time(floor_cmd))
        for name, cmd in commands.items():
            tools[name].append(_time(cmd))
    f, f_cpu = (statistics.median(t[i] for t in floor) for i in (0, 1))
    print(f"runs (interleaved):                 {args.runs}   load average {' '.join(_load())}")
    print(f"floor  python -c 'import typer, rich.table, yaml'  median {f * 1000:7.1f} ms{_cpu_text(f_cpu, f_cpu)}")
    for name, times in tools.items():
        t, t_cpu = (statistics.median(x[i] for x in times) for i in (0, 1))
        print(
            f"llmzh  {name:<42} median {t * 1000:7.1f} ms   ratio {t / f:.2f}   (target <= 1.30)"
            + _cpu_text(t_cpu, f_cpu)
        )


def _cpu_text(cpu: float, floor_cpu: float) -> str:
    return f"   cpu {cpu * 1000:6.1f} ms   ratio {cpu / floor_cpu:.2f}" if floor_cpu > 0 else ""


def _load() -> list[str]:
    try:
        return [f"{x:.2f}" for x in os.getloadavg()]
    except (AttributeError, OSError):  # Windows
        return ["unknown"]


if __name__ == "__main__":
    main()

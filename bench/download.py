"""`llmzh download` against `hf download` of the same repo (a 256 MB weight file) from the fake Hub on loopback.

Each run downloads into fresh directories (HF_HOME and --local-dir), the two tools interleaved. Prints the medians
and their ratio (target, issue 4: <= 1.1: llmzh adds planning, not overhead). Then cuts a transfer at 50 % with a
connection reset, runs the same command again and prints how many bytes the second run fetched (target: <= 55 % of
the file), for both tools.

Then the same for ModelScope (issue 13): `llmzh download --source modelscope` against the official client's own
`ms-hub download`, both through modelscope_hub, from the fake ModelScope on loopback (target ratio <= 1.15).

    python bench/download.py [--runs 5] [--size-mb 256] [--only hf|modelscope]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakehub import FakeHub  # noqa: E402
from fakemodelscope import FakeModelScope  # noqa: E402

REPO = "bench/model-256mb"
WEIGHTS = "model.safetensors"


def _tool(name: str) -> str:
    script = Path(sys.executable).with_name(name)
    if not script.exists():
        raise SystemExit(f"{script} not found: install llmzh and huggingface_hub in this environment")
    return str(script)


def _commands() -> dict[str, Callable[[Path], list[str]]]:
    llmzh, hf = _tool("llmzh"), _tool("hf")
    return {
        "llmzh download": lambda dest: [llmzh, "download", REPO, "--local-dir", str(dest)],
        "hf download": lambda dest: [hf, "download", REPO, "--local-dir", str(dest)],
    }


def _env(hub: FakeHub, home: Path, llmzh_cache: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home / "hf"),
        # llmzh's own cache (the parsed catalog) is kept, as on any machine after the first command; every
        # download still starts from an empty Hugging Face cache and an empty destination.
        "LLMZH_CACHE_DIR": str(llmzh_cache),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "LLMZH_LANG": "en",
    }
    for name in ("HF_TOKEN", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "LLMZH_CATALOG"):
        env.pop(name, None)
    return env


def _run(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, done.returncode


def _payload(size: int) -> bytes:
    # Incompressible and cheap to make: a resumed file with a wrong offset would fail the size and hash checks.
    return os.urandom(size)


def _ms_env(server: FakeModelScope, home: Path, llmzh_cache: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "MODELSCOPE_ENDPOINT": server.url,
        "MODELSCOPE_CACHE": str(home / "ms-cache"),
        "MODELSCOPE_HOME": str(home / "ms-home"),
        "LLMZH_CACHE_DIR": str(llmzh_cache),
        "LLMZH_LANG": "en",
    }
    for name in ("MODELSCOPE_API_TOKEN", "LLMZH_CATALOG", "LLMZH_SOURCE"):
        env.pop(name, None)
    return env


def _modelscope(runs: int, size: int) -> None:
    llmzh, client = _tool("llmzh"), _tool("ms-hub")
    commands: dict[str, Callable[[Path], list[str]]] = {
        "llmzh download": lambda dest: [llmzh, "download", REPO, "--source", "modelscope", "--local-dir", str(dest)],
        "ms-hub download": lambda dest: [client, "download", REPO, "--local-dir", str(dest)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    with FakeModelScope() as server, tempfile.TemporaryDirectory(prefix="llmzh-bench-ms-") as scratch:
        server.add_repo(
            REPO, {"config.json": b'{"model_type": "llama"}', "README.md": b"# bench", WEIGHTS: _payload(size)}
        )
        root = Path(scratch)
        llmzh_cache = root / "llmzh-cache"
        for name in names:  # untimed: page cache, llmzh's parsed catalog, the client's session id
            home = root / "warm-up"
            _run(commands[name](home / "out"), _ms_env(server, home, llmzh_cache))
            shutil.rmtree(home)
        for run in range(runs):
            for name in names if run % 2 == 0 else reversed(names):
                home = root / f"{name.split()[0]}-{run}"
                elapsed, code = _run(commands[name](home / "out"), _ms_env(server, home, llmzh_cache))
                if code != 0:
                    raise SystemExit(f"{name} failed (exit {code})")
                if (home / "out" / WEIGHTS).read_bytes() != server.files_of(REPO)[WEIGHTS]:
                    raise SystemExit(f"{name} wrote a different file")
                times[name].append(elapsed)
                shutil.rmtree(home)
    print(f"ModelScope: {REPO}, {WEIGHTS} of {size / 1e6:.0f} MB, fake ModelScope on 127.0.0.1, {runs} runs each")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:<16} median {medians[name]:.2f} s   (runs: {', '.join(f'{v:.2f}' for v in values)})")
    ratio = medians["llmzh download"] / medians["ms-hub download"]
    print(f"ratio llmzh / ms-hub: {ratio:.3f}   (target <= 1.15)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--only", choices=("hf", "modelscope"))
    args = parser.parse_args()

    size = args.size_mb * 1_000_000
    if args.only != "hf":
        _modelscope(args.runs, size)
    if args.only == "modelscope":
        return
    commands = _commands()
    times: dict[str, list[float]] = {name: [] for name in commands}
    with FakeHub() as hub, tempfile.TemporaryDirectory(prefix="llmzh-bench-") as scratch:
        files = {"config.json": b'{"model_type": "llama"}', "README.md": b"# bench", WEIGHTS: _payload(size)}
        hub.add_repo(REPO, files)
        root = Path(scratch)
        llmzh_cache = root / "llmzh-cache"
        names = list(commands)
        for name in names:  # one untimed run each: page cache, the server's checksums, llmzh's parsed catalog
            home = root / "warm-up"
            _run(commands[name](home / "out"), _env(hub, home, llmzh_cache))
            shutil.rmtree(home)
        for run in range(args.runs):
            # Interleaved, alternating which goes first, so drift (page cache, CPU clocks) hits both alike.
            for name in names if run % 2 == 0 else reversed(names):
                home = root / f"{name.split()[0]}-{run}"
                elapsed, code = _run(commands[name](home / "out"), _env(hub, home, llmzh_cache))
                if code != 0:
                    raise SystemExit(f"{name} failed (exit {code})")
                if (home / "out" / WEIGHTS).stat().st_size != size:
                    raise SystemExit(f"{name} wrote a file of the wrong size")
                times[name].append(elapsed)
                shutil.rmtree(home)

        refetched: dict[str, tuple[float, int, int]] = {}
        for name in names:
            home = root / f"{name.split()[0]}-cut"
            env = _env(hub, home, llmzh_cache)
            hub.drop_file(WEIGHTS, size // 2, reset=True)  # a reset: not retried within the run
            _, first = _run(commands[name](home / "out"), env)
            hub.reset_requests()
            _, second = _run(commands[name](home / "out"), env)
            sent = hub.bytes_sent(WEIGHTS)
            refetched[name] = (sent / size, first, second)
            shutil.rmtree(home)

    print(f"repo: {REPO}, {WEIGHTS} of {size / 1e6:.0f} MB, fake Hub on 127.0.0.1, {args.runs} runs each, interleaved")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:<15} median {medians[name]:.2f} s   (runs: {runs})")
    ratio = medians["llmzh download"] / medians["hf download"]
    print(f"ratio llmzh / hf: {ratio:.3f}   (target <= 1.1)")
    for name, (share, first, second) in refetched.items():
        print(
            f"{name:<15} after a cut at 50 %: second run fetched {share * 100:.1f} % of the file "
            f"(exit codes {first} then {second}; target <= 55 %)"
        )


if __name__ == "__main__":
    main()

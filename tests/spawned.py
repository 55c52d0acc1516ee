"""`llmzh` in a process of its own, for the tests that interrupt or kill a download half-way (Hub and ModelScope)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path


def spawn(args: list[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """`llmzh ARGS` started in the background, its stdout and stderr captured as text.

    SIGINT raises KeyboardInterrupt in the child, as in a terminal: a suite started in the background by a shell
    without job control (`pytest &`, two runs in parallel) has SIGINT ignored, which the child would inherit, and
    Python then never raises KeyboardInterrupt, so a Ctrl-C test would see the download run to its end.
    """
    start = "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); sys.argv[0] = 'llmzh'"
    command = [sys.executable, "-c", f"{start}; runpy.run_module('llmzh', run_name='__main__')", *args]
    return subprocess.Popen(command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_partial(path: Path, size: int, proc: subprocess.Popen[str]) -> int:
    """Wait (up to 30 s, while `proc` runs) until the partial file `path` holds `size` bytes; its size then."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.stat().st_size >= size:
            return path.stat().st_size
        time.sleep(0.02)
    raise AssertionError(f"no partial file of {size} bytes appeared (exit code {proc.poll()})")

"""Build the wheel, install it into a fresh virtual environment and run the console script from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_carries_the_catalog_and_the_console_script_runs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("llmzh-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "llmzh/data/models.yaml" in names
        assert zf.read("llmzh/data/models.yaml") == (ROOT / "data" / "models.yaml").read_bytes()

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    # The fresh venv takes the dependencies (typer, rich, ...) from this environment without installing them
    # from the network; llmzh itself comes only from the wheel (this environment's editable path is not added).
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps-from-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {k: v for k, v in os.environ.items() if k not in ("LLMZH_CATALOG", "PYTHONPATH")}
    result = subprocess.run(
        [str(bindir / "llmzh"), "list", "--vram", "6", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert "chatglm-6b-int4" in {r["id"] for r in rows}
    where = subprocess.run(
        [str(python), "-c", "import llmzh.catalog as c; print(c.default_catalog_path())"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(env_dir), where

    result = subprocess.run(
        [str(bindir / "llmzh"), "show", "no-such-model"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no project, model or variant named 'no-such-model'")
    assert "Traceback" not in result.stderr

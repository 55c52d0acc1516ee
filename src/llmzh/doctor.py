"""`llmzh doctor`: what this machine has and how llmzh is set up, to paste into a bug report.

A token is only ever reported as set or not set, with where it comes from; never its value.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

from llmzh.hardware import Hardware, Probe, budget, detect
from llmzh.hub import HubSettings, hub_cache_dir, ping

PACKAGES = ("llmzh", "typer", "rich", "PyYAML", "huggingface_hub", "platformdirs", "psutil", "nvidia-ml-py")


class CacheDir(NamedTuple):
    name: str
    path: str
    bytes: int | None  # None when the directory does not exist


class Report(NamedTuple):
    python: str
    platform: str
    versions: dict[str, str | None]
    hardware: Hardware
    hardware_summary: str
    endpoint: str
    endpoint_ok: bool
    endpoint_detail: str
    token: str  # "HF_TOKEN", "--token", "stored login" or "not set"
    modelscope_endpoint: str
    modelscope_ok: bool
    modelscope_detail: str
    modelscope_token: str  # "MODELSCOPE_API_TOKEN", "stored login" or "not set"
    caches: tuple[CacheDir, ...]
    catalog: str
    catalog_status: str


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def dir_size(path: Path) -> int | None:
    """Bytes under a directory, not following links; None if it does not exist."""
    if not path.is_dir():
        return None
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def token_source(settings: HubSettings, explicit: bool) -> str:
    if settings.token:
        return "--token" if explicit else "HF_TOKEN"
    from llmzh.hub import stored_token_exists

    return "stored login" if stored_token_exists() else "not set"


def gather(
    settings: HubSettings,
    *,
    explicit_token: bool = False,
    catalog: list[str] | None = None,
    probe: Probe | None = None,
) -> Report:
    from llmzh.catalog import catalog_files, validate
    from llmzh.config import cache_dir
    from llmzh.errors import CatalogError

    hardware = detect(probe)
    ok, detail = (False, "offline mode: not tried") if settings.offline else ping(settings)
    files = catalog_files(catalog)
    statuses: list[str] = []
    for index, path in enumerate(files):
        try:
            result = validate(path)
            status = (
                f"OK, {len(result.catalog.entries())} variants"
                if result.catalog is not None
                else f"{len(result.problems)} problem(s): run `llmzh catalog check {path}`"
            )
        except CatalogError as error:
            status = error.message
        statuses.append(status if index == 0 else f"{path}: {status}")
    status = "; ".join(statuses)
    from llmzh import modelscope

    ms_cache = modelscope.cache_root()
    caches = (
        CacheDir("llmzh", str(cache_dir()), dir_size(cache_dir())),
        CacheDir("huggingface_hub", str(hub_cache_dir()), dir_size(hub_cache_dir())),
        CacheDir("modelscope", str(ms_cache), dir_size(ms_cache)),
    )
    ms_endpoint, ms_ok, ms_detail, ms_token = _modelscope(settings)
    return Report(
        python=sys.version.split()[0],
        platform=f"{platform.system()} {platform.release()} {platform.machine()}",
        versions={p: _version(p) for p in PACKAGES},
        hardware=hardware,
        hardware_summary=budget(hardware).summary,
        endpoint=settings.shown_endpoint,
        endpoint_ok=ok,
        endpoint_detail=detail,
        token=token_source(settings, explicit_token),
        modelscope_endpoint=ms_endpoint,
        modelscope_ok=ms_ok,
        modelscope_detail=ms_detail,
        modelscope_token=ms_token,
        caches=caches,
        catalog=", ".join(str(f) for f in files),
        catalog_status=status,
    )


def _modelscope(hf: HubSettings) -> tuple[str, bool, str, str]:
    """ModelScope's endpoint, whether it answers (within the same --timeout), and where its token comes from."""
    from llmzh import modelscope
    from llmzh.errors import UsageError

    try:
        # doctor's --token is Hugging Face's: ModelScope's token is MODELSCOPE_API_TOKEN or the stored login.
        settings = modelscope.MsSettings.from_options(timeout=hf.timeout, offline=hf.offline)
    except UsageError as error:
        return os.environ.get(modelscope.ENDPOINT_ENV, ""), False, error.message, "not set"
    ok, detail = (False, "offline mode: not tried") if settings.offline else modelscope.ping(settings)
    return settings.shown_endpoint, ok, detail, modelscope.token_source(settings)


def report_json(report: Report) -> dict[str, Any]:
    hw = report.hardware
    return {
        "python": report.python,
        "platform": report.platform,
        "versions": report.versions,
        "gpus": [
            {
                "name": g.name,
                "kind": g.kind,
                "total_bytes": g.total_bytes,
                "free_bytes": g.free_bytes,
                "estimated": g.estimated,
            }
            for g in hw.gpus
        ],
        "ram_total_bytes": hw.ram_total_bytes,
        "ram_available_bytes": hw.ram_available_bytes,
        "hardware_notes": list(hw.notes),
        "endpoint": report.endpoint,
        "endpoint_ok": report.endpoint_ok,
        "endpoint_detail": report.endpoint_detail,
        "token": report.token,
        "modelscope_endpoint": report.modelscope_endpoint,
        "modelscope_ok": report.modelscope_ok,
        "modelscope_detail": report.modelscope_detail,
        "modelscope_token": report.modelscope_token,
        "caches": [c._asdict() for c in report.caches],
        "catalog": report.catalog,
        "catalog_status": report.catalog_status,
    }

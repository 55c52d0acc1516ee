"""`llmzh doctor`: hardware, endpoint, caches, token (set or not) and library versions."""

from __future__ import annotations

import sys
from typing import Any

from llmzh.cli._common import (
    CatalogOpt,
    EndpointOpt,
    JsonOpt,
    MirrorOpt,
    OfflineOpt,
    TimeoutOpt,
    TokenOpt,
    app,
    hub_settings,
    lang_of,
    print_json,
    reporting_errors,
)

DOCTOR_EPILOG = """\
Examples:

* `llmzh doctor` — what llmzh sees on this machine
* `llmzh doctor --mirror hf-mirror` — does the mirror answer from here?
* `llmzh doctor --json` — the same as data, for a bug report (no token value is ever included)
"""


@app.command(epilog=DOCTOR_EPILOG)
def doctor(
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 5.0,
    offline: OfflineOpt = False,
) -> None:
    """Show the detected GPUs and RAM, the Hub and ModelScope endpoints and whether they answer, cache locations and
    sizes, whether a token is set for each (never its value), and the versions of the libraries involved."""
    with reporting_errors():
        from llmzh.doctor import gather, report_json

        settings = hub_settings(endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline)
        report = gather(settings, explicit_token=token is not None, catalog=catalog)
        if as_json:
            print_json(report_json(report))
            return
        sys.stdout.write(_text(report))


def _text(report: Any) -> str:
    from llmzh.render import human_bytes

    gib = 2**30
    lines = [f"llmzh {report.versions.get('llmzh') or '?'} · Python {report.python} · {report.platform}", ""]
    lines.append("Hardware")
    for gpu in report.hardware.gpus:
        approx = "≈" if gpu.estimated else ""
        free, total = gpu.free_bytes / gib, gpu.total_bytes / gib
        lines.append(f"  GPU {gpu.number}: {gpu.name} — {approx}{free:.1f} GB free of {total:.1f} GB")
    if not report.hardware.gpus:
        lines.append("  GPU: none detected")
    for note in report.hardware.notes:
        lines.append(f"    ({note})")
    hw = report.hardware
    lines.append(f"  RAM: {hw.ram_available_bytes / gib:.1f} GB available of {hw.ram_total_bytes / gib:.1f} GB")
    lines.append(f"  → {report.hardware_summary}")
    lines += ["", "Hub"]
    state = "answers" if report.endpoint_ok else "does not answer"
    lines.append(f"  endpoint: {report.endpoint} — {state} ({report.endpoint_detail})")
    lines.append(f"  token: {report.token}")
    lines += _modelscope_lines(report, lang_of(None))
    lines += ["", "Caches"]
    for cache in report.caches:
        size = human_bytes(cache.bytes) if cache.bytes is not None else "not created yet"
        lines.append(f"  {cache.name}: {cache.path} — {size}")
    lines += ["", "Catalog", f"  {report.catalog} — {report.catalog_status}", "", "Libraries"]
    for package, version in report.versions.items():
        lines.append(f"  {package} {version or 'not installed'}")
    return "\n".join(lines) + "\n"


def _modelscope_lines(report: Any, lang: Any) -> list[str]:
    """The ModelScope section, in the user's language (LLMZH_LANG, else the locale)."""
    from llmzh.i18n import t

    state = t("doctor_answers" if report.modelscope_ok else "doctor_no_answer", lang)
    token = report.modelscope_token
    shown = t(f"token_{token}", lang) if token in ("stored login", "not set") else token
    endpoint = f"{report.modelscope_endpoint} — {state} ({report.modelscope_detail})"
    return ["", t("doctor_ms", lang), f"  {t('doctor_endpoint', lang)}: {endpoint}", f"  token: {shown}"]

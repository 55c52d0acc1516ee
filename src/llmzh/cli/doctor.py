"""`llmzh doctor`: hardware, endpoint, caches, token (set or not) and library versions."""

from __future__ import annotations

import sys
from typing import Any

from llmzh.cli._common import (
    CatalogOpt,
    EndpointOpt,
    JsonOpt,
    LangOpt,
    MirrorOpt,
    OfflineOpt,
    TimeoutOpt,
    TokenOpt,
    app,
    hub_settings,
    lang_of,
    print_json,
    reporting_errors,
    tr,
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
    lang: LangOpt = None,
) -> None:
    """Show the detected GPUs and RAM, the Hub and ModelScope endpoints and whether they answer, cache locations and
    sizes, whether a token is set for each (never its value), and the versions of the libraries involved."""
    language = lang_of(lang)
    with reporting_errors():
        from llmzh.doctor import gather, report_json

        settings = hub_settings(endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline)
        report = gather(settings, explicit_token=token is not None, catalog=catalog)
        if as_json:
            print_json(report_json(report))
            return
        sys.stdout.write(_text(report, language))


def _text(report: Any, lang: Any) -> str:
    from llmzh.render import human_bytes

    zh = lang == "zh"

    def say(en: str, cn: str) -> str:
        return cn if zh else en

    gib = 2**30
    lines = [f"llmzh {report.versions.get('llmzh') or '?'} · Python {report.python} · {report.platform}", ""]
    lines.append(say("Hardware", "硬件"))
    for gpu in report.hardware.gpus:
        approx = "≈" if gpu.estimated else ""
        free, total = gpu.free_bytes / gib, gpu.total_bytes / gib
        amount = say(f"{approx}{free:.1f} GB free of {total:.1f} GB", f"共 {total:.1f} GB，空闲 {approx}{free:.1f} GB")
        lines.append(f"  GPU {gpu.number}: {gpu.name} — {amount}")
    if not report.hardware.gpus:
        lines.append(say("  GPU: none detected", "  GPU：未检测到"))
    for note in report.hardware.notes:
        lines.append(f"    ({tr(note)})")
    hw = report.hardware
    available, total_ram = hw.ram_available_bytes / gib, hw.ram_total_bytes / gib
    lines.append(
        say(
            f"  RAM: {available:.1f} GB available of {total_ram:.1f} GB",
            f"  内存：共 {total_ram:.1f} GB，可用 {available:.1f} GB",
        )
    )
    lines.append(f"  → {tr(report.hardware_summary)}")
    lines += ["", "Hub"]
    state = say("answers", "可访问") if report.endpoint_ok else say("does not answer", "无法访问")
    lines.append(f"  {say('endpoint', '地址')}: {report.endpoint} — {state} ({tr(report.endpoint_detail)})")
    lines.append(f"  token: {tr(report.token)}")
    lines += _modelscope_lines(report, lang)
    lines += ["", say("Caches", "缓存")]
    for cache in report.caches:
        size = human_bytes(cache.bytes) if cache.bytes is not None else say("not created yet", "尚未创建")
        lines.append(f"  {tr(cache.name)}: {cache.path} — {size}")
    lines += [
        "",
        say("Catalog", "目录"),
        f"  {report.catalog} — {tr(report.catalog_status)}",
        "",
        say("Libraries", "依赖库"),
    ]
    for package, version in report.versions.items():
        lines.append(f"  {package} {version or say('not installed', '未安装')}")
    return "\n".join(lines) + "\n"


def _modelscope_lines(report: Any, lang: Any) -> list[str]:
    """The ModelScope section, in the language of the rest (--lang, LLMZH_LANG, else the locale)."""
    from llmzh.i18n import t

    state = t("doctor_answers" if report.modelscope_ok else "doctor_no_answer", lang)
    token = report.modelscope_token
    shown = t(f"token_{token}", lang) if token in ("stored login", "not set") else token
    endpoint = f"{report.modelscope_endpoint} — {state} ({tr(report.modelscope_detail)})"
    return ["", t("doctor_ms", lang), f"  {t('doctor_endpoint', lang)}: {endpoint}", f"  token: {shown}"]

"""`llmzh estimate`: peak GPU memory of a model at any quantization, context and batch, part by part."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from llmzh.cli._common import (
    CatalogOpt,
    EndpointOpt,
    JsonOpt,
    LangOpt,
    MirrorOpt,
    OfflineOpt,
    SourceOpt,
    TimeoutOpt,
    TokenOpt,
    VramOpt,
    app,
    choose_source,
    detect_budget,
    hub_settings,
    lang_of,
    print_json,
    quant_levels,
    reporting_errors,
    tr,
    vram_option,
    warn,
)


class RuntimeChoice(StrEnum):
    transformers = "transformers"
    transformers_legacy = "transformers-legacy"
    llama_cpp = "llama.cpp"
    vllm = "vllm"
    ollama = "ollama"


class KvCacheChoice(StrEnum):
    fp16 = "fp16"
    bf16 = "bf16"
    fp8 = "fp8"
    q8_0 = "q8_0"
    q4_0 = "q4_0"


class FinetuneChoice(StrEnum):
    lora = "lora"
    qlora = "qlora"
    full = "full"
    ptuning = "ptuning"


ESTIMATE_EPILOG = """\
Examples:

* `llmzh estimate qwen2.5-7b-instruct` — every level the catalog has, at a 2K context
* `llmzh estimate qwen-7b-chat --quant gptq-int4 --ctx 8192 --vram 8` — will it fit an 8 GB card at 8K?
* `llmzh estimate chatglm2-6b --ctx 32768 --prompt 30000` — a long document in one prompt
* `llmzh estimate Qwen/Qwen2.5-14B-Instruct --quant q4_k_m` — any Hub repo (its config.json is fetched and cached)
* `llmzh estimate glm-4-9b-chat --finetune qlora --seq 2048` — fine-tuning memory (a rough estimate)
* `llmzh estimate yi-6b-chat --json` — the parts in bytes (`total_bytes` as nvidia-smi shows it, `allocated_bytes` as
  torch.cuda.max_memory_allocated reports it)
* `llmzh estimate Qwen/Qwen3.5-9B --quant bf16 --ctx 131072` — hybrid attention: KV cache of the 8 full-attention
  layers only, plus the fixed state of the 24 linear ones
* `llmzh estimate qwen2.5-7b-instruct --quant q4_k_m --kv-cache q8_0` — llama.cpp with an 8-bit KV cache
* `llmzh estimate qwen3-8b --runtime vllm --vram 24 --ctx 32768 --gpu 4090` — vLLM's KV pool, users, speed, command
* `llmzh estimate qwen2.5-7b-instruct --quant q4_k_m --runtime llama.cpp --vram 6 --ram 16` — how many layers -ngl

Memory is in GB of 2^30 bytes, as GPU tools and the projects' tables report it.
"""


def _gb(n: int) -> str:
    value = n / 2**30
    return f"{value:.2f} GB" if value < 10 else f"{value:.1f} GB"


@app.command(epilog=ESTIMATE_EPILOG)
def estimate(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="A catalog model or variant (id or name), a Hub repo id or a pasted model page URL."
        ),
    ],
    quant: Annotated[
        list[str] | None,
        typer.Option(
            "--quant",
            metavar="LEVEL",
            help="Level to estimate (repeatable); default: the model's own.",
            show_default=False,
        ),
    ] = None,
    ctx: Annotated[
        int | None,
        typer.Option(
            "--ctx",
            metavar="TOKENS",
            min=1,
            help="Tokens held in the KV cache (prompt + reply); default 2048 (vLLM, Ollama: their own default).",
            show_default=False,
        ),
    ] = None,
    prompt: Annotated[
        int | None,
        typer.Option("--prompt", metavar="TOKENS", min=0, help="Prefill length (default: --ctx).", show_default=False),
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Sequences at once.")] = 1,
    runtime: Annotated[
        RuntimeChoice | None,
        typer.Option(
            "--runtime",
            help="transformers (>= 4.45), transformers-legacy (4.36-4.44: whole-prompt fp32 logits), llama.cpp "
            "(default for GGUF levels; with --vram/--ram: -ngl offload), vllm (KV pool and concurrency; needs "
            "--vram) or ollama.",
            show_default=False,
        ),
    ] = None,
    kv_cache: Annotated[
        KvCacheChoice | None,
        typer.Option(
            "--kv-cache",
            help="KV-cache type: fp16/bf16 (default: the model's dtype; llama.cpp f16), q8_0/q4_0 (llama.cpp, "
            "Ollama), fp8 (vLLM).",
            show_default=False,
        ),
    ] = None,
    finetune: Annotated[
        FinetuneChoice | None,
        typer.Option("--finetune", help="Estimate fine-tuning memory instead (rough).", show_default=False),
    ] = None,
    seq: Annotated[int, typer.Option("--seq", metavar="TOKENS", min=1, help="Training sequence length.")] = 512,
    vram: VramOpt = None,
    ram: Annotated[
        float | None,
        typer.Option(
            "--ram",
            metavar="GB",
            min=0,
            help="RAM for the layers llama.cpp/Ollama keep on the CPU.",
            show_default=False,
        ),
    ] = None,
    gpu: Annotated[
        str | None,
        typer.Option(
            "--gpu", metavar="NAME", help="GPU for the speed estimate (default: the detected one).", show_default=False
        ),
    ] = None,
    gpu_memory_utilization: Annotated[
        float | None,
        typer.Option(
            "--gpu-memory-utilization",
            metavar="U",
            min=0.01,
            max=1.0,
            help="vLLM's share of the card (default: vLLM's, 0.92 since v0.21).",
            show_default=False,
        ),
    ] = None,
    max_num_seqs: Annotated[
        int | None,
        typer.Option(
            "--max-num-seqs",
            metavar="S",
            min=1,
            help="vLLM's sequences per batch (default: vLLM's).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 10.0,
    offline: OfflineOpt = False,
    source: SourceOpt = None,
) -> None:
    """Estimate peak GPU memory as weights + KV cache + activations + overhead, from the model's architecture.

    The estimator reads each family's own config names (ChatGLM2/3 and GLM-4 multi-query groups, Qwen, Baichuan,
    InternLM, Yi, DeepSeek, BLOOM), models what the named runtime allocates, and is calibrated against the projects'
    published measurements (bench/estimate_accuracy.py). Published figures from the catalog are shown beside it.
    """
    if prompt is not None and prompt > (ctx or 2048):
        raise typer.BadParameter(
            f"the prompt ({prompt}) cannot be longer than the context ({ctx})", param_hint="--prompt"
        )
    language = lang_of(lang)
    with reporting_errors():
        vram_choice = vram_option(vram)
        levels = quant_levels(quant, exact=True)
        target = _target(name, catalog, endpoint, mirror, token, timeout, offline, source)
        limit = vram_choice if isinstance(vram_choice, float) else None
        in_ram = False
        if vram_choice == "auto":
            found = detect_budget()
            limit = found.vram_gb
            if limit is None:  # no GPU: what fits is judged against the RAM that is free, as list and recommend do
                limit, in_ram = found.ram_gb, True
        if finetune is not None:
            _finetune(target, finetune.value, levels, seq, batch, limit, as_json, language)
            return
        serve = runtime is not None and runtime.value in ("vllm", "ollama")
        if serve or (runtime is RuntimeChoice.llama_cpp and (limit is not None or ram is not None)):
            assert runtime is not None
            settings = (gpu_memory_utilization, max_num_seqs, kv_cache.value if kv_cache else None)
            if ctx is not None:
                _warn_context(target, ctx, language)
            serve_ctx = ctx if runtime is not RuntimeChoice.llama_cpp else (ctx or 2048)
            _serve(target, levels, runtime.value, serve_ctx, limit, ram, gpu, settings, as_json, language)
            return
        ctx = ctx or 2048
        _warn_context(target, ctx, language)
        for line in _notes(target.arch, language):
            warn(line)
        kv = kv_cache.value if kv_cache else "model"
        inference_table(
            target,
            levels or list(target.levels),
            ctx,
            prompt,
            batch,
            runtime,
            kv,
            limit,
            as_json,
            language,
            in_ram=in_ram,
        )


def _notes(arch: Any, lang: Any) -> list[str]:
    """One line per thing a reader should know about how the config was read."""
    from llmzh.i18n import t

    lines = []
    if arch.family == "unknown" and arch.model_type:
        lines.append(t("est_llama_style", lang).format(mt=arch.model_type))
    if arch.counted:
        lines.append(t("est_counted", lang).format(what="; ".join(arch.counted)))
    return lines


def _serve(
    target: Any,
    levels: list[Any],
    runtime: str,
    ctx: int | None,
    limit: float | None,
    ram: float | None,
    gpu_name: str | None,
    settings: tuple[float | None, int | None, str | None],
    as_json: bool,
    lang: Any,
) -> None:
    """vLLM / llama.cpp offload / Ollama: the runtime's own memory model, speed and command (llmzh.runtimes)."""
    from llmzh.errors import UsageError
    from llmzh.estimate import GGUF_LEVELS
    from llmzh.runtimes.gpus import find_gpu
    from llmzh.runtimes.report import runtime_row

    gpu = None
    if gpu_name is not None:
        gpu = find_gpu(gpu_name)
        if gpu is None:
            raise UsageError(f"unknown GPU {gpu_name!r}", hint="name it as sold, e.g. 4090, A100 80GB, M3 Max")
    else:
        from llmzh.hardware import detect

        best = detect().best_gpu
        gpu = find_gpu(best.name) if best is not None else None
    wanted = levels or [q for q in target.levels if (q in GGUF_LEVELS) == (runtime != "vllm")]
    if not wanted:
        raise UsageError(f"{target.name} has no level {runtime} runs", hint="name one with --quant")
    utilization, seqs, kv = settings
    rows = []
    for level in wanted:
        rows.append(
            runtime_row(
                target.arch,
                level,
                runtime,  # type: ignore[arg-type]
                repos=target.repos,
                vram_bytes=int(limit * 2**30) if limit is not None else None,
                ram_bytes=int(ram * 2**30) if ram is not None else None,
                ctx=ctx,
                gpu_memory_utilization=utilization,
                max_num_seqs=seqs,
                kv_cache=kv,
                gpu=gpu,
            )
        )
    if as_json:
        print_json(rows)
        return
    for row in rows:
        sys.stdout.write(_serve_table(target.name, row, lang))


def _serve_table(name: str, row: dict[str, Any], lang: Any) -> str:
    """One level under a serving runtime: its figures as a two-column table, then its commands to copy."""
    from llmzh.i18n import t
    from llmzh.table import Column, render, terminal_width, use_colour

    lines: list[tuple[str, str]] = []
    for key, value in row.items():
        if key in ("quant", "runtime", "ctx", "commands", "speed") or (key == "state_bytes_per_sequence" and not value):
            continue
        if key.endswith("_bytes"):
            shown = _gb(value)
        elif key == "fits":
            shown = "✔" if value else "✘"
        elif isinstance(value, int):
            shown = f"{value:,}"
        else:
            shown = str(value)
        lines.append((t(f"rt_{key}", lang), shown))
    if "speed" in row:
        speed = row["speed"]
        prefill = t("rt_prefill", lang).format(tps=f"{speed['prefill_tps']:,}") if speed["prefill_tps"] else ""
        value = t("rt_speed_value", lang).format(decode=speed["decode_tps"], prefill=prefill)
        lines.append((t("rt_speed", lang).format(gpu=speed["gpu"]), value))
    title = t("rt_title", lang).format(name=name, quant=row["quant"], runtime=row["runtime"], ctx=row["ctx"])
    table = render(
        [Column(""), Column("", "right")], lines, width=terminal_width(), colour=use_colour(sys.stdout), title=title
    )
    commands = "".join(f"  {runtime}: {command}\n" for runtime, command in row["commands"].items())
    return table + (f"{t('rt_commands', lang)}\n{commands}" if commands else "")


def _warn_context(target: Any, ctx: int, lang: Any) -> None:
    """Above the native context the estimate still holds for the memory, but the model needs its extension method:
    say so on stderr. Above the longest context the model supports at all, refuse."""
    from llmzh.errors import UsageError
    from llmzh.i18n import t

    longest = target.max_context
    if longest is not None and ctx > longest.value:
        raise UsageError(
            f"--ctx {ctx} is beyond the longest context {target.name} supports ({int(longest.value)} tokens)",
            hint=f"use --ctx {int(longest.value)} or less",
        )
    native = target.native_ctx
    if native is None or ctx <= native:
        return
    how = ""
    if longest is not None and longest.condition is not None:
        how = t("ctx_with_method", lang).format(method=longest.condition.get(lang))
    warn(t("ctx_above_native", lang).format(model=target.name, native=native, ctx=ctx, how=how))


def _target(
    name: str,
    catalog: list[str] | None,
    endpoint: str | None,
    mirror: str | None,
    token: str | None,
    timeout: float,
    offline: bool,
    source: str | None = None,
) -> Any:
    """A catalog model (its config facts), or else a Hub repo (its config.json, fetched through the hub module)."""
    from llmzh.catalog import entries_of, load_catalog, lookup
    from llmzh.errors import LlmzhError, UsageError
    from llmzh.fit import catalog_target, hub_target, model_arch

    cat = load_catalog(added=catalog)
    found = lookup(cat, name)
    match = found.match
    if match is None:
        from llmzh.source import fetch_config as source_config

        wanted = found.name.repo or name
        # A pasted ModelScope page means ModelScope, unless --source says otherwise.
        wanted_source = source or ("modelscope" if found.name.source == "modelscope" else None)
        settings = hub_settings(endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline)
        return hub_target(wanted, source_config(wanted, choose_source(wanted_source, settings, token=token).settings))
    if match.model is None:
        models = match.project.models
        if len(models) > 1:
            listed = ", ".join(m.id for m in models)
            raise UsageError(f"{match.project.id} has {len(models)} models; estimate one of them: {listed}")
        match = match._replace(kind="model", model=models[0])
    entries = entries_of(cat, match)
    arch = model_arch(entries[0])
    if arch is None:
        repo = next((e.variant.repo for e in entries if e.variant.repo), None)
        if repo is None:
            raise LlmzhError(f"the catalog has no architecture facts for {match.id}, and no Hub repo to read them from")
        from llmzh.hub import fetch_config

        settings = hub_settings(endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline)
        return hub_target(repo, fetch_config(repo, settings))._replace(name=match.id)
    return catalog_target(entries, match.id, arch)


def inference_table(
    target: Any,
    levels: list[Any],
    ctx: int,
    prompt: int | None,
    batch: int,
    runtime: RuntimeChoice | None,
    kv_cache: str,
    limit: float | None,
    as_json: bool,
    lang: Any,
    *,
    in_ram: bool = False,
) -> None:
    """Estimate each level and print the table (or JSON rows); with `limit`, a column says whether each fits."""
    from llmzh.errors import LlmzhError
    from llmzh.estimate import count_params, estimate_inference

    params = count_params(target.arch)

    rows: list[dict[str, Any]] = []
    for level in levels:
        try:
            est = estimate_inference(
                target.arch,
                level,
                ctx=ctx,
                prompt=prompt,
                batch=batch,
                runtime=runtime.value if runtime else None,  # type: ignore[arg-type]  # vllm/ollama go to _serve
                kv_cache=kv_cache,
            )
        except LlmzhError as error:
            rows.append({"quant": level.value, "error": error.message + (f" ({error.hint})" if error.hint else "")})
            continue
        published = target.published.get(level)
        total_gb = est.total_bytes / 2**30
        rows.append(
            {
                "quant": level.value,
                "ctx": est.ctx,
                "prompt": est.prompt,
                "batch": est.batch,
                "runtime": est.runtime,
                "kv_cache": est.kv_cache,
                "weights_bytes": est.weights_bytes,
                "kv_cache_bytes": est.kv_cache_bytes,
                "state_bytes": est.state_bytes,
                "activation_bytes": est.activation_bytes,
                "overhead_bytes": est.overhead_bytes,
                "total_bytes": est.total_bytes,
                "allocated_bytes": est.allocated_bytes,
                "params": params.total,
                "active_params": params.active,
                "weights_include": list(target.arch.counted),
                "total_gb": round(total_gb, 2),
                "estimated": True,
                "published_gb": round(published.gib, 2) if published is not None else None,
                "published_ctx": published.ctx if published is not None else None,
                "fits": (total_gb <= limit) if limit is not None else None,
            }
        )
    if as_json:
        print_json(rows)
        return
    from llmzh.i18n import t
    from llmzh.render import num
    from llmzh.table import Column, render, terminal_width, use_colour

    # Which parts go first on a narrow terminal: the level, the total and the verdict always stay.
    keys = {
        "quant": 0,
        "runtime": 3,
        "est_weights": 2,
        "est_kv": 4,
        "est_act": 5,
        "est_overhead": 5,
        "est_total": 0,
        "est_published": 1,
    }
    columns = [
        Column(t(k, lang), "left" if k in ("quant", "runtime") else "right", priority=p) for k, p in keys.items()
    ]
    if limit is not None:
        columns.append(Column(t("est_fits_ram" if in_ram else "est_fits", lang).format(gb=num(round(limit, 1)))))
    cells: list[list[str]] = []
    failed: list[str] = []
    for row in rows:
        if "error" in row:
            failed.append(f"{row['quant']}: {tr(row['error'])}")
            continue
        published = "—"
        if row["published_gb"] is not None:
            published = f"{num(row['published_gb'])} GB" + (f" @{row['published_ctx']}" if row["published_ctx"] else "")
        line = [
            row["quant"],
            row["runtime"],
            _gb(row["weights_bytes"]),
            _gb(row["kv_cache_bytes"] + row["state_bytes"]),  # a hybrid model's fixed state sits with its cache
            _gb(row["activation_bytes"]),
            _gb(row["overhead_bytes"]),
            "≈" + _gb(row["total_bytes"]),
            published,
        ]
        if limit is not None:
            line.append(("✔ " if row["fits"] else "✘ ") + f"{limit - row['total_gb']:+.1f} GB")
        cells.append(line)
    first = next((r for r in rows if "error" not in r), None)
    title = t("est_title", lang).format(
        name=target.name,
        ctx=ctx,
        prompt=first["prompt"] if first else (prompt if prompt is not None else ctx),
        batch=batch,
    )
    sys.stdout.write(render(columns, cells, width=terminal_width(), colour=use_colour(sys.stdout), title=title))
    sys.stdout.write("".join(f"  ✘ {line}\n" for line in failed))


def _finetune(
    target: Any, method: str, levels: list[Any], seq: int, batch: int, limit: float | None, as_json: bool, lang: Any
) -> None:
    from llmzh.estimate import estimate_finetune

    base = levels[0] if levels else None
    est = estimate_finetune(target.arch, method, seq=seq, batch=batch, base_quant=base)  # type: ignore[arg-type]
    row = {
        "method": est.method,
        "seq": est.seq,
        "batch": est.batch,
        "base_quant": est.base_quant.value,
        "trainable_params": est.trainable_params,
        "weights_bytes": est.weights_bytes,
        "adapter_bytes": est.adapter_bytes,
        "grads_optimizer_bytes": est.grads_optimizer_bytes,
        "activation_bytes": est.activation_bytes,
        "activation_checkpointed_bytes": est.activation_checkpointed_bytes,
        "overhead_bytes": est.overhead_bytes,
        "optimizer_step_bytes": est.step_bytes,
        "total_bytes": est.total,
        "total_checkpointed_bytes": est.total_checkpointed,
        "rough": True,
        "fits": (est.total / 2**30 <= limit) if limit is not None else None,
        "fits_checkpointed": (est.total_checkpointed / 2**30 <= limit) if limit is not None else None,
    }
    if as_json:
        print_json(row)
        return
    from llmzh.i18n import t
    from llmzh.table import Column, render, terminal_width, use_colour

    lines = [
        (t("ft_trainable", lang), f"{est.trainable_params / 1e6:,.1f} M"),
        (t("est_weights", lang), _gb(est.weights_bytes)),
        (t("ft_adapter", lang), _gb(est.adapter_bytes)),
        (t("ft_grads", lang), _gb(est.grads_optimizer_bytes)),
        (t("est_act", lang), _gb(est.activation_bytes)),
        (t("ft_act_ckpt", lang), _gb(est.activation_checkpointed_bytes)),
        (t("ft_step", lang), _gb(max(est.step_bytes, 0))),
        (t("est_overhead", lang), _gb(est.overhead_bytes)),
        (t("ft_total", lang), "≈" + _gb(est.total)),
        (t("ft_total_ckpt", lang), "≈" + _gb(est.total_checkpointed)),
    ]
    if limit is not None:
        verdict = (
            "✔" if est.total / 2**30 <= limit else ("✔ (ckpt)" if est.total_checkpointed / 2**30 <= limit else "✘")
        )
        lines.append((t("est_fits", lang).format(gb=f"{limit:.1f}"), verdict))
    title = t("ft_title", lang).format(
        name=target.name, method=method, quant=est.base_quant.value, seq=seq, batch=batch
    )
    table = render(
        [Column(""), Column("", "right")], lines, width=terminal_width(), colour=use_colour(sys.stdout), title=title
    )
    sys.stdout.write(table)

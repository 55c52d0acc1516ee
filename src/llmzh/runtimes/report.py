"""One level of one model under a runtime, as the fields `llmzh estimate --runtime` prints and returns as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from llmzh.estimate import GGUF_LEVELS, Arch
from llmzh.runtimes import RuntimeSettingError, commands, llamacpp, ollama, speed, vllm
from llmzh.runtimes.gpus import GpuSpec
from llmzh.schema import Entry, Quant

GiB = 1 << 30
ServeRuntime = Literal["vllm", "llama.cpp", "ollama"]


def repo_for(repos: Sequence[tuple[Quant, str]], quant: Quant) -> str | None:
    """The repo of this level, else (for levels vLLM or transformers quantize at load) the first non-GGUF repo."""
    exact = next((r for q, r in repos if q is quant), None)
    if exact is not None or quant in GGUF_LEVELS:
        return exact
    return next((r for q, r in repos if q not in GGUF_LEVELS), None)


def _speed(decode: float, prefill: float | None) -> dict[str, Any]:
    return {"decode_tps": round(decode, 1), "prefill_tps": round(prefill) if prefill else None, "estimated": True}


def vllm_row(
    arch: Arch,
    quant: Quant,
    *,
    repo: str | None,
    vram_bytes: int,
    ctx: int,
    gpu_memory_utilization: float | None,
    max_num_seqs: int | None,
    kv_cache: Literal["auto", "fp8"],
    gpu: GpuSpec | None,
) -> dict[str, Any]:
    p = vllm.plan(
        arch,
        quant,
        total_bytes=vram_bytes,
        ctx=ctx,
        gpu_memory_utilization=gpu_memory_utilization,
        max_num_seqs=max_num_seqs,
        kv_cache_dtype=kv_cache,
        gpu_name=gpu.name if gpu else "",
    )
    row: dict[str, Any] = {
        "quant": quant.value,
        "runtime": "vllm",
        "ctx": ctx,
        "gpu_memory_utilization": p.gpu_memory_utilization,
        "kv_cache_dtype": p.kv_cache_dtype,
        "weights_bytes": p.weights_bytes,
        "activation_bytes": p.activation_bytes,
        "non_torch_bytes": p.non_torch_bytes,
        "cuda_graph_bytes": p.cuda_graph_bytes,
        "kv_pool_bytes": p.kv_pool_bytes,
        "kv_cache_tokens": p.kv_cache_tokens,
        "state_bytes_per_sequence": p.state_bytes_per_sequence,
        "max_concurrency": round(p.max_concurrency, 2),
        "max_model_len": p.max_model_len,
        "max_num_seqs": p.max_num_seqs,
        "fits": p.fits,
    }
    if gpu is not None:
        read = speed.bytes_per_token(arch, quant, context=ctx, kv_elem_bytes=1 if kv_cache == "fp8" else 2)
        tps = speed.decode_tps(gpu_bytes=read, bandwidth_gbs=gpu.bandwidth_gbs, layers=arch.layers)
        row["speed"] = _speed(tps, speed.prefill_tps(arch, gpu.fp16_tflops)) | {"gpu": gpu.name}
    cmds = {}
    if repo and p.max_model_len > 0:
        cmds["vllm"] = commands.vllm_serve(
            repo,
            quant,
            max_model_len=min(ctx, p.max_model_len),
            gpu_memory_utilization=p.gpu_memory_utilization,
            kv_cache_dtype=kv_cache,
            max_num_seqs=max_num_seqs,
            trust_remote_code=arch.remote_code,
        )
    row["commands"] = cmds
    return row


def gguf_row(
    arch: Arch,
    quant: Quant,
    *,
    runtime: Literal["llama.cpp", "ollama"],
    repo: str | None,
    vram_bytes: int | None,
    ram_bytes: int | None,
    ctx: int | None,
    kv_cache: llamacpp.KvType,
    gpu: GpuSpec | None,
) -> dict[str, Any]:
    """llama.cpp / Ollama: ``ctx`` None means Ollama's default context for the card."""
    default_ctx = ollama.default_ctx(vram_bytes)
    n = ctx if ctx is not None else default_ctx
    p = llamacpp.plan(arch, quant, ctx=n, vram_bytes=vram_bytes, ram_bytes=ram_bytes, kv_type=kv_cache)
    row: dict[str, Any] = {
        "quant": quant.value,
        "runtime": runtime,
        "ctx": n,
        "kv_cache_type": kv_cache,
        "gpu_layers": p.gpu_layers,
        "total_layers": p.total_layers,
        "gpu_bytes": p.gpu_bytes,
        "gpu_model_bytes": p.gpu_model_bytes,
        "gpu_kv_bytes": p.gpu_kv_bytes,
        "gpu_compute_bytes": p.gpu_compute_bytes,
        "ram_bytes": p.ram_bytes,
        "fits": p.fits,
    }
    if runtime == "ollama":
        row["ollama_default_ctx"] = default_ctx
    if gpu is not None:
        on_gpu = min(p.gpu_layers, arch.layers)
        parts = llamacpp.parts(arch, quant)
        kv_layer = (p.gpu_kv_bytes + p.cpu_kv_bytes) // arch.layers
        gpu_read = on_gpu * (parts.layer + kv_layer) + (parts.output if p.gpu_layers > arch.layers else 0)
        ram_read = (arch.layers - on_gpu) * (parts.layer + kv_layer) + (
            0 if p.gpu_layers > arch.layers else parts.output
        )
        tps = speed.decode_tps(
            gpu_bytes=gpu_read, bandwidth_gbs=gpu.bandwidth_gbs, layers=arch.layers, ram_bytes=ram_read
        )
        row["speed"] = _speed(tps, speed.prefill_tps(arch, gpu.fp16_tflops)) | {"gpu": gpu.name}
    cmds = {}
    if repo:
        cmds["llama.cpp"] = commands.llama_server(repo, quant, ctx=n, gpu_layers=p.gpu_layers, kv_type=kv_cache)
        override = ollama.context_override(arch, quant, ctx=n, vram_bytes=vram_bytes, kv_type=kv_cache)
        cmds["ollama"] = commands.ollama_run(
            ollama.hf_tag(repo, quant.value), context_length=override, kv_type=kv_cache
        )
    row["commands"] = cmds
    return row


def runtime_row(
    arch: Arch,
    quant: Quant,
    runtime: ServeRuntime,
    *,
    repos: Sequence[tuple[Quant, str]],
    vram_bytes: int | None,
    ram_bytes: int | None,
    ctx: int | None,
    gpu_memory_utilization: float | None,
    max_num_seqs: int | None,
    kv_cache: str | None,
    gpu: GpuSpec | None,
) -> dict[str, Any]:
    """The row of one level under ``runtime`` (vllm needs ``vram_bytes``: its pool is a share of the card).

    ``ctx`` None means the runtime's own default: vLLM's max_model_len is the config's max_position_embeddings
    (start-up fails when the pool cannot hold one such sequence), Ollama's is its default for the card, and
    llama-server's is taken as 2048 by the caller."""
    repo = repo_for(repos, quant)
    if runtime == "vllm":
        if vram_bytes is None:
            raise RuntimeSettingError("vLLM sizes its KV cache from the card", hint="add --vram GB (or --vram auto)")
        if kv_cache not in (None, "auto", "fp16", "bf16", "fp8"):
            raise RuntimeSettingError(f"vLLM has no {kv_cache} KV cache", hint="use --kv-cache fp8")
        return vllm_row(
            arch,
            quant,
            repo=repo,
            vram_bytes=vram_bytes,
            ctx=ctx or arch.max_positions or 2048,  # vLLM's own default max_model_len: the config's
            gpu_memory_utilization=gpu_memory_utilization,
            max_num_seqs=max_num_seqs,
            kv_cache="fp8" if kv_cache == "fp8" else "auto",
            gpu=gpu,
        )
    kv = {"fp16": "f16", "bf16": "f16", None: "f16"}.get(kv_cache, kv_cache)
    if kv not in llamacpp.KV_TYPE_BYTES:
        raise RuntimeSettingError(f"llama.cpp has no {kv_cache} KV cache", hint="use --kv-cache q8_0 or q4_0")
    return gguf_row(
        arch,
        quant,
        runtime=runtime,
        repo=repo,
        vram_bytes=vram_bytes,
        ram_bytes=ram_bytes,
        ctx=ctx,
        kv_cache=kv,  # type: ignore[arg-type]
        gpu=gpu,
    )


def commands_for(
    arch: Arch | None,
    quant: Quant,
    repo: str | None,
    *,
    vram_bytes: int | None,
    ctx: int,
    ollama_tag: str | None = None,
) -> dict[str, str]:
    """The commands that run one catalog variant, keyed by runtime, with the numbers that fit ``vram_bytes`` (when
    known) at up to ``ctx`` tokens: GGUF levels under llama.cpp and Ollama, others under vLLM (when it loads the
    level; ``--max-model-len`` shortened to what the pool and the model hold) and transformers. Ollama runs the
    variant's official library tag (``ollama_tag``) where the catalog records one, else ``hf.co/REPO:QUANT``.
    Empty without a repo to name."""
    if repo is None:
        return {}
    if quant in GGUF_LEVELS:
        if arch is None:
            return {}
        p = llamacpp.plan(arch, quant, ctx=ctx, vram_bytes=vram_bytes)
        return {
            "llama.cpp": commands.llama_server(repo, quant, ctx=ctx, gpu_layers=p.gpu_layers),
            "ollama": commands.ollama_run(
                ollama_tag or ollama.hf_tag(repo, quant.value),
                context_length=ollama.context_override(arch, quant, ctx=ctx, vram_bytes=vram_bytes),
            ),
        }
    found: dict[str, str] = {}
    if arch is not None and vllm.serves(quant):
        length = ctx
        if vram_bytes is not None:
            length = vllm.plan(arch, quant, total_bytes=vram_bytes, ctx=ctx).max_model_len  # 0: not even one block
        if length:
            found["vllm"] = commands.vllm_serve(
                repo,
                quant,
                max_model_len=min(ctx, length),
                gpu_memory_utilization=vllm.GPU_MEMORY_UTILIZATION[vllm.CURRENT],
                trust_remote_code=arch.remote_code,
            )
    if quant not in (Quant.INT8, Quant.INT4, Quant.INT4_QE):
        remote = arch.remote_code if arch is not None else False
        found["transformers"] = commands.transformers_code(repo, quant, trust_remote_code=remote)
    return found


def runtime_need_bytes(arch: Arch, quant: Quant, runtime: ServeRuntime, *, ctx: int, vram_bytes: int) -> int | None:
    """GPU memory a runtime needs to serve one ``ctx``-token sequence of this level (None: it cannot run it).

    vLLM: the smallest card on which ``vllm serve --max-model-len ctx`` starts at the default utilization: (weights
    + non-torch + activation peak + CUDA graphs + one sequence's KV and state) / 0.92, with the batch defaults of a
    card of ``vram_bytes``. llama.cpp / Ollama: every GGUF buffer on the GPU (``-ngl`` all layers) + CUDA context.
    """
    if runtime == "vllm":
        if not vllm.serves(quant):
            return None
        p = vllm.plan(arch, quant, total_bytes=vram_bytes, ctx=ctx)
        fixed = p.weights_bytes + p.non_torch_bytes + p.activation_bytes + p.cuda_graph_bytes
        one = ctx * p.kv_bytes_per_token + p.state_bytes_per_sequence
        return int((fixed + one) / p.gpu_memory_utilization)
    if quant not in GGUF_LEVELS:
        return None
    return llamacpp.buffers(arch, quant, ctx=ctx, gpu_layers=arch.layers + 1).gpu_bytes


def entry_commands(entry: Entry, *, vram_gb: float | None, ctx: int) -> dict[str, str]:
    """`commands_for` one catalog entry, sized for a card of ``vram_gb`` GiB (None: not known)."""
    from llmzh.fit import model_arch

    variant = entry.variant
    return commands_for(
        model_arch(entry),
        variant.quant,
        variant.repo,
        vram_bytes=int(vram_gb * 2**30) if vram_gb is not None else None,
        ctx=ctx,
        ollama_tag=variant.ollama.tag if variant.ollama else None,
    )

"""How far llmzh.runtimes' vLLM and llama.cpp models are from what the runtimes logged at start-up.

    python bench/runtime_accuracy.py

Records: bench/data/runtime-logs.yaml (each with its thread's URL and log lines). vLLM, the pool: the KV-cache tokens
it holds ("GPU KV cache size"), predicted from the card's total memory, the utilization and the estimator's weights
(target: within 15 %). vLLM, the layout of one token, where the log gives no pool to predict (CPU offload, a
connector): the KV cache one ``max_model_len`` sequence needs ("N GiB KV cache is needed"), or the tokens a logged
pool holds. llama.cpp: every buffer the log prints (model, KV, recurrent state, compute), predicted for the same
-c, -ngl and cache type, and their total (target: within 10 %); ``model_total`` is the file size the log prints.
A record names its model by catalog id (``model``), inline config.json keys (``config``) or a config fixture
(``config_file``, relative to the repository).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from llmzh.catalog import entries_of, find, load_catalog
from llmzh.estimate import Arch, arch_from_config, state_bytes_per_sequence
from llmzh.fit import model_arch
from llmzh.runtimes import llamacpp, vllm
from llmzh.schema import Quant

ROOT = Path(__file__).parent.parent
DATA = ROOT / "bench" / "data" / "runtime-logs.yaml"
GiB = 1 << 30
MiB = 1 << 20


def _arch(record: dict[str, Any], cat: Any) -> Arch:
    if "config" in record:
        return arch_from_config(record["config"])
    if "config_file" in record:
        return arch_from_config(json.loads((ROOT / record["config_file"]).read_text(encoding="utf-8")))
    arch = model_arch(entries_of(cat, find(cat, record["model"]))[0])
    assert arch is not None, record["model"]
    return arch


def _summary(errors: list[float]) -> None:
    mean = sum(map(abs, errors)) / len(errors)
    print(f"  records {len(errors)}, mean |error| {mean:.1%}, worst {max(errors, key=abs):+.1%}")


def main() -> int:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    cat = load_catalog(None)
    print("vLLM: KV-cache pool (tokens where the log prints them, else GiB); layout of one token")
    errors: list[float] = []
    layout: list[float] = []
    for r in data["vllm"]:
        arch = _arch(r, cat)
        p = vllm.plan(
            arch,
            Quant(r["quant"]),
            total_bytes=int(r["total_gib"] * GiB),
            ctx=r["max_model_len"],
            gpu_memory_utilization=r["gpu_memory_utilization"],
            max_num_batched_tokens=r.get("max_num_batched_tokens"),
            max_num_seqs=r.get("max_num_seqs"),
            version=r["version"],
            tensor_parallel_size=r.get("tensor_parallel_size", 1),
        )
        name = r.get("model") or r["model_name"]
        pool = p.kv_pool_bytes / GiB
        if r.get("kv_needed_gib"):
            needed = p.kv_bytes_per_token * r["max_model_len"] / GiB
            error = needed / r["kv_needed_gib"] - 1
            shown = f"KV of one sequence {r['kv_needed_gib']:.2f} GiB ≈{needed:.2f} GiB  {error:+6.1%}"
            layout.append(error)
        elif r.get("logged_pool_gib"):
            block = p.kv_bytes_per_token * vllm.BLOCK_SIZE
            held = int(r["logged_pool_gib"] * GiB) // block * vllm.BLOCK_SIZE
            error = held / r["kv_cache_tokens"] - 1
            shown = f"tokens in the logged pool {r['kv_cache_tokens']:>9,} ≈{held:>9,}  {error:+6.1%}"
            layout.append(error)
        elif r.get("kv_cache_tokens"):
            error = p.kv_cache_tokens / r["kv_cache_tokens"] - 1
            shown = f"tokens {r['kv_cache_tokens']:>9,} ≈{p.kv_cache_tokens:>9,}  {error:+6.1%}"
            errors.append(error)
        elif r["kv_pool_gib"] > 0:
            error = pool / r["kv_pool_gib"] - 1
            shown = f"pool {r['kv_pool_gib']:>7.2f} GiB ≈{pool:>7.2f} GiB  {error:+6.1%}"
            errors.append(error)
        else:
            agree = "refused as logged" if not p.fits else "predicted to start, but vLLM refused"
            print(f"  {name:<34} pool {r['kv_pool_gib']:.2f} GiB ≈{pool:.2f} GiB: {agree}  {r['url']}")
            continue
        print(f"  {name:<34} {shown}  {r['url']}")
    print(f"  pool ({len(errors)} records + the refused start-ups):")
    _summary(errors)
    print("  layout of one token:")
    _summary(layout)
    print("llama.cpp: buffers (MiB)")
    totals = []
    for r in data["llama.cpp"]:
        arch = _arch(r, cat)
        quant = Quant(r.get("quant", "q4_k_m"))
        b = llamacpp.buffers(arch, quant, ctx=r["n_ctx"], gpu_layers=r["gpu_layers"], kv_type=r.get("kv_type", "f16"))
        # llmzh counts a hybrid model's recurrent state with its KV cache; llama.cpp logs it apart ("RS buffer")
        on_gpu = min(b.gpu_layers, arch.layers) / arch.layers
        gpu_rs = state_bytes_per_sequence(arch, runtime="llama.cpp") * on_gpu
        predicted = {
            "gpu_model": b.gpu_model_bytes / MiB,
            "cpu_model": b.cpu_model_bytes / MiB,
            "model_total": (b.gpu_model_bytes + b.cpu_model_bytes) / MiB,
            "gpu_kv": (b.gpu_kv_bytes - gpu_rs) / MiB,
            "gpu_rs": gpu_rs / MiB,
            "cpu_kv": b.cpu_kv_bytes / MiB,
            "gpu_compute": b.gpu_compute_bytes / MiB,
        }
        logged = r["buffers_mib"]
        parts = "  ".join(f"{k} {v:.0f}≈{predicted[k]:.0f}" for k, v in logged.items())
        total_error = sum(predicted[k] for k in logged) / sum(logged.values()) - 1
        totals.append(total_error)
        name = r.get("model") or r["model_name"]
        print(f"  {name:<34} {parts}  total {total_error:+6.1%}  {r['url']}")
    _summary(totals)
    return 0


if __name__ == "__main__":
    sys.exit(main())

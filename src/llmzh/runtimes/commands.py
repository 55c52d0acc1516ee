"""The command line that runs a variant under each runtime, with the numbers that fit, and the flags it may use.

``DOCUMENTED_FLAGS`` lists, per runtime, the flags these commands use as each runtime's own CLI documentation
spells them; tests parse every generated command against it.
"""

from __future__ import annotations

import shlex

from llmzh.schema import Quant

DOCUMENTED_FLAGS: dict[str, tuple[str, frozenset[str]]] = {
    "vllm": (
        "https://docs.vllm.ai/en/stable/cli/serve/",
        frozenset(
            {
                "--max-model-len",
                "--gpu-memory-utilization",
                "--quantization",
                "--kv-cache-dtype",
                "--max-num-seqs",
                "--trust-remote-code",
            }
        ),
    ),
    "llama-server": (
        "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md",
        frozenset({"-hf", "-c", "-ngl", "-ctk", "-ctv", "-fa"}),
    ),
    "ollama": ("https://github.com/ollama/ollama/blob/main/docs/cli.md", frozenset()),
}

# Environment variables ``ollama serve`` reads, as its docs name them: the default context (docs/context-length.mdx)
# and the KV-cache type, which needs flash attention (docs/faq.md, "How can I set the quantization type for the K/V
# cache?").
DOCUMENTED_ENV: dict[str, tuple[str, frozenset[str]]] = {
    "ollama": (
        "https://github.com/ollama/ollama/blob/main/docs/faq.md",
        frozenset({"OLLAMA_CONTEXT_LENGTH", "OLLAMA_KV_CACHE_TYPE", "OLLAMA_FLASH_ATTENTION"}),
    ),
}

_VLLM_QUANTIZATION = {Quant.FP8: "fp8", Quant.BNB_NF4: "bitsandbytes", Quant.BNB_INT8: "bitsandbytes"}


def vllm_serve(
    repo: str,
    quant: Quant,
    *,
    max_model_len: int,
    gpu_memory_utilization: float,
    kv_cache_dtype: str = "auto",
    max_num_seqs: int | None = None,
    trust_remote_code: bool = False,
) -> str:
    """``vllm serve REPO --max-model-len N --gpu-memory-utilization U`` plus the flags the level needs (GPTQ and
    AWQ checkpoints declare their method in config.json; FP8 and bitsandbytes are quantized at load)."""
    args = ["vllm", "serve", repo, "--max-model-len", str(max_model_len)]
    args += ["--gpu-memory-utilization", f"{gpu_memory_utilization:g}"]
    if quant in _VLLM_QUANTIZATION:
        args += ["--quantization", _VLLM_QUANTIZATION[quant]]
    if kv_cache_dtype != "auto":
        args += ["--kv-cache-dtype", kv_cache_dtype]
    if max_num_seqs is not None:
        args += ["--max-num-seqs", str(max_num_seqs)]
    if trust_remote_code:
        args.append("--trust-remote-code")
    return shlex.join(args)


def llama_server(repo: str, quant: Quant, *, ctx: int, gpu_layers: int, kv_type: str = "f16") -> str:
    """``llama-server -hf REPO:QUANT -c N -ngl L`` (and a quantized KV cache with flash attention)."""
    args = ["llama-server", "-hf", f"{repo}:{quant.value.upper()}", "-c", str(ctx), "-ngl", str(gpu_layers)]
    if kv_type != "f16":
        args += ["-fa", "on", "-ctk", kv_type, "-ctv", kv_type]
    return shlex.join(args)


def ollama_run(tag: str, *, context_length: int | None = None, kv_type: str = "f16") -> str:
    """``ollama run TAG``, after ``OLLAMA_CONTEXT_LENGTH=N ollama serve`` when Ollama's default context must be
    overridden (``llmzh.runtimes.ollama.context_override``), and with ``OLLAMA_FLASH_ATTENTION=1
    OLLAMA_KV_CACHE_TYPE=q8_0`` for a quantized KV cache (a server setting, not a ``run`` flag)."""
    run = shlex.join(["ollama", "run", tag])
    env = []
    if kv_type != "f16":
        env += ["OLLAMA_FLASH_ATTENTION=1", f"OLLAMA_KV_CACHE_TYPE={kv_type}"]
    if context_length is not None:
        env.append(f"OLLAMA_CONTEXT_LENGTH={context_length}")
    return f"{' '.join(env)} ollama serve & {run}" if env else run


def transformers_code(repo: str, quant: Quant, *, trust_remote_code: bool = False) -> str:
    """Python that loads the variant with transformers (bitsandbytes levels quantize at load; families that ship
    their own modelling file need ``trust_remote_code=True``)."""
    lines = ["from transformers import AutoModelForCausalLM, AutoTokenizer", ""]
    kwargs = 'device_map="auto", torch_dtype="auto"'
    if quant in (Quant.BNB_NF4, Quant.BNB_INT8):
        lines.insert(0, "from transformers import BitsAndBytesConfig")
        config = "load_in_4bit=True" if quant is Quant.BNB_NF4 else "load_in_8bit=True"
        kwargs += f", quantization_config=BitsAndBytesConfig({config})"
    remote = ", trust_remote_code=True" if trust_remote_code else ""
    lines += [
        f'tokenizer = AutoTokenizer.from_pretrained("{repo}"{remote})',
        f'model = AutoModelForCausalLM.from_pretrained("{repo}", {kwargs}{remote})',
    ]
    return "\n".join(lines)

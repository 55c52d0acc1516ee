"""Ollama: the defaults it runs llama.cpp with, and its library tags.

* Default context length (``num_ctx``): 2048 tokens up to v0.6.6 (docs/faq.md: "By default, Ollama uses a context
  window size of 2048 tokens", ollama/ollama PR #9545); 4096 from v0.6.7 (release notes of v0.6.7; PR #11189
  updates docs/modelfile.md "as in the commit 44b466e"); from v0.15.5 (2026-02-03) chosen from VRAM: 4k below
  24 GiB, 32k from 24 to 48 GiB, 256k from 48 GiB (docs/context-length.mdx at 948f693:
  https://github.com/ollama/ollama/blob/948f69330acf96a2310f1b53fdfc211731a386d8/docs/context-length.mdx).
  ``OLLAMA_CONTEXT_LENGTH=N ollama serve`` changes it for every model (same page, "CLI").
* KV cache type: ``OLLAMA_KV_CACHE_TYPE`` = f16 (default), q8_0 or q4_0; the quantized types need
  ``OLLAMA_FLASH_ATTENTION=1`` (docs/faq.md, "How can I set the quantization type for the K/V cache?").
* Any GGUF repository on the Hugging Face Hub runs as ``ollama run hf.co/{repo}:{QUANT}``, Q4_K_M when no level
  is named (https://huggingface.co/docs/hub/ollama, as of
  https://github.com/huggingface/hub-docs/blob/481c63a680580a5c69e2375ffdea31b3533d1557/docs/hub/ollama.md).
  A catalog variant with an official library tag (``Variant.ollama``) runs as ``ollama run {tag}`` instead; the
  tags found with their sources are in bench/data/ollama-tags.yaml.
"""

from __future__ import annotations

from typing import Literal

from llmzh.estimate import Arch
from llmzh.runtimes import llamacpp
from llmzh.schema import Quant

GiB = 1 << 30

OllamaVersion = Literal["<0.6.7", "0.6.7-0.15.4", "0.15.5+"]
CURRENT: OllamaVersion = "0.15.5+"


def default_ctx(vram_bytes: int | None, version: OllamaVersion = CURRENT) -> int:
    """The context Ollama gives a model when neither the Modelfile nor OLLAMA_CONTEXT_LENGTH sets one."""
    if version == "<0.6.7":
        return 2048
    if version == "0.6.7-0.15.4" or vram_bytes is None or vram_bytes < 24 * GiB:
        return 4096
    return 32768 if vram_bytes < 48 * GiB else 262144


def context_override(
    arch: Arch, quant: Quant, *, ctx: int, vram_bytes: int | None, kv_type: llamacpp.KvType = "f16"
) -> int | None:
    """The OLLAMA_CONTEXT_LENGTH to set, or None to keep Ollama's default: ``ctx`` when the default is too small
    for it, or when the default is larger and its KV cache would push layers off the GPU. ``kv_type``: the
    OLLAMA_KV_CACHE_TYPE the command sets (a q8_0 / q4_0 cache lets the default context stay on the card)."""
    default = default_ctx(vram_bytes)
    if ctx > default:
        return ctx
    if ctx < default and vram_bytes is not None:
        at_default = llamacpp.plan(arch, quant, ctx=default, vram_bytes=vram_bytes, kv_type=kv_type).gpu_layers
        if at_default < llamacpp.plan(arch, quant, ctx=ctx, vram_bytes=vram_bytes, kv_type=kv_type).gpu_layers:
            return ctx
    return None


def hf_tag(repo: str, quant: str) -> str:
    """The Ollama name of a Hub GGUF repository at one quantization: ``hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M``."""
    return f"hf.co/{repo}:{quant.upper()}"

"""How each runtime (vLLM, llama.cpp, Ollama, transformers) allocates memory, how fast it runs, and its command.

One module per runtime, each citing the runtime's own source for its numbers: ``vllm`` (start-up accounting and
KV-cache pool), ``llamacpp`` (``-ngl`` partial offload and its buffers), ``ollama`` (defaults over llama.cpp),
``speed`` (decode and prefill tokens/s), ``gpus`` (bandwidth and FLOPS), ``commands`` (the command lines and the
documented flags they use). Pure arithmetic over ``llmzh.estimate``: no I/O, no printing.
"""

from llmzh.errors import LlmzhError


class RuntimeSettingError(LlmzhError):
    """A level a runtime cannot load, or settings it would refuse."""

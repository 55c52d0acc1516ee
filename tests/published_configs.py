"""Published config.json contents that several test files compute from by hand (the keys the estimator reads).

LLaMA-7B: https://huggingface.co/huggyllama/llama-7b config.json. ChatGLM-6B: THUDM/chatglm-6b config.json.
"""

from __future__ import annotations

LLAMA_7B = {
    "model_type": "llama",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_attention_heads": 32,
    "vocab_size": 32000,
}
CHATGLM_6B = {
    "model_type": "chatglm",
    "num_layers": 28,
    "hidden_size": 4096,
    "inner_hidden_size": 16384,
    "num_attention_heads": 32,
    "vocab_size": 130528,
    "max_sequence_length": 2048,
    "position_encoding_2d": True,
}

"""Fine-tuning memory pinned against hand-computed LLaMA-7B and ChatGLM-6B cases (written to kill mutants of
src/llmzh/estimate/finetune.py; bench/mutants.py). Every expected number is worked out below from the config and
the source named beside it, never read back from the code.

LLaMA-7B (https://huggingface.co/huggyllama/llama-7b config.json): 32 layers, hidden 4096, 32 heads (q and kv 4096),
gated MLP 11008, vocabulary 32000, untied. ChatGLM-6B (THUDM/chatglm-6b config.json): 28 layers, hidden 4096,
32 heads, GELU MLP 16384, vocabulary 130528.
"""

from __future__ import annotations

import pytest
from published_configs import CHATGLM_6B, LLAMA_7B

from llmzh.errors import LlmzhError
from llmzh.estimate import arch_from_config, estimate_finetune
from llmzh.schema import Quant

LLAMA = arch_from_config(LLAMA_7B)
GLM = arch_from_config(CHATGLM_6B)
# LLaMA-7B's block matrices: 32 x (4 x 4096 x 4096 + 3 x 4096 x 11008) = 32 x 202,375,168
BLOCK_LINEAR = 6_476_005_376
# what stays unquantized: embedding + LM head 2 x 32000 x 4096 = 262,144,000, and 65 RMSNorms of 4096 = 266,240
UNQUANTIZED = 262_410_240


# ---------------------------------------------------------------- activations saved per token and block


def test_a_gated_block_saves_76800_values_per_token() -> None:
    """Korthikanti et al. 2022 sec. 4.1 adapted to RMSNorm and SwiGLU: norm inputs and outputs 4 x 4096, q/k/v and
    the attention output 2 x 4096 + 2 x 4096, the gated MLP's inputs 4 x 11008: 76,800 bf16 values = 153,600 bytes
    per token and block. Without checkpointing every block keeps them; the loss adds 12 bytes per logit."""
    est = estimate_finetune(LLAMA, "lora", seq=100)
    loss = 100 * 32000 * 12  # 38,400,000
    assert est.activation_bytes == 32 * 153_600 * 100 + loss  # 529,920,000
    # checkpointed: each block's bf16 input (32 x 4096 x 100 x 2), one block's full set while recomputed, the loss
    assert est.activation_checkpointed_bytes == 26_214_400 + 15_360_000 + loss  # 79,974,400


def test_a_gelu_block_saves_two_ffn_widths_instead_of_four() -> None:
    """ChatGLM-6B's GELU MLP saves its input to the second matmul and to GELU: 2 x 16384, so
    4 x 4096 + 2 x 4096 + 2 x 4096 + 2 x 16384 = 65,536 bf16 values = 131,072 bytes per token and block."""
    est = estimate_finetune(GLM, "lora", seq=10)
    assert est.activation_bytes == 28 * 131_072 * 10 + 10 * 130528 * 12  # 36,700,160 + 15,663,360


def test_eager_attention_saves_the_scores_in_fp32_and_in_bf16() -> None:
    """transformers' eager attention runs softmax in fp32 and casts to bf16 (`softmax(..., dtype=torch.float32)
    .to(query.dtype)`): backward keeps the fp32 softmax output (4) and the bf16 probabilities the matmul with V
    saved (2), 6 bytes per head x query x key; flash attention saves none of them."""

    def scores(method: str, arch: object, **kw: object) -> tuple[int, int]:
        eager = estimate_finetune(arch, method, attention="eager", **kw)  # type: ignore[arg-type]
        flash = estimate_finetune(arch, method, **kw)  # type: ignore[arg-type]
        return (
            eager.activation_checkpointed_bytes - flash.activation_checkpointed_bytes,
            eager.activation_bytes - flash.activation_bytes,
        )

    # LoRA, 100 tokens x 2 sequences: 32 heads x 100 x 100 x 2 x 6 = 3,840,000 bytes per block
    assert scores("lora", LLAMA, seq=100, batch=2) == (3_840_000, 32 * 3_840_000)
    # P-Tuning v2 attends to the 128-vector prefix too: 32 heads x 100 x (100 + 128) x 6 = 4,377,600 per block
    assert scores("ptuning", GLM, seq=100, base_quant=Quant.INT4) == (4_377_600, 28 * 4_377_600)


# ---------------------------------------------------------------- frozen bases


def test_peft_casts_what_bitsandbytes_leaves_unquantized_to_fp32() -> None:
    """LLM.int8(): int8 weights + an fp32 row statistic per output row (42,496 rows per layer: 4 x 4096 + 3 of the
    MLP's 11008/11008/4096), so the blocks take 6,476,005,376 + 32 x 42,496 x 4 = 6,481,444,864 bytes. LoRA goes
    through PEFT's prepare_model_for_kbit_training, which casts every 16-bit parameter that is not quantized to
    fp32 (4 bytes each); ChatGLM's P-Tuning v2 scripts do not use PEFT and keep them in fp16 (2 bytes)."""
    blocks = BLOCK_LINEAR + 32 * 42_496 * 4
    lora = estimate_finetune(LLAMA, "lora", seq=256, base_quant=Quant.BNB_INT8)
    assert lora.weights_bytes == blocks + UNQUANTIZED * 4  # 7,531,085,824
    ptuning = estimate_finetune(LLAMA, "ptuning", seq=256, base_quant=Quant.BNB_INT8)
    assert ptuning.weights_bytes == blocks + UNQUANTIZED * 2  # 7,006,265,344


def test_qlora_double_quantization_stores_0_127_bits_of_constants_per_weight() -> None:
    """QLoRA paper (Dettmers et al. 2023, sec. 3, Double Quantization): 4-bit NF4 codes, and the constants shrink
    from 32/64 = 0.5 to 8/64 + 32/(64 x 256) = 0.127 bits per parameter, i.e. n/64 + n/4096 bytes:
    3,238,002,688 + 101,187,584 + 1,581,056 = 3,340,771,328 bytes of blocks, plus the fp32 rest (PEFT)."""
    est = estimate_finetune(LLAMA, "qlora", seq=256)
    blocks = BLOCK_LINEAR // 2 + BLOCK_LINEAR // 64 + BLOCK_LINEAR // 4096
    assert est.base_quant is Quant.BNB_NF4
    assert est.weights_bytes == blocks + UNQUANTIZED * 4  # 4,390,412,288


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize("setting", ["seq", "batch", "grad_accum"])
def test_each_count_must_be_at_least_one(setting: str) -> None:
    counts = {"seq": 1, "batch": 1, "grad_accum": 1}
    one = estimate_finetune(LLAMA, "lora", **counts)  # type: ignore[arg-type]
    assert (one.seq, one.batch) == (1, 1)
    with pytest.raises(LlmzhError, match=setting):
        estimate_finetune(LLAMA, "lora", **{**counts, setting: 0})  # type: ignore[arg-type]


def test_two_micro_steps_already_hold_the_second_gradient_buffer() -> None:
    """ZeRO-2 with gradient accumulation keeps the first micro-step's half gradients (2 bytes per trainable
    parameter) while the second one's backward fills a new buffer: from 2 micro-steps on, not only at 8."""
    one = estimate_finetune(LLAMA, "full", seq=256, zero2_bucket=200_000_000)
    two = estimate_finetune(LLAMA, "full", seq=256, zero2_bucket=200_000_000, grad_accum=2)
    assert two.grads_optimizer_bytes - one.grads_optimizer_bytes == 2 * 6_738_415_616

"""Fine-tuning memory: the optimizer-step peak, DeepSpeed ZeRO-2's buffers, GPTQ dequantization and LoRA dropout,
each against a hand-computed LLaMA-7B case (32 layers, hidden 4096, MLP 11008, vocabulary 32000)."""

from __future__ import annotations

import pytest
from published_configs import LLAMA_7B

from llmzh.errors import LlmzhError
from llmzh.estimate import FinetuneEstimate, arch_from_config, count_params, estimate_finetune
from llmzh.schema import Quant

A = arch_from_config(LLAMA_7B)
N = 6_738_415_616  # 2 x 32000 x 4096 embedding + LM head, 32 x 202,383,360 per layer (matrices + 2 norms), 4096
BUCKET = 200_000_000  # Qwen's ds_config_zero2.json reduce_bucket_size
# rank 64 on every block matrix: q, k, v, o (4096 -> 4096), gate, up (4096 -> 11008), down (11008 -> 4096)
LORA_ALL_64 = 32 * 64 * (4 * (4096 + 4096) + 3 * (4096 + 11008))
BLOCK_MATRICES = 4 * 4096 * 4096 + 3 * 4096 * 11008  # elements of one layer's weight matrices
LARGEST_MATRIX = 4096 * 11008


def held(est: FinetuneEstimate) -> int:
    """What a training step holds throughout: weights, adapters, gradients, optimizer states, overhead."""
    return est.weights_bytes + est.adapter_bytes + est.grads_optimizer_bytes + est.overhead_bytes


def test_parameter_count_of_the_fixture() -> None:
    assert count_params(A).total == N
    assert LORA_ALL_64 == 159_907_840


def test_zero2_backward_holds_half_gradients_and_two_buckets() -> None:
    est = estimate_finetune(A, "full", seq=256, zero2_bucket=BUCKET)
    # half parameter 2 + half gradient 2 + fp32 master 4 + AdamW 8; the fp32 gradient only exists in step()
    assert est.weights_bytes + est.grads_optimizer_bytes == 16 * N + 2 * BUCKET * 2
    # step(): flattened half gradients 2 + their fp32 copy 4, the buckets released before
    assert est.step_bytes == 6 * N - 2 * BUCKET * 2


def test_zero2_gradient_accumulation_holds_a_second_gradient_buffer() -> None:
    one = estimate_finetune(A, "full", seq=256, zero2_bucket=BUCKET)
    eight = estimate_finetune(A, "full", seq=256, zero2_bucket=BUCKET, grad_accum=8)
    assert eight.grads_optimizer_bytes - one.grads_optimizer_bytes == 2 * N
    assert eight.step_bytes == 4 * N - 2 * BUCKET * 2
    # at 256 tokens the optimizer step is the peak: 22 bytes per parameter in all
    assert eight.total_checkpointed - eight.overhead_bytes == 22 * N
    assert eight.total == eight.total_checkpointed


def test_foreach_adamw_step_peaks_at_short_sequences_only() -> None:
    short = estimate_finetune(A, "lora", seq=16, lora_rank=64, lora_targets="all")
    assert short.trainable_params == LORA_ALL_64
    assert short.step_bytes == 4 * LORA_ALL_64  # one fp32 intermediate per fp32 adapter parameter
    assert short.total_checkpointed == held(short) + 4 * LORA_ALL_64
    long = estimate_finetune(A, "lora", seq=8192, lora_rank=64, lora_targets="all")
    assert long.total_checkpointed == held(long) + long.activation_checkpointed_bytes
    assert long.activation_checkpointed_bytes > long.step_bytes


def test_foreach_intermediates_of_embedding_copies_are_half() -> None:
    plain = estimate_finetune(A, "lora", seq=16)
    emb = estimate_finetune(A, "lora", seq=16, train_embeddings=True)
    assert emb.step_bytes - plain.step_bytes == 2 * 32000 * 4096 * 2


def test_gptq_base_saves_one_dequantized_block_from_128_tokens() -> None:
    def extra(quant: Quant, seq: int, checkpointed: bool = True) -> int:
        gptq = estimate_finetune(A, "qlora", seq=seq, base_quant=quant)
        half = estimate_finetune(A, "lora", seq=seq, base_quant=Quant.FP16)
        if checkpointed:
            return gptq.activation_checkpointed_bytes - half.activation_checkpointed_bytes
        return gptq.activation_bytes - half.activation_bytes

    # fp16 weights of the recomputed block + the int8 unpacked weight and difference of its largest matrix
    assert extra(Quant.GPTQ_INT4, 128) == 2 * BLOCK_MATRICES + 2 * LARGEST_MATRIX
    assert extra(Quant.GPTQ_INT8, 128) == 2 * BLOCK_MATRICES + 4 * LARGEST_MATRIX  # int16 unpacking
    assert extra(Quant.GPTQ_INT4, 128, checkpointed=False) == 32 * 2 * BLOCK_MATRICES + 2 * LARGEST_MATRIX
    assert extra(Quant.GPTQ_INT4, 127) == 0  # AutoGPTQ's CUDA kernel below 128 rows keeps nothing
    assert extra(Quant.BNB_NF4, 1024) == 0  # bitsandbytes dequantizes inside its own autograd function


def test_lora_dropout_keeps_each_adapted_input() -> None:
    def extra(targets: str) -> int:
        on = estimate_finetune(A, "lora", seq=100, batch=2, lora_targets=targets, lora_dropout=True)  # type: ignore[arg-type]
        off = estimate_finetune(A, "lora", seq=100, batch=2, lora_targets=targets)  # type: ignore[arg-type]
        return on.activation_checkpointed_bytes - off.activation_checkpointed_bytes

    # bf16 dropout output + bool mask per input feature and token: q_proj and v_proj take 4096 inputs each
    assert extra("default") == (4096 + 4096) * 3 * 200
    assert extra("all") == (6 * 4096 + 11008) * 3 * 200
    ptuning = estimate_finetune(A, "ptuning", seq=100, lora_dropout=True)
    assert ptuning.activation_bytes == estimate_finetune(A, "ptuning", seq=100).activation_bytes


def test_gradient_accumulation_must_be_positive() -> None:
    with pytest.raises(LlmzhError, match="grad_accum"):
        estimate_finetune(A, "lora", seq=256, grad_accum=0)


def test_zero3_on_one_device_holds_16_bytes_and_steps_one_sub_group_at_a_time() -> None:
    est = estimate_finetune(A, "full", seq=256, zero3_sub_group=1_000_000_000, grad_accum=8)
    # half parameter 2 + half gradient (grad_partitions_flat_buffer, accumulated in place) 2 + fp32 4 + AdamW 8,
    # and the ipg bucket of reduce_bucket_size "auto" = hidden x hidden half elements
    assert est.weights_bytes + est.grads_optimizer_bytes == 16 * N + 4096 * 4096 * 2
    # step: the largest sub-group's flattened half gradients 2 + their fp32 copy 4, not the whole model's
    assert est.step_bytes == 6 * 1_000_000_000
    small = estimate_finetune(A, "full", seq=256, zero3_sub_group=10**12)
    assert small.step_bytes == 6 * N
    # no autocast under DeepSpeed: the loss in the half dtype, as under ZeRO-2
    zero2 = estimate_finetune(A, "full", seq=256, zero2_bucket=BUCKET)
    assert est.activation_checkpointed_bytes == zero2.activation_checkpointed_bytes
    assert est.total_checkpointed - est.overhead_bytes == 16 * N + 4096 * 4096 * 2 + 6 * 1_000_000_000


def test_zero2_and_zero3_are_exclusive() -> None:
    with pytest.raises(LlmzhError, match="ZeRO-2 and ZeRO-3"):
        estimate_finetune(A, "full", seq=256, zero2_bucket=BUCKET, zero3_sub_group=1_000_000_000)


def test_pytorch_2_0_foreach_adamw_holds_two_intermediates() -> None:
    from llmzh.estimate.finetune import FOREACH_ADAMW_INTERMEDIATES_TORCH_2_0

    torch20 = estimate_finetune(
        A, "lora", seq=16, lora_rank=64, lora_targets="all", foreach_intermediates=FOREACH_ADAMW_INTERMEDIATES_TORCH_2_0
    )
    # exp_avg_sq_sqrt and denom, fp32 like the adapters: 8 bytes per adapter parameter (4 from PyTorch 2.1)
    assert torch20.step_bytes == 8 * LORA_ALL_64
    assert torch20.total_checkpointed == held(torch20) + 8 * LORA_ALL_64
    emb = estimate_finetune(A, "lora", seq=16, train_embeddings=True, foreach_intermediates=2)
    plain = estimate_finetune(A, "lora", seq=16, foreach_intermediates=2)
    assert emb.step_bytes - plain.step_bytes == 2 * 2 * 32000 * 4096 * 2  # two bf16 intermediates per copy
    with pytest.raises(LlmzhError, match="foreach_intermediates"):
        estimate_finetune(A, "lora", seq=16, foreach_intermediates=0)

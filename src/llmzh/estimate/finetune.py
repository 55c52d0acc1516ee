"""Fine-tuning memory (rough): AdamW in mixed precision on one device, LoRA / QLoRA / full / P-Tuning v2.

Sources: ZeRO paper (Rajbhandari et al. 2020, sec. 3.1: 16 bytes per parameter for mixed-precision Adam), QLoRA
paper (NF4, double quantization), PEFT (LoRA matrices in fp32; ``prepare_model_for_kbit_training`` casts the
unquantized parameters to fp32; ``modules_to_save`` copies; LoRA dropout on the adapter's input), Korthikanti et al.
2022 (activations saved per block), DeepSpeed's deepspeed/runtime/zero/stage_1_and_2.py (v0.11, 2023: ZeRO-2's
gradient buffers and optimizer step) and stage3.py (v0.12.3, 2023-11: ZeRO-3's gradient buffer and sub-group step),
torch.optim's foreach AdamW (pytorch/pytorch#97712), AutoGPTQ's auto_gptq/nn_modules/qlinear/qlinear_cuda_old.py
(dequantization from 128 rows), Qwen's finetune.py and scripts and ChatGLM's ptuning scripts for the defaults the
bench uses.

A training step peaks twice: at the end of backward's way through the loss and the recomputed blocks, and in the
optimizer step after the activations are freed; ``FinetuneEstimate`` keeps both and its totals take the larger.
"""

from typing import Literal, NamedTuple

from llmzh.estimate.arch import Arch, EstimateError, Matrix, _matrices, count_params
from llmzh.estimate.runtime import ALLOCATOR_SLACK, CUDA_CONTEXT_BYTES, WORKSPACE_BYTES, Attention
from llmzh.estimate.weights import NF4_DOUBLE_QUANT_BITS, dense_bytes, weight_bytes
from llmzh.schema import Quant

FinetuneMethod = Literal["lora", "qlora", "full", "ptuning"]
LoraTargets = Literal["default", "attention", "all"]

ADAMW_STATE_BYTES = 8  # AdamW exp_avg and exp_avg_sq in fp32 per trainable parameter
LOSS_BYTES_PER_LOGIT = 12
"""Loss over the vocabulary in training, per position and vocabulary entry: the logits in bf16 (2), their fp32
upcast (4), the fp32 log-softmax saved for backward (4) and the bf16 gradient (2). Check: Qwen-7B LoRA grows
16.5 GiB from 256 to 8192 tokens (QwenLM/Qwen README), of which 7936 x 151936 x 12 bytes = 13.5 GiB. This is
the loss under torch.autocast (transformers' Trainer with --bf16/--fp16 and no DeepSpeed), which runs log-softmax
in fp32."""
LOSS_BYTES_PER_LOGIT_HALF = 6
"""The same loss where no autocast runs: DeepSpeed's fp16/bf16 engines convert the whole model to the half dtype and
the Trainer then leaves mixed precision to them, so logits (2), log-softmax (2) and its gradient (2) stay half."""
ZERO2_BYTES_PER_TRAINABLE = 2 + 2 + 4 + ADAMW_STATE_BYTES
"""DeepSpeed ZeRO-2 on one device while backward runs, per trainable parameter: the half-precision parameter, its
gradient in the contiguous ``grads_in_partition`` buffer, the fp32 master copy and the AdamW states
(https://github.com/deepspeedai/DeepSpeed/blob/f060407/deepspeed/runtime/zero/stage_1_and_2.py, October 2023, as
Qwen's scripts of that time ran it: ``copy_grads_in_partition``
allocates ``grads_in_partition`` in the half dtype; the fp32 gradient exists only inside ``step``, see
``ZERO2_STEP_BYTES``)."""
ZERO2_ACCUMULATED_BYTES = 2
"""ZeRO-2 with gradient accumulation, per trainable parameter: the first micro-step's half gradients stay alive as
``averaged_gradients`` (views into that micro-step's buffer, kept by ``independent_gradient_partition_epilogue``
after ``_release_ipg_buffers``), and every later micro-step's backward fills a new ``grads_in_partition`` that is
added into them at its epilogue: two half gradient buffers during the backward of micro-steps 2..n."""
ZERO2_STEP_BYTES = 2 + 4
"""ZeRO-2's optimizer step, per trainable parameter, on top of parameters, master copy, AdamW states and the
accumulated half gradients: ``step`` flattens ``averaged_gradients`` into a new half tensor
(``flatten_dense_tensors_aligned``) and converts it ``.to`` fp32 for the fp32 partition's ``.grad``, both alive at
once. The gradient buckets and the current micro-step's buffer are released before (``_release_ipg_buffers``)."""
ZERO3_STEP_BYTES = 2 + 4
"""DeepSpeed ZeRO-3's optimizer step, per parameter of the sub-group being stepped: ``_prepare_fp32_grad_for_sub_group``
flattens the sub-group's half gradients into a new tensor and converts it ``.to`` fp32 for the fp32 partition's
``.grad`` (https://github.com/deepspeedai/DeepSpeed/blob/6ea44d0/deepspeed/runtime/zero/stage3.py, v0.12.3, lines
1771-1776); ``step`` walks the sub-groups one at a time and ``_release_sub_group`` frees that gradient before the
next, so the peak is the largest sub-group's (``sub_group_size`` parameters; the greedy grouping in
``_create_fp16_sub_groups`` can overshoot by one parameter tensor, not counted)."""
FOREACH_ADAMW_STEP_BYTES = 4
"""torch.optim.AdamW's step outside DeepSpeed, per fp32 trainable parameter and intermediate: the default foreach
implementation on CUDA holds intermediates as a tensor list, "~ sizeof(params) more peak memory than the for-loop
version" (torch.optim docs, ``foreach``). Since PyTorch 2.1 one intermediate, ``exp_avg_sq_sqrt``
(https://github.com/pytorch/pytorch/pull/104898, merged 2023-07-10, for issue #97712); see
``FOREACH_ADAMW_INTERMEDIATES_TORCH_2_0`` for PyTorch 2.0."""
FOREACH_ADAMW_INTERMEDIATES_TORCH_2_0 = 2
"""PyTorch 2.0's ``_multi_tensor_adamw`` (https://github.com/pytorch/pytorch/blob/v2.0.0/torch/optim/adamw.py) holds
two parameter-sized intermediates when it updates the parameters: ``exp_avg_sq_sqrt = torch._foreach_sqrt(...)`` and
``denom = torch._foreach_add(exp_avg_sq_sqrt, eps)``, both alive at ``torch._foreach_addcdiv_``; PR #104898 made the
second an in-place add for PyTorch 2.1."""
LORA_DROPOUT_BYTES = 2 + 1
"""Per input feature of an adapted matrix and token, with LoRA dropout: the dropped-out copy of the input in the model
dtype, which ``lora_A`` saves for its weight gradient, and the bool mask ``nn.Dropout`` saves for backward."""
GPTQ_LEVELS = {Quant.GPTQ_INT4: 1, Quant.GPTQ_INT8: 2}  # bytes of AutoGPTQ's unpacked weight: int8, int16 for 8-bit
GPTQ_KERNEL_SWITCH_ROWS = 128
"""AutoGPTQ's qlinear_cuda_old, the kernel transformers/optimum pick with exllama disabled (as Qwen's finetune.py
does; https://github.com/AutoGPTQ/AutoGPTQ/blob/179776b/auto_gptq/nn_modules/qlinear/qlinear_cuda_old.py), runs its
CUDA matvec kernel below 128 input rows (``kernel_switch_threshold``); at 128 rows and more it dequantizes the whole
weight (int8 unpacking of ``qweight`` and ``qzeros``, then ``scales * (weight - zeros)`` in fp16) and calls
``torch.matmul(x.half(), weight)``, which saves that fp16 weight for the input gradient when the input requires
grad (LoRA, ``enable_input_require_grads``)."""


class FinetuneEstimate(NamedTuple):
    """Peak GPU memory of one training step (bytes), roughly: AdamW, mixed precision, one device.

    A step has two peaks: backward (``activation_bytes`` or ``activation_checkpointed_bytes`` on top of the parts
    held throughout) and the optimizer step, which runs after the activations are freed and allocates
    ``step_bytes`` of its own less what backward alone held (gradient buckets, a micro-step's gradient buffer). The
    totals take the larger of the two.
    """

    method: FinetuneMethod
    seq: int
    batch: int
    base_quant: Quant
    trainable_params: int
    weights_bytes: int  # the model's own weights as held during training (frozen, or trained for full)
    adapter_bytes: int  # LoRA matrices / prefix (fp32), and modules_to_save copies
    grads_optimizer_bytes: int  # gradients + AdamW states (+ fp32 master weights for full fine-tuning)
    activation_bytes: int  # saved activations + loss, without gradient checkpointing
    activation_checkpointed_bytes: int  # with gradient checkpointing (one block recomputed at a time)
    overhead_bytes: int
    step_bytes: int = 0  # the optimizer step's own allocations, less the backward-only buffers it no longer holds

    @property
    def total(self) -> int:
        return self._static + max(self.activation_bytes, self.step_bytes)

    @property
    def total_checkpointed(self) -> int:
        return self._static + max(self.activation_checkpointed_bytes, self.step_bytes)

    @property
    def _static(self) -> int:
        return self.weights_bytes + self.adapter_bytes + self.grads_optimizer_bytes + self.overhead_bytes


def _lora_matrices(arch: Arch, targets: LoraTargets) -> list[Matrix]:
    if targets == "all":
        return list(_matrices(arch))
    if targets == "attention":
        return [m for m in _matrices(arch) if m.kind.startswith("attn")]
    return [m for m in _matrices(arch) if m.kind in ("attn_q", "attn_v", "attn_qkv")]


def lora_params(arch: Arch, rank: int, targets: LoraTargets = "default") -> int:
    """LoRA adds rank x (inputs + outputs) per adapted matrix. Targets: "default" = PEFT's default target modules
    per family (q_proj and v_proj, or the fused query_key_value / c_attn / W_pack), "attention" = every attention
    projection, "all" = every block matrix (QLoRA paper; Qwen's finetune.py: c_attn, c_proj, w1, w2)."""
    return arch.layers * sum(rank * (m.rows_in + m.rows_out) for m in _lora_matrices(arch, targets))


def _saved_per_token(arch: Arch, act: int) -> int:
    """Activations one block saves for backward per token (bytes), after Korthikanti et al. 2022 ("Reducing
    Activation Recomputation in Large Transformer Models", sec. 4.1) adapted to RMSNorm, grouped KV heads and gated
    MLPs: norm inputs and outputs (4 x hidden), q/k/v and the attention output (2 x q_dim + 2 x kv_dim), the MLP's
    matmul and elementwise inputs (4 x ffn gated, 2 x ffn GELU); no dropout masks."""
    mlp = 4 * arch.ffn if arch.gated_mlp else 2 * arch.ffn
    return (4 * arch.hidden + 2 * arch.q_dim + 2 * arch.kv_dim + mlp) * act


def estimate_finetune(
    arch: Arch,
    method: FinetuneMethod,
    *,
    seq: int,
    batch: int = 1,
    base_quant: Quant | None = None,
    lora_rank: int = 8,
    lora_targets: LoraTargets = "default",
    train_embeddings: bool = False,
    prefix_len: int = 128,
    attention: Attention = "flash",
    zero2_bucket: int | None = None,
    zero3_sub_group: int | None = None,
    grad_accum: int = 1,
    lora_dropout: bool = False,
    foreach_intermediates: int = 1,
) -> FinetuneEstimate:
    """Rough peak GPU memory of fine-tuning with AdamW in mixed precision on one device.

    * full: 16 bytes per parameter (ZeRO paper, Rajbhandari et al. 2020, sec. 3.1: fp16 weights and gradients,
      fp32 master weights, momentum and variance: 2 + 2 + 12).
    * lora: frozen 16-bit base (or ``base_quant``); LoRA matrices in fp32 (PEFT creates them in fp32) with fp32
      gradients and AdamW states: 16 bytes per adapter parameter. Default: rank 8 on PEFT's default targets.
    * qlora: the base quantized (default NF4 with double quantization, QLoRA paper; or a GPTQ checkpoint). PEFT's
      ``prepare_model_for_kbit_training`` casts every unquantized parameter (embedding, LM head, norms) of a
      bitsandbytes model to fp32 (``if not is_gptq_quantized``: a GPTQ model stays fp16); the same applies to
      ``lora`` on any bitsandbytes base. On a GPTQ base with at least ``GPTQ_KERNEL_SWITCH_ROWS`` tokens, AutoGPTQ
      dequantizes each weight to fp16 and the matmul saves it: one block's weights in fp16 while that block is
      recomputed (every block's without checkpointing), plus the int8/int16 unpacking of its largest matrix.
    * ``lora_dropout``: LoRA with dropout > 0 (PEFT's LoraConfig default is 0.0; Qwen's finetune.py passes 0.05,
      https://github.com/QwenLM/Qwen/blob/2df8e8a/finetune.py):
      PEFT computes ``lora_B(lora_A(dropout(x)))``, so every adapted matrix keeps its input's dropout output (model
      dtype) and mask (bool) for backward, ``LORA_DROPOUT_BYTES`` per input feature and token.
    * ``zero2_bucket``: DeepSpeed ZeRO-2 on one device with that ``reduce_bucket_size`` (Qwen's finetune_ds.sh and
      finetune_qlora_single_gpu.sh use ds_config_zero2.json: 2e8, overlap_comm): ``ZERO2_BYTES_PER_TRAINABLE``
      per trainable parameter, two gradient buckets of that many half-precision elements (stage_1_and_2.py
      double-buffers ``ipg_buffer`` under overlap_comm), and the loss without autocast
      (``LOSS_BYTES_PER_LOGIT_HALF``); with ``grad_accum`` > 1 micro-steps per step, a second half gradient buffer
      (``ZERO2_ACCUMULATED_BYTES``). Its optimizer step holds ``ZERO2_STEP_BYTES`` more per trainable parameter.
      ``zero3_sub_group``: DeepSpeed ZeRO-3 on one device with that ``sub_group_size`` (Qwen's finetune_ds.sh passes
      ds_config_zero3.json, "sub_group_size": 1e9; its README: "we use DeepSpeed ZeRO 3 in this script"). One
      device means one partition holding everything and no gathering (partition_parameters.py
      ``_no_gather_coalesced`` when ``num_partitions == 1``): the half parameters, ``grad_partitions_flat_buffer``
      (one half gradient per parameter, accumulated in place across micro-steps), the fp32 partitions and the
      AdamW states, 16 bytes per trainable parameter, plus the ``__ipg_bucket_flat_buffer`` of ``reduce_bucket_size``
      half elements (transformers' HfTrainerDeepSpeedConfig.trainer_config_finalize fills "auto" with
      hidden_size * hidden_size); the loss without autocast; the step adds
      ``ZERO3_STEP_BYTES`` per parameter of the largest sub-group.
      None: PyTorch AMP (``LOSS_BYTES_PER_LOGIT``) and torch's foreach AdamW (``FOREACH_ADAMW_STEP_BYTES`` per
      trainable parameter and intermediate; ``foreach_intermediates`` 1 for PyTorch >= 2.1,
      ``FOREACH_ADAMW_INTERMEDIATES_TORCH_2_0`` for PyTorch 2.0).
    * ptuning: P-Tuning v2 (ChatGLM's ptuning/, ChatGLM3's PREFIX_TUNING): frozen base at ``base_quant``, a prefix of
      ``prefix_len`` key and value vectors per layer trained in fp32; every attention also attends to the prefix.
    * ``train_embeddings``: embedding and LM head trained as copies in the model dtype (PEFT ``modules_to_save``,
      Qwen's "LoRA (emb)"): copy 2 + gradient 2 + fp32 AdamW states 8 bytes per parameter.

    Activations: ``_saved_per_token`` per block and token (+ scores for eager attention) and the loss over the
    vocabulary (``LOSS_BYTES_PER_LOGIT``); with gradient checkpointing only each block's input is kept, plus one
    block's full set while it is recomputed. Overhead: CUDA context + workspace + allocator slack on the
    checkpointed activations.
    """
    if seq < 1 or batch < 1 or grad_accum < 1 or foreach_intermediates < 1:
        raise EstimateError(
            f"need seq, batch, grad_accum and foreach_intermediates >= 1, got seq={seq}, batch={batch}, "
            f"{grad_accum=}, {foreach_intermediates=}"
        )
    if zero2_bucket is not None and zero3_sub_group is not None:
        raise EstimateError("ZeRO-2 and ZeRO-3 are exclusive: pass zero2_bucket or zero3_sub_group, not both")
    p = count_params(arch)
    if base_quant is None:
        base_quant = Quant.BNB_NF4 if method == "qlora" else Quant.BF16
    act = 2
    tokens = seq * batch
    adapter = 0
    zero = zero2_bucket is not None or zero3_sub_group is not None
    if method == "full":
        trainable = p.total
        weights = p.total * act
        grads_opt = p.total * ((ZERO2_BYTES_PER_TRAINABLE - act) if zero else (act + 4 + ADAMW_STATE_BYTES))
        step = p.total * FOREACH_ADAMW_STEP_BYTES * foreach_intermediates  # AdamW steps the fp32 master weights
    else:
        weights = weight_bytes(arch, base_quant)
        if method == "qlora" and base_quant in (Quant.BNB_NF4, Quant.BNB_FP4):
            weights -= int(p.block_linear * (0.5 - NF4_DOUBLE_QUANT_BITS / 8))
        if method != "ptuning" and base_quant in (Quant.BNB_INT8, Quant.BNB_NF4, Quant.BNB_FP4):
            weights += (p.embedding + p.lm_head + p.block_small + p.norms) * (4 - dense_bytes(base_quant))
        if method == "ptuning":
            trainable = prefix_len * arch.layers * 2 * arch.kv_dim
        else:
            trainable = lora_params(arch, lora_rank, lora_targets)
        adapter = trainable * (act if zero else 4)
        grads_opt = trainable * ((ZERO2_BYTES_PER_TRAINABLE - act) if zero else (4 + ADAMW_STATE_BYTES))
        step = trainable * FOREACH_ADAMW_STEP_BYTES * foreach_intermediates  # fp32 adapters, fp32 intermediates
        if train_embeddings:
            copies = p.embedding + p.lm_head
            trainable += copies
            adapter += copies * act
            grads_opt += copies * (act + ADAMW_STATE_BYTES)
            step += copies * act * foreach_intermediates  # foreach intermediates take each parameter's dtype
    per_block = _saved_per_token(arch, act) * tokens
    if lora_dropout and method in ("lora", "qlora"):
        per_block += sum(m.rows_in for m in _lora_matrices(arch, lora_targets)) * LORA_DROPOUT_BYTES * tokens
    if attention == "eager":
        prefix = prefix_len if method == "ptuning" else 0
        per_block += arch.heads * seq * (seq + prefix) * batch * (act + 4)
    loss = tokens * arch.vocab * (LOSS_BYTES_PER_LOGIT_HALF if zero else LOSS_BYTES_PER_LOGIT)
    every_block = arch.layers * per_block
    if method in ("lora", "qlora") and base_quant in GPTQ_LEVELS and tokens >= GPTQ_KERNEL_SWITCH_ROWS:
        matrices = _matrices(arch)
        dequantized = sum(m.rows_in * m.rows_out * m.copies for m in matrices) * act
        unpacked = max(m.rows_in * m.rows_out for m in matrices) * 2 * GPTQ_LEVELS[base_quant]
        per_block += dequantized + unpacked
        every_block += arch.layers * dequantized + unpacked
    checkpointed = arch.layers * arch.hidden * tokens * act + per_block + loss
    if zero2_bucket is not None:
        buckets = 2 * zero2_bucket * act
        accumulated = trainable * ZERO2_ACCUMULATED_BYTES if grad_accum > 1 else 0
        grads_opt += buckets + accumulated
        step = trainable * ZERO2_STEP_BYTES - accumulated - buckets
    if zero3_sub_group is not None:
        grads_opt += arch.hidden * arch.hidden * act  # __ipg_bucket_flat_buffer, reduce_bucket_size "auto"
        step = min(trainable, zero3_sub_group) * ZERO3_STEP_BYTES
    return FinetuneEstimate(
        method=method,
        seq=seq,
        batch=batch,
        base_quant=base_quant,
        trainable_params=trainable,
        weights_bytes=weights,
        adapter_bytes=adapter,
        grads_optimizer_bytes=grads_opt,
        activation_bytes=every_block + loss,
        activation_checkpointed_bytes=checkpointed,
        overhead_bytes=CUDA_CONTEXT_BYTES + WORKSPACE_BYTES + int(ALLOCATOR_SLACK * checkpointed),
        step_bytes=step,
    )

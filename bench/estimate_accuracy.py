"""Accuracy of llmzh.estimate against published GPU-memory measurements of Chinese LLMs.

Runs the estimator on every row of bench/data/vram-measurements.yaml (the calibration set) under the row's own
conditions, taking each model's config.json only from catalog files (data/models.yaml and any --catalog), and prints
the rows used and skipped, the mean absolute percentage error (MAPE), the worst over- and under-estimate and the error
per family, for inference and for fine-tuning. Then it does the same, reported apart, for
bench/data/vram-validation.yaml: published figures of families new to the catalog that no constant was tuned on.
It reports figures; it has no pass/fail exit code.

    python bench/estimate_accuracy.py [--catalog PATH]... [--subset N] [--rows] [--validation PATH]

Conventions (bench/README.md explains each):
* "GB", "G" and "GiB" are read as GiB (2**30 bytes): the tables come from PyTorch, whose figures are
  max_memory_allocated() / 2**30 or nvidia-smi MiB / 1024. "MiB" and "MB" are MiB.
* Inference tables measured as torch.cuda.max_memory_allocated (QwenLM's) are compared with
  ``Estimate.allocated_bytes``; every other row with the device total (``total_bytes`` / ``total_checkpointed``).
* A "min-required" figure printed as a whole number ("6 GB") is a requirement rounded up to a whole GB: an estimate
  in (figure - 1 GB, figure] counts as exact; outside that interval the error is taken from its nearer end.
* Figures of the loaded model alone are compared with ``weights_bytes`` in their own table; figures the developers
  later revised, or that measured code since replaced or a loading artefact of the source's script, are reported
  apart with their errors. Neither enters the MAPE.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from llmzh.catalog import validate  # noqa: E402
from llmzh.estimate import (  # noqa: E402
    Arch,
    Attention,
    EstimateError,
    FinetuneMethod,
    LoraTargets,
    Runtime,
    arch_from_config,
    estimate_finetune,
    estimate_inference,
)
from llmzh.estimate.finetune import FOREACH_ADAMW_INTERMEDIATES_TORCH_2_0  # noqa: E402
from llmzh.schema import Quant  # noqa: E402

GiB = 1 << 30
MiB = 1 << 20
DEFAULT_MEASUREMENTS = ROOT / "bench" / "data" / "vram-measurements.yaml"
DEFAULT_VALIDATION = ROOT / "bench" / "data" / "vram-validation.yaml"
DEFAULT_CATALOG = ROOT / "data" / "models.yaml"

# A chat turn when the source states no lengths ("runs the example code"): a 512-token prompt and a 512-token answer.
# "After N dialogue turns" (ChatGLM's chat() re-sends the history): N - 1 earlier turns of 1024 tokens in the prompt.
DEFAULT_PROMPT = 512
DEFAULT_GENERATED = 512
TURN_TOKENS = DEFAULT_PROMPT + DEFAULT_GENERATED
TURNS = re.compile(r"(\d+)\s*(?:-|至|to)\s*\d+\s*(?:轮|dialogue turns)")

# Precision labels as published -> level; None: the catalog variant's level. "INT8"/"INT4": see _quant().
PRECISION: dict[str, Quant | None] = {
    "fp16": Quant.FP16,
    "bf16": Quant.BF16,
    "fp16 / bf16": Quant.FP16,
    "bf16 / fp16": Quant.BF16,
    "gptq-int4": Quant.GPTQ_INT4,
    "gptq-int8": Quant.GPTQ_INT8,
    "awq-int4": Quant.AWQ,
    "fp8": Quant.FP8,
    "awq": Quant.AWQ,
    "int8 (bitsandbytes)": Quant.BNB_INT8,
    "nf4 (bitsandbytes)": Quant.BNB_NF4,
    "bitsandbytes-8bit": Quant.BNB_INT8,
    "8bits": Quant.BNB_INT8,  # Baichuan2: bitsandbytes 8-bit
    "4bits": Quant.BNB_NF4,  # Baichuan2: bitsandbytes 4-bit
    "int4 (bitsandbytes load_in_4bit)": Quant.BNB_FP4,  # InternLM3: load_in_4bit with no quant type is FP4
    "gptq 8-bit (groupsize 128)": Quant.GPTQ_INT8,
    "gptq 4-bit (groupsize 128)": Quant.GPTQ_INT4,
    "gptq 4-bit": Quant.GPTQ_INT4,
    "int4 (q-lora)": Quant.GPTQ_INT4,  # Qwen's Q-LoRA trains on the GPTQ Int4 chat model
    "q-lora (int4 model)": Quant.GPTQ_INT4,
    "base (unquantized)": None,
}
UNSUPPORTED_PRECISION = {"gptq 2-bit (groupsize 128)": "2-bit GPTQ is not a quant level of llmzh"}

# Runtimes the sources' scripts fix.
RUNTIME_BY_SOURCE: tuple[tuple[str, Runtime], ...] = (
    ("QwenLM/Qwen2.5:docs/source/benchmark/speed_benchmark", "transformers"),  # transformers 4.46.0
    ("QwenLM/Qwen2.5:docs/source/benchmark/hf_infer", "transformers-legacy"),  # Qwen1.5: transformers 4.37+
)

# Inference tables that report torch.cuda.max_memory_allocated: Qwen2.5's speed_benchmark_transformers.py says so,
# Qwen1.5's table comes from the same benchmark docs, and Qwen (1st gen)'s load-only BF16 row is the weights plus
# the code's mask buffers to 0.01 GiB, with no CUDA context. Every other row is compared with the device total.
ALLOCATED_SOURCES = ("QwenLM/",)

# Sources whose figures are the loaded model, without generation: compared with weights_bytes (+ the CUDA context
# unless the figure is a torch allocation). Baichuan2's before/after-quantization table states no generation
# conditions and its figures equal the weights (README_EN bf16 14.0 vs 13.98 GiB computed; 8bits 8.0 vs 7.95).
# The Qwen2.5-VL README's "Minimum VRAM requirements" are "theoretical minimum" figures from accelerate's model size
# estimator: parameters x bytes per parameter, no generation.
WEIGHTS_ONLY_SOURCES = ("baichuan-inc/Baichuan2:README", "QwenLM/Qwen3-VL:README.md")
WEIGHTS_ONLY_NOTES = ("load only", "仅加载", "Loading Model", "parameters only", "仅占用")
ALLOCATED_WEIGHTS_SOURCES = ("QwenLM/", "baichuan-inc/Baichuan2:README")

_BELLE_LOAD = (
    "bloom_inference.py's load_quant() runs torch.load(checkpoint, map_location='cuda'): the whole .pt, embeddings "
    "in fp32, sits on the GPU before the model is built, so the peak is that load, not inference"
)
_QWEN_2023_08 = (
    "measured with the 2023-08 modeling_qwen.py, which registered an 8192x8192 bool causal mask in each of the 32 "
    "layers (2.00 GiB; the load-only BF16 row is the weights + exactly 2.00 GiB); current code keeps one mask"
)
_QWEN_KV_BS4 = (
    "inconsistent with its own table under any model affine in batch: bs=4 (24.1 GB) lies 4.7 GB above the line "
    "through bs=1 (16.3) and bs=16 (31.7), which bs=32 (48.7) continues; the row with KV-cache quantization has no "
    "such step (15.5, 17.2, 22.3, 30.2); unchanged since 26da1a2"
)
_CHATGLM2_PTUNING = (
    "ChatGLM-6B's figure: ChatGLM2's ptuning/README.md (3be48aa, 2023-07-04) is a lightly edited copy of "
    "ChatGLM-6B's, this paragraph word for word with the model name changed ('此时最低只需 6.7G 显存', ChatGLM-6B "
    "9987546, 2023-03-31)"
)
_CHATGLM3_LONGEST = (
    "lengths are the data's: finetune_hf.py of 9484f82 pads each batch to its longest sample (DataCollatorForSeq2Seq, "
    "padding='longest') on AdvertiseGen, whose lengths the source does not state, and runs without gradient "
    "checkpointing, so activations follow them; the configs' 128 + 256 / 256 + 512 are maxima"
)
_GLM4_LONGEST = (
    "lengths are the data's: GLM-4's finetune/finetune.py (3f79b54) pads each batch to its longest sample on the "
    "user's own data, which the table does not state ('sequence length and batch not stated'); configs/lora.yaml runs "
    "it under DeepSpeed ZeRO-2 and evaluates with generation at batch 4; max_input/output_length 512 are maxima"
)
# Rows reported apart, with their errors, outside the MAPE: (source prefix, precision or None for all, row fields
# that must match as well, why).
APART: tuple[tuple[str, str | None, tuple[tuple[str, object], ...], str], ...] = (
    (
        "THUDM/ChatGLM-6B:README.md@4c923c4",
        None,
        (),
        "INT8 figures the developers revised (10 -> 8 GB, 11 -> 9 GB) in ba93caf",
    ),
    ("THUDM/ChatGLM-6B:README_en.md", "INT8", (), "README_en kept the INT8 10 GB that the zh README revised to 8 GB"),
    (
        "THUDM/ChatGLM-6B:README.md@6ff2b4b",
        None,
        (),
        "first README (vocab 150528); the figure was removed from README and card",
    ),
    (
        "huggingface.co/THUDM/chatglm-6b:README.md@a77bce8",
        None,
        (),
        "March-2023 card table (vocab 150528), later removed",
    ),
    ("QwenLM/Qwen:README.md@af6486a", None, (), _QWEN_2023_08),
    ("QwenLM/Qwen:README.md@04f896f", None, (), _QWEN_2023_08),
    ("LianjiaTech/BELLE:models/gptq/README.md", "GPTQ 8-bit (groupsize 128)", (), _BELLE_LOAD),
    ("LianjiaTech/BELLE:models/gptq/README.md", "GPTQ 4-bit (groupsize 128)", (), _BELLE_LOAD),
    ("LianjiaTech/BELLE:models/notebook", None, (), _BELLE_LOAD),
    ("QwenLM/Qwen:README.md@2df8e8a", "BF16", (("batch", 4), ("memory_value", 24.1)), _QWEN_KV_BS4),
    ("THUDM/ChatGLM2-6B:ptuning/README.md", None, (), _CHATGLM2_PTUNING),
    ("THUDM/ChatGLM3:finetune_demo/README.md@9484f82", None, (), _CHATGLM3_LONGEST),
    ("THUDM/GLM-4:finetune/README.md", None, (("purpose", "finetune-lora"),), _GLM4_LONGEST),
)


# Checkpoints the developers changed after writing a source's figures: (source prefix, config.json keys as they
# were). THUDM/ChatGLM-6B wrote every README and ptuning/README figure between 6ff2b4b (2023-03-13) and ba93caf
# (2023-03-31); UPDATE.md, 2023/04/06: "移除embedding中的image token以减小显存占用" (the 20,000 image tokens left the
# embedding: vocab_size 150528 -> 130528; bos/eos ids 150004/150005 became 130004/130005).
# The March-2023 Hub card (a77bce8) predates the same update.
CONFIG_OF_THE_TIME: tuple[tuple[str, Mapping[str, object]], ...] = (
    ("THUDM/ChatGLM-6B:", {"vocab_size": 150528}),
    ("huggingface.co/THUDM/chatglm-6b:README.md@a77bce8", {"vocab_size": 150528}),
)


def _config_of_the_time(source: str) -> Mapping[str, object]:
    for prefix, keys in CONFIG_OF_THE_TIME:
        if source.startswith(prefix):
            return keys
    return {}


@dataclass(frozen=True, slots=True)
class Finetune:
    """Training settings fixed by a source's scripts (its table does not repeat them)."""

    lora_rank: int
    lora_targets: LoraTargets
    checkpointing: bool
    target_len: int = 0  # target tokens the scripts add to the row's source length
    prefix_len: int = 128
    attention: Attention = "flash"
    batch: int = 1  # micro batch when the row states none
    seq: int = 256  # source length when the row states none
    zero2: tuple[str, ...] = ()  # methods the source's scripts run under DeepSpeed ZeRO-2 (reduce_bucket_size 2e8)
    zero3: tuple[str, ...] = ()  # methods the source's scripts run under DeepSpeed ZeRO-3 (sub_group_size 1e9)
    grad_accum: int = 1  # gradient accumulation steps (ZeRO-2 then holds a second half gradient buffer)
    lora_dropout: bool = False  # LoRA dropout > 0 in the scripts (PEFT's default is 0.0)
    foreach_intermediates: int = 1  # torch AdamW's foreach intermediates: 2 under PyTorch 2.0, 1 from 2.1


ZERO2_REDUCE_BUCKET = 200_000_000  # QwenLM/Qwen finetune/ds_config_zero2.json: "reduce_bucket_size": 2e8
ZERO3_SUB_GROUP = 1_000_000_000  # QwenLM/Qwen finetune/ds_config_zero3.json: "sub_group_size": 1e9
# (source prefix, row purpose or None for every purpose, settings); the first match wins.
FINETUNE_BY_SOURCE: tuple[tuple[str, str | None, Finetune], ...] = (
    # QwenLM/Qwen finetune.py: lora_r 64 on c_attn, c_proj, w1, w2; the scripts pass --gradient_checkpointing;
    # README: "Flash attention 2 is applied". finetune_lora_single_gpu.sh runs --bf16 without DeepSpeed (AMP);
    # finetune_qlora_single_gpu.sh (--fp16) passes --deepspeed finetune/ds_config_zero2.json; finetune_ds.sh (full)
    # passes finetune/ds_config_zero3.json at every commit since af22d5e (README: "we use DeepSpeed ZeRO 3 in this
    # script"). README, "Profiling of Memory and Speed": "a batch size of 1 and gradient accumulation of 8";
    # finetune.py: lora_dropout 0.05; README: "we use CUDA 11.8 and Pytorch 2.0" (two foreach AdamW intermediates).
    (
        "QwenLM/Qwen:README.md",
        None,
        Finetune(
            64,
            "all",
            True,
            zero2=("qlora",),
            zero3=("full",),
            grad_accum=8,
            lora_dropout=True,
            foreach_intermediates=FOREACH_ADAMW_INTERMEDIATES_TORCH_2_0,
        ),
    ),
    # THUDM/ChatGLM3 finetune_demo/README.md: the figures were written in 9484f82 (2024-01-27) "with the default
    # config files" of that commit and never changed: configs/lora.yaml r 8, lora_dropout 0.1, max_input_length 128,
    # max_output_length 256, per_device_train_batch_size 1; configs/ptuning_v2.yaml 256 + 512, batch 4,
    # num_virtual_tokens 64; finetune_hf.py enabled no gradient checkpointing until b74bab7 (2024-02-06) and no
    # autocast (no fp16/bf16 in the configs); SDPA.
    (
        "THUDM/ChatGLM3:finetune_demo/README.md@9484f82",
        "finetune-lora",
        Finetune(8, "default", False, 256, attention="sdpa", batch=1, seq=128, lora_dropout=True),
    ),
    (
        "THUDM/ChatGLM3:finetune_demo/README.md@9484f82",
        "finetune-ptuning",
        Finetune(8, "default", False, 512, prefix_len=64, attention="sdpa", batch=4, seq=256),
    ),
    # THUDM/ChatGLM2-6B ptuning/train.sh: target 128, pre_seq_len 128; main.py gradient_checkpointing_enable().
    ("THUDM/ChatGLM2-6B:ptuning", None, Finetune(8, "default", True, 128, attention="sdpa")),
    # THUDM/ChatGLM-6B ptuning/train.sh: source 64, target 64; gradient_checkpointing_enable(); ChatGLM-6B's own
    # eager attention. Every ChatGLM-6B P-tuning figure was written on 2023-03-31 (README 7e84262 and ba93caf,
    # ptuning/README 9987546), when train.sh set PRE_SEQ_LEN=8 (968a306 .. 73f4fe1); ea682a6 (2023-04-06) made it 128.
    ("THUDM/ChatGLM-6B", None, Finetune(8, "default", True, 64, prefix_len=8, attention="eager", seq=64)),
    # Facico/Chinese-Vicuna finetune.py: LORA_R 8 on q_proj/v_proj, LORA_DROPOUT 0.05, MICRO_BATCH_SIZE 4,
    # CUTOFF_LEN 256, 8-bit base, prepare_model_for_int8_training (gradient checkpointing); transformers 4.28-era
    # LLaMA: eager attention.
    ("Facico/Chinese-Vicuna", None, Finetune(8, "default", True, attention="eager", batch=4, lora_dropout=True)),
)


# ---------------------------------------------------------------- catalog


@dataclass(frozen=True, slots=True)
class Target:
    """The catalog model a measured Hub repo belongs to."""

    model_id: str
    quant: Quant
    config: Mapping[str, object]


def load_targets(paths: Sequence[Path], warnings: list[str]) -> dict[str, Target]:
    """Hub repo (lower case) -> catalog model with an architecture config: variant repos, ``also_at`` and the repo a
    load-time quantization starts from; failing those, the base-weights repos of adapters (Chinese-Vicuna's LoRA
    rows name the LLaMA base they train on). Earlier files win; an invalid file is skipped with a warning."""
    targets: dict[str, Target] = {}
    bases: dict[str, Target] = {}
    for path in paths:
        result = validate(path)
        if result.catalog is None:
            more = f" (+{len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
            warnings.append(f"skipped catalog {path}: {result.problems[0]}{more}")
            continue
        for project in result.catalog.projects:
            for model in project.models:
                if model.architecture is None:
                    continue
                config = model.architecture.config
                by_id = {v.id: v for v in model.variants}
                for variant in model.variants:
                    own = [(r, variant.quant) for r in (variant.repo, *variant.also_at) if r]
                    base = by_id.get(variant.quantize_from or "")
                    if base is not None and base.repo:
                        own.append((base.repo, base.quant))
                    for repo, quant in own:
                        targets.setdefault(repo.lower(), Target(model.id, quant, config))
                weights = model.base_weights
                if weights is not None:
                    for base_repo in (weights.repo, *weights.alternatives):
                        if base_repo:
                            bases.setdefault(base_repo.lower(), Target(model.id, model.variants[0].quant, config))
    return {**bases, **targets}


# ---------------------------------------------------------------- rows


@dataclass(slots=True)
class Result:
    index: int
    row: Mapping[str, Any]
    family: str
    estimate_gib: float
    error: float  # signed relative error used for the MAPE (interval-aware for whole-GB requirements)
    raw_error: float  # signed relative error against the printed value
    what: str
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    inference: list[Result] = field(default_factory=list)
    finetune: list[Result] = field(default_factory=list)
    weights_only: list[Result] = field(default_factory=list)
    apart: list[Result] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _published_gib(row: Mapping[str, Any]) -> float:
    unit = str(row["memory_unit"]).strip()
    value = float(row["memory_value"])
    if unit in ("GB", "G", "GiB"):
        return value
    if unit in ("MiB", "MB"):
        return value * MiB / GiB
    raise ValueError(f"unknown unit {unit!r}")


def _gpu_count(gpu: str | None) -> int:
    text = (gpu or "").lower()
    nodes = re.search(r"(\d+)\s*nodes?\s*x\s*(\d+)", text)
    if nodes:
        return int(nodes.group(1)) * int(nodes.group(2))
    count = re.match(r"\s*(\d+)\s*(x|gpus?\b)", text)
    return int(count.group(1)) if count else 1


def _quant(row: Mapping[str, Any], target: Target) -> Quant | str:
    """The level a row was measured at, or why it has none: its precision label, else the catalog variant's level.
    A bare "INT8"/"INT4" on a 16-bit variant is load-time quantization (ChatGLM ``quantize(n)``, else bitsandbytes);
    on a pre-quantized variant (Qwen-7B-Chat-Int4, AutoGPTQ) it is that variant's level."""
    label = str(row.get("precision") or "").strip().lower()
    if label in UNSUPPORTED_PRECISION:
        return UNSUPPORTED_PRECISION[label]
    if label in ("int8", "int4"):
        if target.quant not in (Quant.FP16, Quant.BF16, Quant.FP32):
            return target.quant
        if target.config.get("model_type") == "chatglm":
            return Quant.INT8 if label == "int8" else Quant.INT4
        return Quant.BNB_INT8 if label == "int8" else Quant.BNB_NF4
    quant = PRECISION.get(label)
    return target.quant if quant is None else quant


def _family_label(arch: Arch, repo: str) -> str:
    name = repo.split("/")[-1].lower()
    for prefix, label in (
        ("qwen3.5", "Qwen3.5"),
        ("qwen3", "Qwen3"),
        ("qwen2.5-vl", "Qwen2.5-VL"),
        ("qwen2.5", "Qwen2.5"),
        ("qwen1.5", "Qwen1.5"),
        ("qwen", "Qwen (1st gen)"),
        ("glm-4", "GLM-4"),
        ("chatglm3", "ChatGLM3"),
        ("chatglm2", "ChatGLM2"),
        ("chatglm", "ChatGLM-6B"),
        ("baichuan2", "Baichuan2"),
        ("belle", "BELLE"),
        ("llama", "LLaMA / Chinese-Vicuna"),
    ):
        if name.startswith(prefix):
            return label
    return arch.family


def _weights_only(row: Mapping[str, Any]) -> bool:
    return str(row["source"]).startswith(WEIGHTS_ONLY_SOURCES) or any(
        key in str(row.get("note") or "") for key in WEIGHTS_ONLY_NOTES
    )


def _apart(row: Mapping[str, Any]) -> str | None:
    for prefix, precision, fields, why in APART:
        if str(row["source"]).startswith(prefix) and precision in (None, row.get("precision")):
            if all(row.get(key) == value for key, value in fields):
                return why
    return None


def _attention(row: Mapping[str, Any]) -> Attention | None:
    text = f"{row.get('framework') or ''} {row.get('note') or ''}".lower()
    if "kv cache quantization = yes" in text or "without flash attention" in text:
        return "eager"  # Qwen: "flash-attn disabled when KV-cache quantization is on"
    if "flash" in text:
        return "flash"
    return None


def _runtime(row: Mapping[str, Any]) -> Runtime:
    source = str(row["source"])
    for prefix, runtime in RUNTIME_BY_SOURCE:
        if source.startswith(prefix):
            return runtime
    if re.search(r"transformers 4\.(2\d|3\d|4[0-4])\b", str(row.get("framework") or "")):
        return "transformers-legacy"
    return "transformers"


def _compare(estimate: float, published: float, row: Mapping[str, Any]) -> tuple[float, float]:
    """(error for the MAPE, error against the printed value), both signed and relative to the published figure."""
    raw = (estimate - published) / published
    value = float(row["memory_value"])
    if row.get("kind") == "min-required" and value == int(value):
        low = published - 1.0
        if low < estimate <= published:
            return 0.0, raw
        return (estimate - (low if estimate <= low else published)) / published, raw
    return raw, raw


def _finetune_settings(source: str, purpose: str) -> Finetune:
    for prefix, only, settings in FINETUNE_BY_SOURCE:
        if source.startswith(prefix) and only in (None, purpose):
            return settings
    return Finetune(8, "default", True)


def evaluate(rows: Sequence[Mapping[str, Any]], targets: Mapping[str, Target]) -> Outcome:
    """Run every row under its conditions and sort the results into tables."""
    out = Outcome()
    for i, row in enumerate(rows):
        repo = str(row.get("hf_repo") or "")
        target = targets.get(repo.lower())
        gpus = _gpu_count(row.get("gpu"))
        if not repo:
            out.skipped.append((i, "no hf_repo"))
            continue
        if gpus > 1:
            out.skipped.append((i, f"multi-GPU figure ({gpus} GPUs; total or per-GPU split not modelled)"))
            continue
        if target is None:
            out.skipped.append((i, f"no catalog model with an architecture config for {repo}"))
            continue
        try:
            arch = arch_from_config({**target.config, **_config_of_the_time(str(row["source"]))})
        except EstimateError as exc:
            out.skipped.append((i, f"config of {target.model_id} unreadable: {exc.message}"))
            continue
        quant = _quant(row, target)
        if not isinstance(quant, Quant):
            out.skipped.append((i, quant))
            continue
        family = _family_label(arch, repo)
        try:
            if row["purpose"] == "inference":
                result = _inference(i, row, arch, quant, family)
                table = out.weights_only if result.what.startswith("weights") else out.inference
            else:
                result = _finetune(i, row, arch, quant, family)
                table = out.finetune
        except EstimateError as exc:
            out.skipped.append((i, f"estimator: {exc.message}"))
            continue
        why = _apart(row)
        if why is not None:
            result.notes.append(why)
            table = out.apart
        table.append(result)
    return out


def _inference(i: int, row: Mapping[str, Any], arch: Arch, quant: Quant, family: str) -> Result:
    prompt_in, generated = row.get("input_tokens"), row.get("output_tokens")
    note = str(row.get("note") or "")
    if prompt_in is None and generated is None:
        turns = TURNS.search(note)
        prompt = DEFAULT_PROMPT + (int(turns.group(1)) - 1) * TURN_TOKENS if turns else DEFAULT_PROMPT
        ctx = prompt + DEFAULT_GENERATED
    else:
        prompt = int(prompt_in) if prompt_in is not None else 1  # Qwen: "generating ... from 1 context token"
        ctx = prompt + (int(generated) if generated is not None else 1)
    batch = int(row.get("batch") or 1)
    kv_cache: Literal["model", "int8"] = "int8" if "KV Cache quantization = Yes" in note else "model"
    est = estimate_inference(
        arch,
        quant,
        ctx=ctx,
        prompt=prompt,
        batch=batch,
        runtime=_runtime(row),
        attention=_attention(row),
        kv_cache=kv_cache,
    )
    source = str(row["source"])
    if _weights_only(row):
        allocated = source.startswith(ALLOCATED_WEIGHTS_SOURCES)
        value = est.weights_bytes + (0 if allocated else est.context_bytes)
        what = "weights" + ("" if allocated else " + CUDA context")
    else:
        allocated = source.startswith(ALLOCATED_SOURCES)
        value = est.allocated_bytes if allocated else est.total_bytes
        what = f"{'allocated' if allocated else 'total'} {quant.value} {est.runtime} prompt {prompt} ctx {ctx} b{batch}"
    estimate = value / GiB
    error, raw = _compare(estimate, _published_gib(row), row)
    return Result(i, row, family, estimate, error, raw, what)


def _finetune(i: int, row: Mapping[str, Any], arch: Arch, quant: Quant, family: str) -> Result:
    settings = _finetune_settings(str(row["source"]), str(row["purpose"]))
    methods: dict[str, FinetuneMethod] = {
        "finetune-lora": "lora",
        "finetune-qlora": "qlora",
        "finetune-full": "full",
        "finetune-ptuning": "ptuning",
    }
    method = methods[str(row["purpose"])]
    seq_in = row.get("input_tokens")
    # Rows without a length take the scripts' default (Qwen's Q-LoRA summary equals its 256-token cell).
    seq = (int(seq_in) if seq_in is not None else settings.seq) + settings.target_len
    # No precision stated: the checkpoint's 16-bit dtype (Qwen's scripts pass --bf16; ChatGLM3 loads fp16).
    base = quant if row.get("precision") else (Quant.FP16 if arch.dtype == "float16" else Quant.BF16)
    emb = "LoRA (emb)" in str(row.get("note") or "")
    est = estimate_finetune(
        arch,
        method,
        seq=seq,
        batch=int(row.get("batch") or settings.batch),
        base_quant=base,
        lora_rank=settings.lora_rank,
        lora_targets=settings.lora_targets,
        train_embeddings=emb,
        prefix_len=settings.prefix_len,
        attention=settings.attention,
        zero2_bucket=ZERO2_REDUCE_BUCKET if method in settings.zero2 else None,
        zero3_sub_group=ZERO3_SUB_GROUP if method in settings.zero3 else None,
        grad_accum=settings.grad_accum,
        lora_dropout=settings.lora_dropout,
        foreach_intermediates=settings.foreach_intermediates,
    )
    estimate = (est.total_checkpointed if settings.checkpointing else est.total) / GiB
    error, raw = _compare(estimate, _published_gib(row), row)
    what = f"{method} {base.value} seq {seq} b{est.batch}{' +emb' if emb else ''}"
    return Result(i, row, family, estimate, error, raw, what)


# ---------------------------------------------------------------- report


def _describe(r: Result) -> str:
    row = r.row
    return (
        f"row {r.index} {row['model']} [{row.get('precision')}] in={row.get('input_tokens')} "
        f"out={row.get('output_tokens')} b={row.get('batch')}: estimate {r.estimate_gib:.2f} GiB vs published "
        f"{row['memory_value']} {row['memory_unit']} ({row['kind']}) -> {100 * r.error:+.1f}% ({r.what})"
    )


def report(title: str, results: Sequence[Result], out: list[str], *, rows: bool) -> None:
    """Rows, MAPE, worst over- and under-estimate, and the error per family of one table."""
    out.append(f"== {title}: {len(results)} rows")
    if not results:
        return
    mape = sum(abs(r.error) for r in results) / len(results)
    raw = sum(abs(r.raw_error) for r in results) / len(results)
    out.append(f"MAPE {100 * mape:.1f}%   (against the printed value for every row: {100 * raw:.1f}%)")
    out.append(f"worst over-estimate : {_describe(max(results, key=lambda r: r.error))}")
    out.append(f"worst under-estimate: {_describe(min(results, key=lambda r: r.error))}")
    out.append(f"under-estimates worse than -10%: {sum(r.error < -0.10 for r in results)}")
    by_family: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_family[r.family].append(r)
    out.append("per family:                rows   MAPE  mean signed  worst under")
    for family, rs in sorted(by_family.items()):
        m = sum(abs(r.error) for r in rs) / len(rs)
        s = sum(r.error for r in rs) / len(rs)
        out.append(
            f"  {family:24s} {len(rs):4d} {100 * m:5.1f}% {100 * s:+8.1f}% {100 * min(r.error for r in rs):+8.1f}%"
        )
    if rows:
        out.extend("  " + _describe(r) for r in sorted(results, key=lambda r: r.index))


def _report_set(outcome: Outcome, out: list[str], *, rows: bool, prefix: str = "") -> None:
    out.append(
        f"used: {len(outcome.inference)} inference, {len(outcome.finetune)} fine-tuning, "
        f"{len(outcome.weights_only)} weights-only, {len(outcome.apart)} reported apart; "
        f"skipped: {len(outcome.skipped)}"
    )
    reasons: dict[str, list[int]] = defaultdict(list)
    for i, why in outcome.skipped:
        reasons[why].append(i)
    for why, indices in sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = ", ".join(map(str, indices[:12])) + (" ..." if len(indices) > 12 else "")
        out.append(f"  skipped {len(indices):3d}: {why}  [rows {shown}]")
    report(f"{prefix}inference", outcome.inference, out, rows=rows)
    report(f"{prefix}fine-tuning", outcome.finetune, out, rows=rows)
    report(
        f"{prefix}weights-only figures (compared with weights_bytes; not in the MAPE)",
        outcome.weights_only,
        out,
        rows=True,
    )
    report(f"{prefix}reported apart (not in the MAPE)", outcome.apart, out, rows=True)
    out.extend(f"  apart because: {why}" for why in sorted({n for r in outcome.apart for n in r.notes}))


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--catalog", action="append", type=Path, default=[], help="extra catalog file (repeatable)")
    parser.add_argument("--no-default-catalog", action="store_true", help="do not read data/models.yaml")
    parser.add_argument("--measurements", type=Path, default=DEFAULT_MEASUREMENTS)
    parser.add_argument("--subset", type=int, default=None, metavar="N", help="use only the first N measurement rows")
    parser.add_argument("--rows", action="store_true", help="print every inference and fine-tuning row")
    parser.add_argument(
        "--validation", type=Path, default=DEFAULT_VALIDATION, help="validation rows, reported apart ('' to skip)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)

    rows: list[Mapping[str, Any]] = yaml.safe_load(args.measurements.read_text(encoding="utf-8"))
    if args.subset is not None:
        rows = rows[: args.subset]
    paths = ([] if args.no_default_catalog else [DEFAULT_CATALOG]) + list(args.catalog)
    warnings: list[str] = []
    targets = load_targets(paths, warnings)
    out = [f"catalogs: {', '.join(map(str, paths))}"]
    out.extend(f"warning: {w}" for w in warnings)
    out.append(f"== CALIBRATION SET {args.measurements.name}: {len(rows)} rows")
    _report_set(evaluate(rows, targets), out, rows=args.rows)
    if args.validation is not None and args.validation.is_file():
        checks: list[Mapping[str, Any]] = yaml.safe_load(args.validation.read_text(encoding="utf-8"))
        out.append("")
        out.append(f"== VALIDATION SET {args.validation.name}: {len(checks)} rows (no constant is tuned on these)")
        _report_set(evaluate(checks, targets), out, rows=args.rows, prefix="validation ")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

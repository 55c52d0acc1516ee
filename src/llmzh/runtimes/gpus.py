"""Memory bandwidth and dense FP16 tensor throughput of common GPUs, from the vendors' specification pages.

``bandwidth_gbs`` is the vendor's peak memory bandwidth in GB/s (10^9 bytes/s). ``fp16_tflops`` is dense FP16 tensor
throughput with FP32 accumulation (what PyTorch/vLLM GEMMs use), without sparsity; None where the vendor page gives
no such figure (Apple gives none; GeForce pages list only "AI TOPS"), so prefill speed then prints as unknown.
``memory_gb`` is the capacity as the vendor prints it (GB). Each row names the page its figures come from.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class GpuSpec(NamedTuple):
    name: str
    memory_gb: float
    bandwidth_gbs: float
    fp16_tflops: float | None
    source: str


_NV = "https://www.nvidia.com/en-us"
_APPLE = "https://support.apple.com/en-us"

GPUS: tuple[GpuSpec, ...] = (
    # GeForce RTX 20 (Turing): bandwidth from each card's specification page.
    GpuSpec("GeForce RTX 2060", 6, 336, None, f"{_NV}/geforce/graphics-cards/compare/?section=compare-20"),
    GpuSpec("GeForce RTX 2070", 8, 448, None, f"{_NV}/geforce/graphics-cards/compare/?section=compare-20"),
    GpuSpec("GeForce RTX 2080", 8, 448, None, f"{_NV}/geforce/graphics-cards/compare/?section=compare-20"),
    GpuSpec("GeForce RTX 2080 Ti", 11, 616, None, f"{_NV}/geforce/graphics-cards/compare/?section=compare-20"),
    # GeForce RTX 30 (Ampere): NVIDIA Ampere GA102 whitepaper gives the 3090's 71 TFLOPS FP16 tensor, FP32 acc.
    GpuSpec("GeForce RTX 3060", 12, 360, None, f"{_NV}/geforce/graphics-cards/30-series/rtx-3060-3060ti/"),
    GpuSpec("GeForce RTX 3060 Ti", 8, 448, None, f"{_NV}/geforce/graphics-cards/30-series/rtx-3060-3060ti/"),
    GpuSpec("GeForce RTX 3070", 8, 448, None, f"{_NV}/geforce/graphics-cards/30-series/rtx-3070-3070ti/"),
    GpuSpec("GeForce RTX 3080", 10, 760, None, f"{_NV}/geforce/graphics-cards/30-series/rtx-3080-3080ti/"),
    GpuSpec("GeForce RTX 3090", 24, 936, 71, f"{_NV}/geforce/graphics-cards/30-series/rtx-3090-3090ti/"),
    # GeForce RTX 40 (Ada): the Ada Lovelace whitepaper gives the 4090's 165.2 TFLOPS FP16 tensor, FP32 acc.
    GpuSpec("GeForce RTX 4060", 8, 272, None, f"{_NV}/geforce/graphics-cards/40-series/rtx-4060-4060ti/"),
    GpuSpec("GeForce RTX 4060 Ti", 16, 288, None, f"{_NV}/geforce/graphics-cards/40-series/rtx-4060-4060ti/"),
    GpuSpec("GeForce RTX 4070", 12, 504, None, f"{_NV}/geforce/graphics-cards/40-series/rtx-4070-family/"),
    GpuSpec("GeForce RTX 4080", 16, 717, None, f"{_NV}/geforce/graphics-cards/40-series/rtx-4080-family/"),
    GpuSpec("GeForce RTX 4090", 24, 1008, 165.2, f"{_NV}/geforce/graphics-cards/40-series/rtx-4090/"),
    # GeForce RTX 50 (Blackwell).
    GpuSpec("GeForce RTX 5060 Ti", 16, 448, None, f"{_NV}/geforce/graphics-cards/50-series/rtx-5060-family/"),
    GpuSpec("GeForce RTX 5070", 12, 672, None, f"{_NV}/geforce/graphics-cards/50-series/rtx-5070-family/"),
    GpuSpec("GeForce RTX 5070 Ti", 16, 896, None, f"{_NV}/geforce/graphics-cards/50-series/rtx-5070-family/"),
    GpuSpec("GeForce RTX 5080", 16, 960, None, f"{_NV}/geforce/graphics-cards/50-series/rtx-5080/"),
    GpuSpec("GeForce RTX 5090", 32, 1792, None, f"{_NV}/geforce/graphics-cards/50-series/rtx-5090/"),
    # Data centre: datasheet figures, dense (the datasheets print sparse figures with an asterisk, twice these).
    GpuSpec("A10", 24, 600, 125, f"{_NV}/data-center/products/a10-gpu/"),
    GpuSpec("A100 40GB", 40, 1555, 312, f"{_NV}/data-center/a100/"),
    GpuSpec("A100 80GB", 80, 2039, 312, f"{_NV}/data-center/a100/"),
    GpuSpec("H100", 80, 3350, 989, f"{_NV}/data-center/h100/"),
    GpuSpec("H100 PCIe", 80, 2000, 756, f"{_NV}/data-center/h100/"),
    GpuSpec("H200", 141, 4800, 989, f"{_NV}/data-center/h200/"),
    GpuSpec(
        "H20",
        96,
        4000,
        148,
        "https://github.com/QwenLM/Qwen2.5/blob/ac72724/docs/source/getting_started/speed_benchmark.md",
    ),
    GpuSpec("L4", 24, 300, 121, f"{_NV}/data-center/l4/"),
    GpuSpec("L40S", 48, 864, 362, f"{_NV}/data-center/l40s/"),
    # Apple silicon: unified memory bandwidth from each machine's technical specifications (largest memory option).
    GpuSpec("Apple M1", 16, 68.25, None, f"{_APPLE}/111883"),
    GpuSpec("Apple M1 Pro", 32, 200, None, f"{_APPLE}/111902"),
    GpuSpec("Apple M1 Max", 64, 400, None, f"{_APPLE}/111902"),
    GpuSpec("Apple M2", 24, 100, None, f"{_APPLE}/111867"),
    GpuSpec("Apple M2 Pro", 32, 200, None, f"{_APPLE}/111838"),
    GpuSpec("Apple M2 Max", 96, 400, None, f"{_APPLE}/111838"),
    GpuSpec("Apple M3", 24, 100, None, f"{_APPLE}/117735"),
    GpuSpec("Apple M3 Pro", 36, 150, None, f"{_APPLE}/117736"),
    GpuSpec("Apple M3 Max", 128, 400, None, f"{_APPLE}/117736"),
    GpuSpec("Apple M4", 32, 120, None, f"{_APPLE}/121552"),
    GpuSpec("Apple M4 Pro", 64, 273, None, f"{_APPLE}/121553"),
    GpuSpec("Apple M4 Max", 128, 546, None, f"{_APPLE}/121553"),
)


def _words(name: str) -> frozenset[str]:
    """Lower-case words without vendor words: "NVIDIA GeForce RTX 4090" -> {"4090"}."""
    drop = {"nvidia", "geforce", "rtx", "tesla", "apple", "sxm", "sxm4", "sxm5", "gpu", "laptop", "chip"}
    return frozenset(w for w in re.sub(r"[^a-z0-9]+", " ", name.lower()).split() if w not in drop)


def find_gpu(name: str) -> GpuSpec | None:
    """The table row for a name as users type it or drivers report it ("4090", "NVIDIA A100-SXM4-80GB", "M3 Max").

    A row matches when all its words are in the given name; the row with the most words wins, so that
    "NVIDIA H100 80GB HBM3" finds "H100", "A100-PCIE-40GB" finds "A100 40GB" (not "A10") and "4060 Ti" finds
    "GeForce RTX 4060 Ti" rather than "GeForce RTX 4060".
    """
    words = _words(name)
    matches = [g for g in GPUS if _words(g.name) <= words]
    return max(matches, key=lambda g: len(_words(g.name)), default=None) if words else None

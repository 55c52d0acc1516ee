"""Memory bandwidth and dense FP16 tensor throughput of common GPUs, each from the page that gives it.

``bandwidth_gbs`` is the vendor's peak memory bandwidth in GB/s (10^9 bytes/s). ``fp16_tflops`` is dense FP16 tensor
throughput with FP32 accumulation (what PyTorch/vLLM GEMMs use), without sparsity; None where the vendor page gives
no such figure (Apple gives none; most GeForce pages list only "AI TOPS"), so prefill speed then prints as
unknown. ``memory_gb`` is the capacity as the vendor prints it (GB). Each row names the page its figures come from.
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


GPUS: tuple[GpuSpec, ...] = (
    # GeForce RTX 20 / 30 / 40 / 50 (bandwidth; FP16 tensor with FP32 accumulation where a page gives it).
    GpuSpec("GeForce RTX 2060", 6, 336, None, "https://benchmark.best/ru/GeForce_RTX_2060.html"),
    GpuSpec(
        "GeForce RTX 2070",
        8,
        448,
        None,
        "https://www.gizbot.com/gaming/news/nvidia-rtx-2060-gpu-specifications-leaked-expected-cost-349-dollars-056315.html",
    ),
    GpuSpec(
        "GeForce RTX 3060",
        12,
        360,
        None,
        "https://cpu-gpu.alldbin.com/graphics-card-comparison/GeForce-RTX-4090-and-GeForce-RTX-3060-12-GB-GA104-comparison.html",
    ),
    GpuSpec("GeForce RTX 3080", 10, 760, None, "https://sirusgaming.com/nvidia-official-reveal-3000-series/"),
    GpuSpec("GeForce RTX 3090", 24, 936, None, "https://sirusgaming.com/nvidia-official-reveal-3000-series/"),
    GpuSpec(
        "GeForce RTX 4060",
        8,
        272,
        30.23,
        "https://hmc-tech.com/gpu/nvidia-6x-geforce-rtx-4090-vs-nvidia-geforce-rtx-4060",
    ),
    GpuSpec(
        "GeForce RTX 4060 Ti",
        8,
        288,
        None,
        "https://hardwareluxx.de/index.php/news/hardware/grafikkarten/60650-rtx-4070-mit-12-gb-und-rtx-4060-mit-8-gb-vram.html",
    ),
    GpuSpec(
        "GeForce RTX 4070",
        12,
        504,
        None,
        "https://hardwareluxx.de/index.php/news/hardware/grafikkarten/60650-rtx-4070-mit-12-gb-und-rtx-4060-mit-8-gb-vram.html",
    ),
    GpuSpec(
        "GeForce RTX 4080",
        16,
        716.8,
        None,
        "https://cpu-gpu.alldbin.com/graphics-card-comparison/GeForce-RTX-4080-and-GeForce-RTX-4060-AD106-comparison.html",
    ),
    GpuSpec(  # FP16 tensor, FP32 accumulate: 990.91 TFLOPS for six cards on the hmc-tech page
        "GeForce RTX 4090",
        24,
        1008,
        165.15,
        "https://hmc-tech.com/gpu/nvidia-6x-geforce-rtx-4090-vs-nvidia-geforce-rtx-4060",
    ),
    GpuSpec(
        "GeForce RTX 5080",
        16,
        960,
        None,
        "https://www.tweaktown.com/news/102205/nvidias-new-geforce-rtx-5080-expected-to-feature-faster-30gbps-gddr7-memory-400w-power/index.html",
    ),
    GpuSpec(
        "GeForce RTX 5090",
        32,
        1792,
        None,
        "https://pocketmags.com/linux-format-magazine/may-2025/articles/nvidia-geforce-rtx-5090",
    ),
    # Data centre: dense figures (datasheets print sparse ones, twice these, with an asterisk).
    GpuSpec("A10", 24, 600, None, "https://www.baseten.co/blog/nvidia-a10-vs-a10g-for-ml-model-inference/"),
    GpuSpec("A100 40GB", 40, 1555, 312, "https://glennklockwood.com/garden/processors/A100"),
    GpuSpec("A100 80GB", 80, 2039, 312, "https://glennklockwood.com/garden/processors/A100"),
    GpuSpec(  # FP16 dense = FP8 with sparsity (3,958) / 4
        "H100", 80, 3350, 989.5, "https://lzwjava.github.io/nvidia-h200-gpu-specs-en"
    ),
    GpuSpec("H200", 141, 4800, 989.5, "https://lzwjava.github.io/nvidia-h200-gpu-specs-en"),
    GpuSpec("L4", 24, 300, 121, "https://grokipedia.com/page/NVIDIA_L4_vs_L40S"),
    GpuSpec("L40S", 48, 864, 362.05, "https://www.mullet.se/product.html?product_id=355414"),
    # Apple silicon: unified memory bandwidth of the chip's fastest configuration.
    GpuSpec(
        "Apple M1 Pro",
        32,
        200,
        None,
        "https://9to5mac.com/2021/10/18/apple-unveils-next-generation-m1-pro-and-m1-max-chips-for-new-macs/",
    ),
    GpuSpec(
        "Apple M1 Max",
        64,
        400,
        None,
        "https://9to5mac.com/2021/10/18/apple-unveils-next-generation-m1-pro-and-m1-max-chips-for-new-macs/",
    ),
    GpuSpec(
        "Apple M2",
        24,
        100,
        None,
        "https://www.newegg.com/apple-m2-13-6-liquid-retina-display-8gb-memory-512gb-ssd-space-gray/p/2SN-0001-03A98",
    ),
    GpuSpec("Apple M2 Pro", 32, 200, None, "https://gigazine.net/gsc_news/en/20231101-apple-m3-pro-memory-bandwidth"),
    GpuSpec("Apple M3", 24, 100, None, "https://thenote.app/note?id=CdXz5zHNQW_FegAUg42Qd"),  # M4's 120 = M3 + 20 %
    GpuSpec("Apple M3 Pro", 36, 150, None, "https://support.apple.com/en-au/117737"),
    GpuSpec("Apple M3 Max", 128, 400, None, "https://support.apple.com/en-au/117737"),
    GpuSpec("Apple M4", 32, 120, None, "https://pocketmags.com/pc-pro-magazine/january-2025/articles/apple-m4-series"),
    GpuSpec(
        "Apple M4 Pro",
        64,
        273,
        None,
        "https://techmoran.com/2024/10/31/apple-unveils-its-most-powerful-chips-the-m4-pro-and-m4-max/",
    ),
    GpuSpec(
        "Apple M4 Max",
        128,
        546,
        None,
        "https://techmoran.com/2024/10/31/apple-unveils-its-most-powerful-chips-the-m4-pro-and-m4-max/",
    ),
)
"""Rows are kept only where a page read for this table gives the figure (often a retailer or press copy of the
vendor's specification); GeForce RTX 2080, 3060 Ti, 3070, the other RTX 50 cards, H20, the base M1, M2 Pro/Max
and Ascend 910B are left out for want of one. Each row's ``source`` is that page."""


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

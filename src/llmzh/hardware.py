"""What this machine has: NVIDIA GPUs (nvidia-ml-py), Apple Silicon unified memory, and system RAM (psutil).

Detection goes through a `Probe`, so tests replace the machine with fakes; no test needs a GPU.
Memory is in bytes; "GB" in the user interface means GiB, as GPU tools and published tables use it.
"""

from __future__ import annotations

import platform
import subprocess
from typing import Literal, NamedTuple, Protocol

GiB = 1024**3

# macOS lets the GPU wire only part of unified memory (Metal's recommendedMaxWorkingSetSize), unless
# `sysctl iogpu.wired_limit_mb` raises it. Reported measurements: 11.84 of 16 GB (M3), 17.76 GiB of 24 GB,
# 107.5 of 128 GiB (M5 Max): about two thirds on small machines, three quarters and more on large ones
# (llmfit PR #754, sglang PR #29949, antirez/ds4 PR #893). Without Metal bindings we take the conservative side.
APPLE_GPU_SHARE_SMALL = 2 / 3
APPLE_GPU_SHARE_LARGE = 3 / 4
APPLE_LARGE_BYTES = 36 * GiB


class Gpu(NamedTuple):
    number: int  # the device index (not `index`: NamedTuple reserves it)
    name: str
    total_bytes: int
    free_bytes: int  # what a model can still use: the figure fits are judged against
    kind: Literal["nvidia", "apple"] = "nvidia"
    estimated: bool = False  # Apple: the GPU share of unified memory is an estimate unless the sysctl is set


class Hardware(NamedTuple):
    gpus: tuple[Gpu, ...]
    ram_total_bytes: int
    ram_available_bytes: int
    notes: tuple[str, ...] = ()  # why something was not detected (driver missing, ...)

    @property
    def best_gpu(self) -> Gpu | None:
        """The card with the most free memory: what a single-GPU runtime gets."""
        return max(self.gpus, key=lambda g: g.free_bytes, default=None)

    @property
    def total_free_bytes(self) -> int:
        """Free memory across all cards: what runtimes that split layers over GPUs get."""
        return sum(g.free_bytes for g in self.gpus)


class Probe(Protocol):
    """The machine, as detection sees it. Each method returns what it finds or raises OSError."""

    def nvidia(self) -> list[Gpu]: ...

    def apple(self, ram_total_bytes: int) -> Gpu | None: ...

    def ram(self) -> tuple[int, int]: ...


class SystemProbe:
    """The real machine."""

    def nvidia(self) -> list[Gpu]:
        try:
            import pynvml
        except ImportError as error:
            raise OSError("nvidia-ml-py is not installed") from error
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as error:
            raise OSError(f"no NVIDIA driver ({error})") from error
        try:
            gpus = []
            for index in range(pynvml.nvmlDeviceGetCount()):
                handle = pynvml.nvmlDeviceGetHandleByIndex(index)
                name = pynvml.nvmlDeviceGetName(handle)
                memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
                gpus.append(
                    Gpu(
                        number=index,
                        name=name.decode() if isinstance(name, bytes) else str(name),
                        total_bytes=int(memory.total),
                        free_bytes=int(memory.free),
                    )
                )
            return gpus
        except pynvml.NVMLError as error:
            raise OSError(f"NVIDIA driver error ({error})") from error
        finally:
            try:
                pynvml.nvmlShutdown()
            except pynvml.NVMLError:
                pass

    def apple(self, ram_total_bytes: int) -> Gpu | None:
        if platform.system() != "Darwin" or platform.machine() != "arm64":
            return None
        limit = _wired_limit_bytes()
        if limit:
            share, estimated = min(limit, ram_total_bytes), False
        else:
            fraction = APPLE_GPU_SHARE_LARGE if ram_total_bytes > APPLE_LARGE_BYTES else APPLE_GPU_SHARE_SMALL
            share, estimated = int(ram_total_bytes * fraction), True
        name = _sysctl("machdep.cpu.brand_string") or "Apple Silicon"
        return Gpu(0, name, share, share, kind="apple", estimated=estimated)

    def ram(self) -> tuple[int, int]:
        import psutil

        memory = psutil.virtual_memory()
        return int(memory.total), int(memory.available)


def _sysctl(name: str) -> str | None:
    try:
        result = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _wired_limit_bytes() -> int | None:
    value = _sysctl("iogpu.wired_limit_mb")
    return int(value) * 1024 * 1024 if value and value.isdigit() and int(value) > 0 else None


def detect(probe: Probe | None = None) -> Hardware:
    """GPUs and RAM; anything that cannot be read becomes a note, never an error."""
    probe = probe or default_probe()
    notes: list[str] = []
    try:
        ram_total, ram_available = probe.ram()
    except OSError as error:
        ram_total = ram_available = 0
        notes.append(f"cannot read system RAM: {error}")
    gpus: list[Gpu] = []
    try:
        gpus = probe.nvidia()
    except OSError as error:
        notes.append(f"NVIDIA: {error}")
    if not gpus:
        try:
            apple = probe.apple(ram_total)
        except OSError as error:
            apple = None
            notes.append(f"Apple Silicon: {error}")
        if apple is not None:
            gpus = [apple]
    return Hardware(tuple(gpus), ram_total, ram_available, tuple(notes))


class Budget(NamedTuple):
    """What `--vram auto` resolves to."""

    vram_gb: float | None  # free memory of the best card; None when there is no GPU
    total_vram_gb: float | None  # free memory across every card (runtimes that split layers)
    ram_gb: float  # available system RAM, for CPU fits
    summary: str  # one line saying what was found


def budget(hardware: Hardware) -> Budget:
    ram_gb = hardware.ram_available_bytes / GiB
    best = hardware.best_gpu
    if best is None:
        reason = f" ({'; '.join(hardware.notes)})" if hardware.notes else ""
        return Budget(None, None, ram_gb, f"No GPU detected{reason}; using CPU fits within {ram_gb:.1f} GB of RAM.")
    free = best.free_bytes / GiB
    approx = "≈" if best.estimated else ""
    line = f"Detected {best.name}: {approx}{free:.1f} GB free of {best.total_bytes / GiB:.1f} GB"
    if best.kind == "apple":
        line += " (the GPU's share of unified memory)"
    total = hardware.total_free_bytes / GiB
    if len(hardware.gpus) > 1:
        line += f"; {len(hardware.gpus)} GPUs, {total:.1f} GB free in all (for runtimes that split layers)"
    return Budget(free, total, ram_gb, line + ".")


def default_probe() -> Probe:
    """The probe `detect()` uses when given none; tests replace it with fakes."""
    return SystemProbe()

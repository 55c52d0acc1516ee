"""How far llmzh.runtimes.speed's decode and prefill estimates are from published tokens/s, per runtime.

    python bench/speed_accuracy.py           # summary: MAPE per runtime and phase, calibration and held-out apart
    python bench/speed_accuracy.py --rows    # every row

Rows: bench/data/speed.yaml (each with its source). Decode: catalog models are priced by the estimator (weights at
the row's level); models outside the catalog by the GGUF size their load log prints. The two decode constants were
fitted on the rows marked ``role: calibration``; the MAPE that counts is the held-out one. Prefill (prompt
processing, llama-bench's ppN): 2 FLOPs per parameter at FLOPS_EFFICIENCY of the card's dense FP16 throughput, a
constant set, not fitted, so every prefill row is held out. A prefill row needs a card the GPU table gives FLOPS for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from llmzh.catalog import entries_of, find, load_catalog
from llmzh.fit import model_arch
from llmzh.runtimes.gpus import find_gpu
from llmzh.runtimes.speed import active_params, bytes_per_token, decode_tps, prefill_tps_of
from llmzh.schema import Quant

DATA = Path(__file__).parent / "data" / "speed.yaml"


def predict(row: dict[str, object], cat: object) -> float:
    """Estimated tokens/s of the row's phase."""
    gpu = find_gpu(str(row["gpu"]))
    assert gpu is not None, f"unknown GPU {row['gpu']}"
    arch = None
    if "model" in row:
        arch = model_arch(entries_of(cat, find(cat, str(row["model"])))[0])  # type: ignore[arg-type]
        assert arch is not None
    if row.get("phase") == "prefill":
        params = active_params(arch) if arch is not None else float(str(row["params_b"])) * 1e9
        tps = prefill_tps_of(params, gpu.fp16_tflops)
        assert tps is not None, f"the GPU table has no FLOPS figure for {row['gpu']}"
        return tps
    if arch is not None:
        read = bytes_per_token(arch, Quant(str(row["quant"])), context=int(str(row["context"])))
        layers = arch.layers
    else:
        read, layers = int(str(row["model_bytes"])), int(str(row["layers"]))
    return decode_tps(gpu_bytes=read, bandwidth_gbs=gpu.bandwidth_gbs, layers=layers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", action="store_true", help="print every row")
    args = parser.parse_args()
    rows = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    cat = load_catalog(None)
    errors: dict[tuple[str, str, bool], list[float]] = {}
    for row in rows:
        phase = str(row.get("phase", "decode"))
        predicted = predict(row, cat)
        what = f"{row['model']} {row['quant']}" if "model" in row else str(row.get("note", ""))[:40]
        label = f"{row['runtime']:<10} {phase:<8} {row['gpu']:<12} {what:<40}"
        error = predicted / float(row["tps"]) - 1
        held_out = row.get("role") != "calibration"
        errors.setdefault((str(row["runtime"]), phase, held_out), []).append(error)
        if args.rows:
            print(f"{label} {row['tps']:>8.2f} ≈{predicted:>8.2f} {error:+.1%}")
    for (runtime, phase, held_out), errs in sorted(errors.items()):
        mape = sum(abs(e) for e in errs) / len(errs)
        worst = max(errs, key=abs)
        label = "held out" if held_out else "calibration"
        print(f"{runtime:<10} {phase:<8} {label:<12} rows {len(errs):>3}  MAPE {mape:6.1%}  worst {worst:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

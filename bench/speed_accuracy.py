"""How far llmzh.runtimes.speed's decode estimate is from published tokens/s, per runtime.

    python bench/speed_accuracy.py           # summary: MAPE per runtime, calibration and held-out rows apart
    python bench/speed_accuracy.py --rows    # every row

Rows: bench/data/speed.yaml (each with its source). Catalog models are priced by the estimator (weights at the
row's level); models outside the catalog by the GGUF size their load log prints. The two constants of the model
were fitted on the rows marked ``role: calibration``; the MAPE that counts is the held-out one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from llmzh.catalog import entries_of, find, load_catalog
from llmzh.fit import model_arch
from llmzh.runtimes.gpus import find_gpu
from llmzh.runtimes.speed import bytes_per_token, decode_tps
from llmzh.schema import Quant

DATA = Path(__file__).parent / "data" / "speed.yaml"


def predict(row: dict[str, object], cat: object) -> float:
    gpu = find_gpu(str(row["gpu"]))
    assert gpu is not None, f"unknown GPU {row['gpu']}"
    if "model" in row:
        arch = model_arch(entries_of(cat, find(cat, str(row["model"])))[0])  # type: ignore[arg-type]
        assert arch is not None
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
    errors: dict[tuple[str, bool], list[float]] = {}
    for row in rows:
        predicted = predict(row, cat)
        error = predicted / float(row["tps"]) - 1
        held_out = row.get("role") != "calibration"
        errors.setdefault((str(row["runtime"]), held_out), []).append(error)
        if args.rows:
            what = f"{row['model']} {row['quant']}" if "model" in row else str(row.get("note", ""))[:40]
            label = f"{row['runtime']:<10} {row['gpu']:<12} {what:<40}"
            print(f"{label} {row['tps']:>8.2f} ≈{predicted:>8.2f} {error:+.1%}")
    for (runtime, held_out), errs in sorted(errors.items()):
        mape = sum(abs(e) for e in errs) / len(errs)
        worst = max(errs, key=abs)
        label = "held out" if held_out else "calibration"
        print(f"{runtime:<10} {label:<12} rows {len(errs):>3}  MAPE {mape:6.1%}  worst {worst:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

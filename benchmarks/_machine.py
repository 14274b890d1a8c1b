"""What a benchmark ran on, for its JSON: the CPU model and the vector extensions that decide how fast
PyTorch and ONNX Runtime are on it (ratios between backends differ between CPUs, so a number without its
CPU is not comparable)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

_EXTENSIONS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")


def machine() -> dict:
    """``cpu_model``, ``cpu_extensions`` (those of :data:`_EXTENSIONS` present), ``cpus`` and the load average."""
    model, flags = platform.processor() or "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    return {"cpu_model": model, "cpu_extensions": [e for e in _EXTENSIONS if e in flags], "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}

"""A run's provenance (environment.json): package versions, git commit, device, the launch settings that
change results, and the seeds. Beside the loop rather than in ``textmad.rundir``: it asks torch and the
model about the device and dtype, and the run-directory layout stays torch-free."""
from __future__ import annotations

import datetime
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "transformers", "accelerate", "datasets", "peft", "sentencepiece", "tokenizers",
            "safetensors", "numpy", "gguf", "textmad")


def _git_commit() -> dict:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}
    if head.returncode:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def launch_settings(recipe, accelerator) -> dict:
    """The launch choices that change results: a resume must use the same ones."""
    from textmad.model import model_dtype

    return {"num_processes": accelerator.num_processes, "device_type": accelerator.device.type,
            "mixed_precision": str(accelerator.mixed_precision),
            "dtype": str(model_dtype(recipe, accelerator)).removeprefix("torch.")}


def environment_record(recipe, accelerator, seeds: dict) -> dict:
    import torch

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    device = str(accelerator.device)
    if accelerator.device.type == "cuda":
        device += f" ({torch.cuda.get_device_name(accelerator.device)})"
    return {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git": _git_commit(),
        "device": device,
        "num_processes": accelerator.num_processes,
        "distributed_type": str(accelerator.distributed_type),
        "mixed_precision": accelerator.mixed_precision,
        "launch": launch_settings(recipe, accelerator),
        "torch_threads": torch.get_num_threads(),
        "seeds": seeds,
    }

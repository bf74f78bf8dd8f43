"""How much a busy CPU slows `textmad run` at two threads, with OpenMP's default wait policy and with
the passive one textmad now sets (OMP_WAIT_POLICY=PASSIVE unless the environment says otherwise).

Runs recipes/tiny.yaml (or --recipe, with --override KEY=VALUE) alone and beside a CPU-bound process
(a Python busy loop per --busy), each setting in turn (paired, ABAB...), and prints wall seconds, the
load average and the machine's other processes' share. Usage:
    python benchmarks/bench_threads.py [--repeats 2] [--busy 1] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"default wait policy (old)": "", "OMP_WAIT_POLICY=PASSIVE (new default)": "PASSIVE"}


def timed_run(recipe: str, overrides: list[str], threads: int, policy: str, out: Path) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": policy,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "textmad", "run", recipe, f"output_dir={out}",
                    f"corpus.prepared_dir={out.parent / 'prepared'}", *overrides],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default=str(ROOT / "recipes" / "tiny.yaml"))
    p.add_argument("--override", action="append", default=[])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--busy", type=int, default=1, help="CPU-bound processes beside the run")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; recipe {args.recipe} {' '.join(args.override)}; "
          f"{args.threads} threads")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        timed_run(args.recipe, args.override, args.threads, "", base / "warm")  # prepares the corpus once
        for busy in (0, args.busy):
            hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
            try:
                times = {name: [] for name in SETTINGS}
                for r in range(args.repeats):
                    for name, policy in SETTINGS.items():
                        times[name].append(timed_run(args.recipe, args.override, args.threads, policy,
                                                     base / f"b{busy}-{r}-{policy or 'default'}"))
            finally:
                for hog in hogs:
                    hog.kill()
            for name, values in times.items():
                print(f"{'alone' if not busy else f'beside {busy} busy process(es)':<28} {name:<40} "
                      f"{' '.join(f'{v:6.1f}' for v in values)} s (median {sorted(values)[len(values) // 2]:.1f})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

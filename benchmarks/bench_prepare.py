"""Corpus preparation time against input size: one long line of text, 8/16/32/64 MB.

    python benchmarks/bench_prepare.py [SIZE_MB ...]

Each input is a single line (no paragraph breaks), so every document is cut out of one paragraph:
the case that was quadratic (a 50 MB line took 437 s). The text is the Lee corpus's news stories
repeated with a counter so that no two documents are duplicates. Linear time shows as a ratio near
2 per doubling of the input.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textmad.corpus import get_card, prepare  # noqa: E402
from textmad.corpus.sources import card_files  # noqa: E402
from textmad.recipe import CorpusConfig, SourceConfig  # noqa: E402


def single_line(n_bytes: int) -> str:
    stories = card_files(get_card("lee-en"))[0][0].read_text(encoding="utf-8").split()
    parts, size, i = [], 0, 0
    while size < n_bytes:
        word = stories[i % len(stories)] + (f" {i}" if i % 50 == 0 else "")
        parts.append(word)
        size += len(word.encode("utf-8")) + 1
        i += 1
    return " ".join(parts)


def main(sizes_mb: list[int]) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    print(f"bench_prepare at commit {commit or 'unknown'}: textmad corpus prepare of one single-line .txt file")
    print(f"{'MB':>4} {'seconds':>8} {'ratio':>6} {'documents':>9}")
    previous = None
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes_mb:
            path = Path(tmp) / f"line-{mb}.txt"
            path.write_text(single_line(mb << 20), encoding="utf-8")
            cfg = CorpusConfig(name=path.stem, source=SourceConfig(kind="local", path=str(path)), language="en",
                               prepared_dir=str(Path(tmp) / "prepared"))
            start = time.perf_counter()
            corpus = prepare(cfg)
            seconds = time.perf_counter() - start
            ratio = f"{seconds / previous:6.2f}" if previous else f"{'':>6}"
            print(f"{mb:>4} {seconds:8.1f} {ratio} {corpus.manifest['counts']['documents']:>9}", flush=True)
            previous = seconds
            path.unlink()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [8, 16, 32, 64])

"""Test data, located once through the corpus sources (so tests read the pinned files the corpora read)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from textmad.corpus import sources
from textmad.errors import UserError


def gensim_file(name: str) -> Path:
    """A gensim test-data file, at the gensim version textmad's corpora are pinned to."""
    return sources.gensim_test_file(name)[0]


def lee_path() -> Path:
    return gensim_file(sources.LEE_FILE)


@lru_cache(maxsize=1)
def lee_lines() -> tuple[str, ...]:
    """The Lee corpus's 300 English news stories, one per line."""
    return tuple(line for line in lee_path().read_text(encoding="utf-8").splitlines() if line.strip())


def lee_text() -> str:
    return "\n".join(lee_lines())


@lru_cache(maxsize=1)
def quran_bn_verses() -> tuple[str, ...]:
    """The verses of the first Bengali Quran translation; skips the test when the Debian package is absent."""
    try:
        source = sources.BUILTIN_SOURCES["quran-bn"]()
    except UserError as e:
        pytest.skip(f"quran-bn is not installed (scripts/install-debian-corpora.sh installs it): {e}")
    return tuple(text for _, _, text in sources.quran_verses(source.files[0]))


def quran_bn_text(n_verses: int = 1000) -> str:
    return "\n".join(quran_bn_verses()[:n_verses])

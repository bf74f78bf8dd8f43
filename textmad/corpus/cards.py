"""Corpus cards: one YAML file per built-in corpus (package data in cards/), saying what it is and how to get it."""
from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from textmad.errors import UserError

CARDS_DIR = Path(__file__).resolve().parent / "cards"  # package data: found in a wheel too


@dataclass
class CorpusCard:
    name: str
    language: str  # ISO 639-1
    register: str  # the kind of text: encyclopedic, news, religious, ...
    source: str
    licence: str
    obtain: str  # the command or package that provides the raw text
    expected_size: dict  # per split at the default config: documents, words, bytes
    summary: str
    notes: str = ""
    path: Path | None = field(default=None, compare=False)


def read_card(path: Path) -> CorpusCard:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise UserError(f"{path}: not valid YAML: {e}") from None
    fields = [f.name for f in dataclasses.fields(CorpusCard) if f.name != "path"]
    if not isinstance(data, dict):
        raise UserError(f"{path}: a corpus card is a YAML mapping with keys {', '.join(fields)}")
    unknown = sorted(set(data) - set(fields))
    missing = [f for f in fields if f not in data and f != "notes"]
    if unknown or missing:
        raise UserError(f"{path}: unknown keys {unknown}, missing keys {missing}; a card has {', '.join(fields)}")
    return CorpusCard(**data, path=path)


def list_corpora() -> list[CorpusCard]:
    """Every built-in corpus, from its card in CARDS_DIR, sorted by name."""
    return sorted((read_card(p) for p in CARDS_DIR.glob("*.yaml")), key=lambda c: c.name)


def get_card(name: str) -> CorpusCard:
    cards = {c.name: c for c in list_corpora()}
    if name not in cards:
        close = difflib.get_close_matches(name, cards, n=1, cutoff=0.4)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown corpus {name!r}{hint} Built-in corpora: {', '.join(cards)} "
                        f"(or give a path to a .txt/.jsonl/.parquet file or directory)")
    return cards[name]

"""Corpus cards: one YAML file per corpus, the only place that says what a corpus is, where its files are,
what it needs installed, how it is read and how to get it.

The shipped cards are ``corpora/*.yaml`` (package data: ``textmad/corpora`` links to it, a wheel holds
copies). A user adds a corpus by writing a card into a folder named by ``$TEXTMAD_CORPORA`` (several
folders separated by ``:``); README's "Corpus cards" section gives the schema.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from textmad.corpus.sources import READERS
from textmad.corpus.splits import SPLITS
from textmad.corpus.vocab import check_language
from textmad.errors import UserError

CARDS_DIR = Path(__file__).resolve().parents[1] / "corpora"  # package data: found in a wheel too
USER_CARDS = "TEXTMAD_CORPORA"  # environment variable: folders of the user's own cards
NEEDS = {"pip": "NAME or NAME==VERSION", "extra": "an extra of textmad, with pip", "debian": "PACKAGE"}
_NEED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*(==[A-Za-z0-9][A-Za-z0-9._+!-]*)?")
# The corpus.* settings a card's expected_size can be measured at.
SPLIT_SETTINGS = ("seed", "heldout_share", "fresh_share", "min_chars", "max_chars", "max_docs", "aligned_verses")
SIZE_FIGURES = ("documents", "words", "bytes")


@dataclass
class CorpusCard:
    name: str  # the card's file name without .yaml; what recipes call the corpus (corpus.name)
    language: str  # ISO 639-1
    register: str  # the kind of text: encyclopedic, news, religious, ...
    source: str  # where the text comes from, in words
    licence: str
    obtain: str  # the command or package that provides the raw text, offline once installed
    summary: str  # one line for `textmad ls`
    reader: str  # how its files become documents: a key of textmad.corpus.sources.READERS
    files: dict  # file -> what it is (quran files: the translator); where it is depends on needs
    needs: dict = field(default_factory=dict)  # {pip: NAME==VERSION, extra: EXTRA}, {debian: PACKAGE} or nothing
    split_defaults: dict = field(default_factory=dict)  # the corpus.* settings expected_size was measured at
    expected_size: dict = field(default_factory=dict)  # per split at split_defaults: documents, words, bytes
    notes: str = ""
    path: Path | None = field(default=None, compare=False)


TEXT_KEYS = ("name", "language", "register", "source", "licence", "obtain", "summary", "reader", "notes")
OPTIONAL = ("needs", "split_defaults", "expected_size", "notes")


def _check_needs(path: Path, needs) -> dict:
    if needs is None:
        return {}
    accepted = ("accepted: {pip: NAME==VERSION} (or NAME unpinned; optionally with extra: EXTRA, the textmad extra "
                "that installs it), {debian: PACKAGE}, or no needs (the files are paths on this machine)")
    if (not isinstance(needs, dict) or set(needs) - set(NEEDS) or ("pip" in needs) == ("debian" in needs)
            or ("extra" in needs and "pip" not in needs)):
        raise UserError(f"{path}: needs = {needs!r}; {accepted}")
    for key, value in needs.items():
        if not isinstance(value, str) or not _NEED.fullmatch(value):
            raise UserError(f"{path}: needs.{key} = {value!r}; a package name ({NEEDS[key]}); {accepted}")
    return needs


def _check_sizes(path: Path, data: dict) -> None:
    defaults = data.get("split_defaults") or {}
    unknown = sorted(set(defaults) - set(SPLIT_SETTINGS))
    if unknown:
        raise UserError(f"{path}: split_defaults.{unknown[0]} is not a corpus setting; accepted: "
                        f"{', '.join(SPLIT_SETTINGS)}")
    for key, value in defaults.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{path}: split_defaults.{key} = {value!r}; a number (the corpus.{key} of a recipe)")
    for split, figures in (data.get("expected_size") or {}).items():
        if split not in SPLITS:
            raise UserError(f"{path}: expected_size.{split}: not a split; accepted: {', '.join(SPLITS)}")
        if not isinstance(figures, dict) or set(figures) - set(SIZE_FIGURES) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in figures.values()):
            raise UserError(f"{path}: expected_size.{split} = {figures!r}; a mapping of "
                            f"{', '.join(SIZE_FIGURES)} to counts, e.g. {{documents: 100, words: 20000}}")


def read_card(path: Path) -> CorpusCard:
    """The card in ``path``, checked: every error names the file, the key, the value and what is accepted."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise UserError(f"{path}: not valid YAML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot be read as a corpus card: {e}") from None
    fields = [f.name for f in dataclasses.fields(CorpusCard) if f.name != "path"]
    if not isinstance(data, dict):
        raise UserError(f"{path}: a corpus card is a YAML mapping with keys {', '.join(fields)} "
                        f"({', '.join(OPTIONAL)} optional)")
    unknown = sorted(set(map(str, data)) - set(fields))
    if unknown:
        close = difflib.get_close_matches(unknown[0], fields, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(f"{path}: unknown key {unknown[0]!r}{hint}; a card has {', '.join(fields)}")
    missing = [f for f in fields if f not in data and f not in OPTIONAL]
    if missing:
        raise UserError(f"{path}: missing key(s) {', '.join(missing)}; a card has {', '.join(fields)} "
                        f"({', '.join(OPTIONAL)} optional); README's 'Corpus cards' section gives the schema")
    for key in TEXT_KEYS:
        if key in data and (not isinstance(data[key], str) or (key != "notes" and not data[key].strip())):
            raise UserError(f"{path}: {key} = {data[key]!r}; a non-empty string")
    if path.stem != data["name"]:
        raise UserError(f"{path}: name = {data['name']!r}, but the card of corpus {data['name']!r} must be called "
                        f"{data['name']}.yaml (the file name is how recipes find it)")
    check_language(data["language"], key=f"{path}: language")
    if data["reader"] not in READERS:
        raise UserError(f"{path}: reader = {data['reader']!r}; accepted: "
                        + "; ".join(f"{name} ({reader.what})" for name, reader in READERS.items()))
    files = data["files"]
    if isinstance(files, list):  # files without descriptions
        files = dict.fromkeys(files, "")
    if not files or not isinstance(files, dict) or not all(isinstance(f, str) and f.strip() for f in files):
        raise UserError(f"{path}: files = {data['files']!r}; a list (or a mapping to descriptions) of at least one "
                        f"file the corpus is read from")
    if READERS[data["reader"]].one_file and len(files) != 1:
        raise UserError(f"{path}: files = {list(files)}; the {data['reader']} reader reads exactly one file")
    for key in ("split_defaults", "expected_size"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise UserError(f"{path}: {key} = {data[key]!r}; a mapping")
    _check_sizes(path, data)
    return CorpusCard(**{**data, "files": {f: "" if d is None else str(d) for f, d in files.items()},
                         "needs": _check_needs(path, data.get("needs")),
                         "split_defaults": data.get("split_defaults") or {},
                         "expected_size": data.get("expected_size") or {}}, path=path)


def card_dirs() -> list[Path]:
    """The shipped cards' folder, then the user's ($TEXTMAD_CORPORA)."""
    user = [Path(p).expanduser() for p in os.environ.get(USER_CARDS, "").split(os.pathsep) if p]
    for folder in user:
        if not folder.is_dir():
            raise UserError(f"${USER_CARDS}: {folder} is not a folder (it names folders of corpus cards, "
                            f"separated by {os.pathsep!r})")
    return [CARDS_DIR, *user]


def list_corpora() -> list[CorpusCard]:
    """Every corpus with a card (shipped, then the user's), sorted by name; two cards of one name are an error."""
    cards: dict[str, CorpusCard] = {}
    for folder in card_dirs():
        for p in sorted(folder.glob("*.yaml")):
            card = read_card(p)
            if card.name in cards:
                raise UserError(f"{p}: corpus {card.name!r} has a card already ({cards[card.name].path}); "
                                f"call it something else (the file name is the corpus name)")
            cards[card.name] = card
    return sorted(cards.values(), key=lambda c: c.name)


def get_card(name: str) -> CorpusCard:
    cards = {c.name: c for c in list_corpora()}
    if name not in cards:
        close = difflib.get_close_matches(name, cards, n=1, cutoff=0.4)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown corpus {name!r}{hint} Corpora with a card: {', '.join(cards)} "
                        f"(or give a path to a .txt/.jsonl/.parquet file or directory, or add a card of your own "
                        f"to a folder named by ${USER_CARDS})")
    return cards[name]

"""Deduplication and the three disjoint splits: train, heldout, fresh.

Splits are assigned by group (a group's documents always share a split), in an order fixed by
sha256(seed, group): deterministic across machines and Python versions, unlike ``hash()``.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from textmad.corpus.normalize import fold
from textmad.text import tokens
from textmad.errors import UserError
from textmad.io import sha256_text

SPLITS = ("train", "heldout", "fresh")


@dataclass
class Document:
    id: str
    text: str
    group: str


def deduplicate(docs: list[Document]) -> tuple[list[Document], int, int]:
    """Keep the first of every set of duplicates: (kept, exact duplicates, near-duplicates).

    A near-duplicate equals a kept document after case folding and whitespace collapsing.
    """
    kept, exact_seen, near_seen = [], set(), set()
    exact = near = 0
    for doc in docs:
        e, n = sha256_text(doc.text), sha256_text(fold(doc.text))
        if e in exact_seen:
            exact += 1
        elif n in near_seen:
            near += 1
        else:
            exact_seen.add(e)
            near_seen.add(n)
            kept.append(doc)
    return kept, exact, near


def _rank(seed: int, group: str) -> str:
    return hashlib.sha256(f"{seed}\0{group}".encode("utf-8")).hexdigest()


def assign(docs: list[Document], seed: int, heldout_share: float, fresh_share: float, max_docs: int = 0,
           what: str = "corpus", by_group: bool = False) -> dict[str, list[Document]]:
    """Shuffle by group, keep at most ``max_docs`` documents, and fill heldout, then fresh, then train.

    ``by_group``: shares and ``max_docs`` count groups, not documents, so a group's split depends only on
    the seed and the set of group ids (aligned corpora: the same verse ranges in every language,
    however many documents or characters a language has per range).
    """
    position = {id(d): i for i, d in enumerate(docs)}
    ordered = sorted(docs, key=lambda d: (_rank(seed, d.group), position[id(d)]))
    unit = "group" if by_group else "document"
    units = list(dict.fromkeys(d.group for d in ordered)) if by_group else ordered
    if max_docs:
        units = units[:max_docs]
        if by_group:
            kept = set(units)
            ordered = [d for d in ordered if d.group in kept]
        else:
            ordered = units
    n = len(units)
    want = {"heldout": max(1, round(n * heldout_share)),
            "fresh": max(1, round(n * fresh_share)) if fresh_share > 0 else 0}
    needed = want["heldout"] + want["fresh"] + 1
    if n < needed:
        raise UserError(f"{what}: {n} {unit}(s) is too small for the requested splits "
                        f"(heldout_share={heldout_share:g}, fresh_share={fresh_share:g} need at least {needed}: "
                        f"one train {unit} plus {want['heldout']} heldout and {want['fresh']} fresh); "
                        f"use more text, a smaller corpus.min_chars, or a larger corpus.max_docs")
    out = {name: [] for name in SPLITS}
    filled = dict.fromkeys(SPLITS, 0)
    group_split: dict[str, str] = {}
    for doc in ordered:
        split = group_split.get(doc.group)
        if split is None:
            split = next((s for s in ("heldout", "fresh") if filled[s] < want[s]), "train")
            group_split[doc.group] = split
            if by_group:
                filled[split] += 1
        out[split].append(doc)
        if not by_group:
            filled[split] += 1
    empty = [s for s in SPLITS if not out[s] and (s != "fresh" or fresh_share > 0)]
    if empty:
        raise UserError(f"{what}: the split(s) {', '.join(empty)} came out empty: {n} {unit}s in "
                        f"{len(group_split)} group(s) are too few to share out; use more text")
    return out


def split_stats(texts: list[str]) -> dict:
    """Document, word, byte and type/token figures of one split (words as the evaluators count them)."""
    counts = Counter(w for t in texts for w in tokens(t))
    total = sum(counts.values())
    return {
        "documents": len(texts),
        "words": total,
        "bytes": sum(len(t.encode("utf-8")) for t in texts),
        "characters": sum(len(t) for t in texts),
        "types": len(counts),
        "hapax": sum(1 for c in counts.values() if c == 1),
        "type_token_ratio": round(len(counts) / total, 6) if total else 0.0,
    }

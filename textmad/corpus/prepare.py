"""`prepare`: a source turned into normalised, deduplicated train/heldout/fresh splits with a manifest.

Prepared corpora are cached in a folder named after a hash of the config fields that change the
content; a folder is reused only when its manifest matches the config, the source files and the
split files. A new folder is built beside the old one and swapped in by rename (``io.atomic_dir``),
so a failed or interrupted preparation never leaves a half-written corpus behind, and the next
preparation removes the temporary folder a killed one left.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from pathlib import Path

import regex

from textmad.corpus.cards import CorpusCard, get_card, list_corpora
from textmad.corpus.normalize import clean_text, fold, pack
from textmad.corpus.sources import READERS, Source, card_source, hub_source, local_source
from textmad.corpus.splits import SPLITS, Document, assign, deduplicate, split_stats
from textmad.corpus.vocab import check_language
from textmad.errors import UserError
from textmad.io import atomic_dir, clean_stale, read_json, read_jsonl, sha256_file, write_json, write_jsonl
from textmad.recipe import CorpusConfig
from textmad.rundir import MANIFEST, split_file

# Bump when normalisation, splitting or word counting changes what a config produces: old caches are then rebuilt.
PIPELINE_VERSION = 3
CONTENT_FIELDS = ("name", "source", "language", "seed", "heldout_share", "fresh_share",
                  "min_chars", "max_chars", "max_docs")


class PreparedCorpus:
    """A prepared corpus folder: manifest.json and one JSONL file per split."""

    def __init__(self, path: str | Path, manifest: dict | None = None, reused: bool = False):
        self.dir = Path(path)
        self.reused = reused  # True when an existing preparation matched the config
        self.manifest = manifest if manifest is not None else read_manifest(self.dir)

    @property
    def language(self) -> str:
        return self.manifest["language"]

    @property
    def name(self) -> str:
        return self.manifest["corpus"]

    def split(self, name: str) -> list[dict]:
        """The documents of one split, each {"id": str, "text": str}."""
        if name not in SPLITS:
            raise UserError(f"unknown split {name!r}; accepted: {', '.join(SPLITS)}")
        return read_jsonl(self.dir / self.manifest["splits"][name]["file"])

    def __repr__(self) -> str:
        return f"PreparedCorpus({str(self.dir)!r})"


def read_manifest(path: str | Path) -> dict:
    """The full manifest of the prepared corpus in ``path`` (corpus, language and every split's file and
    sha256); a UserError naming the file when it is missing, damaged or not one textmad wrote."""
    path = Path(path)
    file = path / MANIFEST
    try:
        manifest = read_json(file)
    except FileNotFoundError:
        raise UserError(f"{path}: not a prepared corpus (no {MANIFEST}); prepare one with "
                        f"`textmad corpus prepare NAME`") from None
    except (OSError, ValueError) as e:
        raise UserError(f"{file}: cannot be read ({e}); the prepared corpus {path} is damaged: delete the folder "
                        f"and prepare it again (`textmad corpus prepare`, or `textmad run`, which prepares "
                        f"what it needs)") from None
    splits = manifest.get("splits") if isinstance(manifest, dict) else None
    if not (isinstance(splits, dict) and all(isinstance(splits.get(s), dict) and
                                             splits[s].get("file") == split_file(s) for s in SPLITS)
            and isinstance(manifest.get("corpus"), str) and isinstance(manifest.get("language"), str)):
        raise UserError(f"{file}: not the manifest of a prepared corpus (it needs corpus, language and the "
                        f"splits {', '.join(SPLITS)} with their files); textmad did not write {path}")
    return manifest


def check_prepared(path: str | Path) -> dict:
    """The manifest of ``path`` when every split file still has the sha256 it records: what the loop checks
    before it reuses a preparation, checked by the views too."""
    path = Path(path)
    manifest = read_manifest(path)
    for split in SPLITS:
        file = path / manifest["splits"][split]["file"]
        if not file.is_file() or sha256_file(file) != manifest["splits"][split].get("sha256"):
            raise UserError(f"{file}: {'missing' if not file.is_file() else 'changed'} since it was prepared "
                            f"(its sha256 is recorded in {path / MANIFEST}); its figures would be wrong: prepare "
                            f"the corpus again with --force (`textmad run` rebuilds it by itself)")
    return manifest


def load_prepared(path: str | Path) -> PreparedCorpus:
    """A prepared corpus folder, checked against its manifest's hashes."""
    return PreparedCorpus(path, check_prepared(path))


def _check_replaceable(out: Path) -> None:
    """Refuse to replace ``out`` unless it is empty or a prepared corpus holding only its own files:
    replacing a folder deletes everything in it."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder; refusing to replace it, choose another output folder")
    entries = {p.name for p in out.iterdir()}
    if not entries:
        return
    if MANIFEST not in entries:
        raise UserError(f"{out}: exists and is not a prepared corpus (no {MANIFEST}); "
                        f"refusing to overwrite it, choose another output folder")
    read_manifest(out)
    foreign = sorted(entries - {MANIFEST, *(split_file(s) for s in SPLITS)})
    if foreign:
        raise UserError(f"{out}: holds files a prepared corpus does not ({', '.join(foreign[:5])}"
                        f"{', ...' if len(foreign) > 5 else ''}); preparing would delete them: choose another "
                        f"output folder")


def content_config(cfg: CorpusConfig) -> dict:
    data = dataclasses.asdict(cfg)
    # aligned_verses only when set, so that the caches of every unaligned corpus keep their hash.
    aligned = {"aligned_verses": cfg.aligned_verses} if cfg.aligned_verses else {}
    return {"pipeline_version": PIPELINE_VERSION, **{k: data[k] for k in CONTENT_FIELDS}, **aligned}


def config_hash(cfg: CorpusConfig) -> str:
    blob = json.dumps(content_config(cfg), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:10]


def default_dir(cfg: CorpusConfig) -> Path:
    safe = regex.sub(r"[^\p{L}\p{M}\p{N}._-]+", "_", cfg.name).strip("_") or "corpus"
    return Path(cfg.prepared_dir) / f"{safe}-{config_hash(cfg)}"


def resolve_source(cfg: CorpusConfig) -> tuple[Source, CorpusCard | None, str]:
    """The located source, its card (corpora with a card only) and the corpus language."""
    kind = cfg.source.kind if cfg.source is not None else "builtin"
    if kind == "builtin":
        name = cfg.source.name if cfg.source is not None and cfg.source.name else cfg.name
        card = get_card(name)
        if cfg.language and cfg.language != card.language:
            raise UserError(f"corpus.language = {cfg.language!r}, but the corpus {name!r} is {card.language!r} "
                            f"(its card {card.path} says so); leave corpus.language empty for a corpus with a card")
        return card_source(card), card, card.language
    if not cfg.language:
        raise UserError(f"corpus.language (--language on the command line) is required for a {kind} source (an ISO 639-1 code such as en or bn): "
                        f"metrics segment words and pick reference vocabularies by language")
    check_language(cfg.language)
    source = local_source(cfg.source) if kind == "local" else hub_source(cfg.source)
    return source, None, cfg.language


def _is_current(out: Path, config: dict, files: list[dict]) -> dict | None:
    """The manifest of ``out`` when it was prepared from this config and these source files, intact."""
    try:
        manifest = read_json(out / MANIFEST)
        if manifest.get("config") != config or manifest.get("source", {}).get("files") != files:
            return None
        for split in SPLITS:
            entry = manifest["splits"][split]
            if sha256_file(out / entry["file"]) != entry["sha256"]:
                return None
        return manifest
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _documents(source: Source, cfg: CorpusConfig) -> tuple[list[Document], dict]:
    docs, counts = [], {"passages": 0, "pieces": 0, "too_short": 0}
    for passage in source.passages(cfg):
        counts["passages"] += 1
        text = clean_text(passage.text, markup=source.markup)
        # An aligned verse range is one document in every language: cutting or dropping it by length
        # would give each language different documents.
        pieces = [text] if cfg.aligned_verses else pack(text, cfg.max_chars)
        counts["pieces"] += len(pieces)
        for k, text in enumerate(pieces):
            if len(text) < cfg.min_chars and not cfg.aligned_verses:
                counts["too_short"] += 1
                continue
            doc_id = passage.id if len(pieces) == 1 else f"{passage.id}#{k}"
            docs.append(Document(doc_id, text, passage.group or doc_id))
    if source.dropped is not None:
        counts["dropped_rows"] = dict(sorted(source.dropped.items()))
    return docs, counts


def _build(tmp: Path, cfg: CorpusConfig, source: Source, card: CorpusCard | None, language: str,
           config: dict, files: list[dict]) -> dict:
    docs, counts = _documents(source, cfg)
    if not docs:
        raise UserError(f"corpus {cfg.name!r}: no document of at least corpus.min_chars = {cfg.min_chars} "
                        f"characters in {counts['passages']} passage(s); lower min_chars or check the source")
    kept, counts["exact_duplicates"], counts["near_duplicates"] = deduplicate(docs)
    if cfg.aligned_verses and len(kept) < len(docs):
        # Dropping a range in one language only would break the alignment with the others.
        first, repeats = {}, []
        for d in docs:
            if (key := fold(d.text)) in first:
                repeats.append(f"{d.id} (= {first[key]})")
            first.setdefault(key, d.id)
        raise UserError(f"corpus {cfg.name!r}: with corpus.aligned_verses = {cfg.aligned_verses} the verse "
                        f"range(s) {', '.join(repeats)} repeat another range's text, and aligned ranges are never "
                        f"dropped; choose another corpus.aligned_verses (3 and 5 give no repeats in any quran-* corpus)")
    docs, counts["documents"] = kept, len(kept)
    splits = assign(docs, cfg.seed, cfg.heldout_share, cfg.fresh_share, cfg.max_docs, what=f"corpus {cfg.name!r}",
                    by_group=bool(cfg.aligned_verses))
    entries = {}
    for name in SPLITS:
        file = f"{name}.jsonl"
        write_jsonl(tmp / file, ({"id": d.id, "text": d.text} for d in splits[name]))
        entries[name] = {"file": file, "sha256": sha256_file(tmp / file),
                         **split_stats([d.text for d in splits[name]])}
    card_info = ({k: v for k, v in dataclasses.asdict(card).items() if k not in ("path", "expected_size")}
                 if card else {"name": cfg.name})
    manifest = {
        "corpus": cfg.name,
        "language": language,
        "card": card_info,
        "source": {"package": source.package, "version": source.version, "files": files, **source.details},
        "seed": cfg.seed,
        "config": config,
        "counts": counts,
        "splits": entries,
    }
    write_json(tmp / MANIFEST, manifest)  # last
    return manifest


def prepare(cfg: CorpusConfig, out_dir: str | Path | None = None, force: bool = False) -> PreparedCorpus:
    """Prepare (or reuse) the splits of ``cfg`` in ``out_dir`` (default: cfg.prepared_dir/<name>-<hash>)."""
    if not (0 < cfg.heldout_share < 1 and 0 <= cfg.fresh_share < 1):
        raise UserError(f"corpus.heldout_share = {cfg.heldout_share:g}, corpus.fresh_share = {cfg.fresh_share:g}; "
                        f"accepted: 0 < heldout_share < 1 and 0 <= fresh_share < 1")
    if cfg.min_chars < 1 or cfg.max_docs < 0 or cfg.seed < 0:
        raise UserError(f"corpus.min_chars = {cfg.min_chars}, corpus.max_docs = {cfg.max_docs}, "
                        f"corpus.seed = {cfg.seed}; accepted: min_chars >= 1, max_docs >= 0, seed >= 0")
    if cfg.heldout_share + cfg.fresh_share >= 1:
        raise UserError(f"corpus.heldout_share + corpus.fresh_share = {cfg.heldout_share + cfg.fresh_share:g}; "
                        f"they must leave a training pool (sum < 1)")
    if cfg.min_chars > cfg.max_chars:
        raise UserError(f"corpus.min_chars = {cfg.min_chars} exceeds corpus.max_chars = {cfg.max_chars}")
    source, card, language = resolve_source(cfg)
    if cfg.aligned_verses and not source.aligns:
        raise UserError(f"corpus.aligned_verses = {cfg.aligned_verses}, but corpus {cfg.name!r} has no aligned "
                        f"verse ranges; it applies to the corpora "
                        f"{', '.join(c.name for c in list_corpora() if READERS[c.reader].aligns)} "
                        f"(or set it to 0)")
    out = Path(out_dir) if out_dir is not None else default_dir(cfg)
    _check_replaceable(out)
    config = content_config(cfg)
    files = [{"path": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in source.files]
    if out.parent.is_dir():
        clean_stale(out)  # temporary folders of a preparation that was killed
    if not force and (manifest := _is_current(out, config, files)):
        return PreparedCorpus(out, manifest, reused=True)
    created = [p for p in (out.parent, *out.parent.parents) if not p.exists()]
    try:
        with atomic_dir(out) as tmp:
            manifest = _build(tmp, cfg, source, card, language, config, files)
    except BaseException:
        for folder in created:  # innermost first: a failed preparation leaves no empty folders behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return PreparedCorpus(out, manifest)

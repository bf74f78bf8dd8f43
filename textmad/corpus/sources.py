"""Where raw text comes from: the readers of corpus cards (corpora/*.yaml), local files and Hugging Face datasets.

The corpora themselves (files, packages, translators) are facts of their cards; this module reads formats.

A source yields ``Passage``s: raw text with a stable id and a split group. Passages of one group
always land in the same split (the two Bengali translations of one Quran passage share a group,
so neither can leak the other into a different split).
"""
from __future__ import annotations

import bz2
import codecs
import dataclasses
import gzip
import importlib.metadata
import importlib.util
import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import regex

from textmad.corpus.normalize import SENTENCE_END, clean_text
from textmad.errors import UserError
from textmad.recipe import CorpusConfig, SourceConfig

if TYPE_CHECKING:  # cards.py imports this module (its readers); sources only read a card's fields
    from textmad.corpus.cards import CorpusCard

INSTALL_DEBIAN = Path(__file__).resolve().parents[2] / "scripts" / "install-debian-corpora.sh"


@dataclass
class Passage:
    id: str
    text: str
    group: str | None = None  # None: every document cut from this passage is its own group


@dataclass
class Source:
    """A located source: its files (hashed into the manifest), package provenance and passages."""
    package: str
    version: str
    files: list[Path]
    passages: Callable[[CorpusConfig], Iterator[Passage]]
    details: dict = field(default_factory=dict)
    markup: bool = False  # the text is markup (a wiki dump, HTML): tags and entities are stripped
    dropped: Counter | None = None  # rows without text, by reason, filled while passages are read
    aligns: bool = False  # yields the same verse ranges in every language when corpus.aligned_verses is set


# ---------------------------------------------------------------- where a card's files are

def pip_files(spec: str, rel_paths: list[str], extra: str = "") -> tuple[list[Path], str]:
    """Files inside an installed Python package, pinned as ``name==version`` or not (a card's needs.pip)."""
    # Located without importing the package (gensim: seconds of start-up) so that a cached corpus opens fast.
    name, _, pinned = spec.partition("==")
    how = f"pip install 'textmad[{extra}]' (which pins {spec})" if extra else f"pip install {spec}"
    found = importlib.util.find_spec(name.replace("-", "_"))
    if found is None or not found.submodule_search_locations:
        raise UserError(f"this corpus reads files shipped with {name}, which is not installed; install it with: {how}")
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:  # importable, but installed under another distribution name
        version = ""
    if pinned and version != pinned:
        raise UserError(f"this corpus is pinned to the files shipped in {name} {pinned} (found {name} {version}, "
                        f"whose files may differ); install the pinned version with: pip install {spec}")
    paths = [Path(found.submodule_search_locations[0]) / p for p in rel_paths]
    for path in paths:
        if not path.is_file():
            raise UserError(f"{path}: missing from the {name} installation; reinstall it with: "
                            f"pip install --force-reinstall {spec}")
    return paths, version


def _own_files(card: CorpusCard) -> list[Path]:
    """A card's files when it needs no package: paths on this machine, relative to the card's folder."""
    paths = [card.path.parent / Path(os.path.expandvars(p)).expanduser() for p in card.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UserError(f"{card.path}: files {', '.join(missing)} do not exist (a card without needs names files "
                        f"on this machine, relative to the card's folder)")
    return paths


def card_files(card: CorpusCard) -> tuple[list[Path], str]:
    """The card's files where what it needs put them, and that package's version; a UserError saying how to
    install what is missing."""
    if "pip" in card.needs:
        return pip_files(card.needs["pip"], list(card.files), card.needs.get("extra", ""))
    if "debian" in card.needs:
        return _debian_files(card.needs["debian"], list(card.files))
    return _own_files(card), ""


def installed(card: CorpusCard) -> tuple[bool, str]:
    """(True, "") when the corpus's files are on this machine, else (False, what to install and how)."""
    try:
        card_files(card)
    except UserError as e:
        return False, str(e)
    return True, ""


def requirement(card: CorpusCard) -> tuple[str, str]:
    """What a corpus needs installed, in a word, and the command that installs it (`textmad ls`)."""
    if "extra" in card.needs:
        return f"textmad[{card.needs['extra']}]", f"pip install 'textmad[{card.needs['extra']}]'"
    if "pip" in card.needs:
        return card.needs["pip"], f"pip install {card.needs['pip']}"
    if "debian" in card.needs:
        return "debian", f"bash scripts/install-debian-corpora.sh {card.needs['debian']}"
    return "files", f"the files {card.path} names"


def _package(card: CorpusCard) -> str:
    """The manifest's name of what provided the files."""
    if "pip" in card.needs:
        return card.needs["pip"].partition("==")[0]
    if "debian" in card.needs:
        return f"{card.needs['debian']} (Debian)"
    return "local"


# Sections of reference material rather than prose.
_WIKI_SKIP_SECTIONS = {"references", "external links", "see also", "further reading", "notes", "bibliography",
                       "sources", "footnotes", "citations", "works cited", "notes and references"}
_WIKI_HEADING = regex.compile(r"^(=+)\s*(.*?)\s*\1\s*$")
_WIKI_EMPHASIS = regex.compile(r"'{2,}")
_PROSE_END = regex.compile(rf"[{regex.escape(SENTENCE_END)}][\p{{Pe}}\p{{Pf}}'\"]*$")


def wiki_prose(markup: str) -> str:
    """An article's prose: gensim's filter_wiki, then headings, lists, tables and reference sections dropped.

    filter_wiki removes templates, links and tags but leaves bold/italic quotes, headings and list
    lines; a paragraph that does not end a sentence is a caption or a list remnant, not prose.
    """
    from gensim.corpora.wikicorpus import filter_wiki

    kept, skipping = [], False
    for block in regex.split(r"\n[^\S\n]*\n", filter_wiki(markup)):
        lines = []
        for line in block.splitlines():
            heading = _WIKI_HEADING.match(line.strip())
            if heading:
                skipping = heading.group(2).casefold() in _WIKI_SKIP_SECTIONS
                continue
            if skipping or line.lstrip().startswith(("*", "#", ":", ";", "|", "!", "{|")):
                continue
            lines.append(_WIKI_EMPHASIS.sub("", line))
        para = " ".join(" ".join(lines).split())
        if para and _PROSE_END.search(para):
            kept.append(para)
    return "\n\n".join(kept)


def _wiki_passages(path: Path) -> Callable[[CorpusConfig], Iterator[Passage]]:
    def passages(cfg):
        from gensim.corpora.wikicorpus import extract_pages

        with bz2.open(path) as f:
            for title, markup, _pageid in extract_pages(f, filter_namespaces=("0",)):
                if markup.lstrip()[:9].upper() == "#REDIRECT":
                    continue
                yield Passage(title, wiki_prose(markup))
    return passages


def _wiki_source(card: CorpusCard, paths: list[Path], version: str) -> Source:
    return Source(_package(card), version, paths, _wiki_passages(paths[0]), markup=True)


def _lines_source(card: CorpusCard, paths: list[Path], version: str) -> Source:
    def passages(cfg):
        for i, line in enumerate(read_utf8(paths[0]).splitlines()):
            if line.strip():
                yield Passage(f"story{i:03d}", line)
    return Source(_package(card), version, paths, passages)


# ---------------------------------------------------------------- Debian packages

def debian_roots() -> list[Path]:
    """Where Debian package files are looked for: the system, then the unpacked root of the install script."""
    default = Path.home() / ".cache" / "textmad" / "debian"
    return [Path("/"), Path(os.environ.get("TEXTMAD_DEBIAN_ROOT") or default)]


def _debian_version(root: Path, package: str) -> str:
    if root == Path("/"):
        try:
            out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                                 capture_output=True, text=True, check=True).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.CalledProcessError):
            pass
    changelog = root / "usr/share/doc" / package / "changelog.Debian.gz"
    if changelog.is_file():
        with gzip.open(changelog, "rt", encoding="utf-8") as f:
            first = f.readline()
        m = regex.search(r"\(([^)]+)\)", first)
        if m:
            return m.group(1)
    return "unknown"


def _debian_files(package: str, rel_paths: list[str]) -> tuple[list[Path], str]:
    for root in debian_roots():
        paths = [root / p.lstrip("/") for p in rel_paths]
        if all(p.is_file() for p in paths):
            return paths, _debian_version(root, package)
    looked = ", ".join(str(r) for r in debian_roots())
    raise UserError(f"the Debian package {package} is not installed (looked for {rel_paths[0]} under {looked}); "
                    f"install it without root with: {INSTALL_DEBIAN} (it runs `apt-get download {package}` and "
                    f"`dpkg -x` into $TEXTMAD_DEBIAN_ROOT), or system-wide with: sudo apt-get install {package}")


# Verses per sura in the Tanzil text that every file follows (6,236 in all): the reference that makes
# aligned verse ranges identical in every language.
QURAN_SURA_VERSES = (
    7, 286, 200, 176, 120, 165, 206, 75, 129, 109, 123, 111, 43, 52, 99, 128, 111, 110, 98, 135, 112, 78, 118, 64,
    77, 227, 93, 88, 69, 60, 34, 30, 73, 54, 45, 83, 182, 88, 75, 85, 54, 53, 89, 59, 37, 35, 38, 29, 18, 45, 60,
    49, 62, 55, 78, 96, 29, 22, 24, 13, 14, 11, 11, 18, 12, 12, 30, 52, 52, 44, 28, 28, 20, 56, 40, 31, 50, 40, 46,
    42, 29, 19, 36, 25, 22, 17, 19, 26, 30, 20, 15, 21, 11, 8, 8, 19, 5, 8, 8, 11, 11, 8, 3, 9, 5, 4, 7, 3, 6, 3,
    5, 4, 5, 6)
# Translations number verses "(12)", the Arabic text "﴿١٢﴾" (Arabic-Indic digits, which int() reads).
_QURAN_LINE = regex.compile(r"^\\qt@newcmd\\qurant(?:rans@[a-z]+|ext)@[ivxlcdm]+\{(.*)\\qt@no\{[(﴿](\d+)[)﴾]\}\}%?\s*$")
_TEX_MACRO = regex.compile(r"\\[\p{L}@]+\s?")
# What TeX prints for its input ligatures (longest first).
_TEX_LIGATURES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"))


def quran_verses(path: Path) -> list[tuple[int, int, str]]:
    """(sura, verse, text) for every verse of one quran-package file; verse numbers restart at 1 per sura."""
    verses, surah = [], 0
    for lineno, line in enumerate(read_utf8(path).splitlines(), 1):
        if not line.startswith("\\qt@newcmd"):
            continue
        m = _QURAN_LINE.match(line)
        if not m:
            raise UserError(f"{path}:{lineno}: not a verse line of the form "
                            f"\\qt@newcmd\\qurantrans@<lang>@<roman>{{TEXT\\qt@no{{(N)}}}}")
        number = int(m.group(2))
        if number == 1:
            surah += 1
        text = _TEX_MACRO.sub("", m.group(1)).replace("{", "").replace("}", "")
        for tex, char in _TEX_LIGATURES:
            text = text.replace(tex, char)
        verses.append((surah, number, text))
    return verses


def verse_ranges(n: int) -> list[tuple[int, int, int]]:
    """(sura, first, last): every sura cut into ranges of ``n`` consecutive verses (the last may be shorter)."""
    return [(s, a, min(a + n - 1, count)) for s, count in enumerate(QURAN_SURA_VERSES, 1)
            for a in range(1, count + 1, n)]


def _show_verses(keys: list[tuple[int, int]], n: int) -> str:
    """At most 10 verses, each with the aligned range that holds it (an extra verse belongs to none)."""
    def show(s, v):
        if s > len(QURAN_SURA_VERSES) or v > QURAN_SURA_VERSES[s - 1]:
            return f"{s}:{v}"
        first = (v - 1) // n * n + 1
        return f"{s}:{v} (range {s}:{first}-{min(first + n - 1, QURAN_SURA_VERSES[s - 1])})"
    return ", ".join(show(s, v) for s, v in keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")


def _aligned_passages(path: Path, n: int) -> Iterator[Passage]:
    """One document per verse range, id = group = "sura:first-last": the same ids in every language."""
    verses = quran_verses(path)
    text = {(s, v): t for s, v, t in verses}
    reference = {(s, v) for s, count in enumerate(QURAN_SURA_VERSES, 1) for v in range(1, count + 1)}
    missing, extra = sorted(reference - set(text)), sorted(set(text) - reference)
    problems = ([f"missing {_show_verses(missing, n)}"] if missing else []) + \
               ([f"extra {_show_verses(extra, n)}"] if extra else [])
    if len(verses) != len(text):
        problems.append(f"{len(verses) - len(text)} verse(s) listed twice")
    if problems:
        raise UserError(f"{path}: not the {len(reference):,} verses of the aligned group (corpus.aligned_verses = "
                        f"{n}): {'; '.join(problems)}; every language of the group must hold the same verses")
    for s, a, b in verse_ranges(n):
        range_id = f"{s}:{a}-{b}"
        yield Passage(range_id, " ".join(text[(s, v)] for v in range(a, b + 1)), range_id)


def _quran_passages(paths: list[Path]) -> Callable[[CorpusConfig], Iterator[Passage]]:
    def passages(cfg):
        if cfg.aligned_verses:
            yield from _aligned_passages(paths[0], cfg.aligned_verses)
            return
        translations = {p.name.split(".")[0].removeprefix("qurantext-"): quran_verses(p) for p in paths}
        keys = list(translations)
        aligned = list(zip(*(translations[k] for k in keys)))
        if any(len(v) != len(aligned) for v in translations.values()) or any(
                len({(s, n) for s, n, _ in row}) != 1 for row in aligned):
            raise UserError(f"{paths[0].parent}: the translation files do not list the same verses in the same order")
        # Verse ranges are chosen on every translation at once, so each range is one split group.
        start = 0
        while start < len(aligned):
            surah = aligned[start][0][0]
            end, lengths = start, [0] * len(keys)
            while end < len(aligned) and aligned[end][0][0] == surah:
                grown = [n + len(clean_text(row[2])) + 1 for n, row in zip(lengths, aligned[end])]
                if end > start and max(grown) > cfg.max_chars:
                    break
                lengths, end = grown, end + 1
            group = f"{surah}:{aligned[start][0][1]}-{aligned[end - 1][0][1]}"
            for i, key in enumerate(keys):
                yield Passage(f"{key}:{group}", " ".join(row[i][2] for row in aligned[start:end]), group)
            start = end
    return passages


def _quran_source(card: CorpusCard, paths: list[Path], version: str) -> Source:
    # The translators as the packages' documentation names them (quran-doc.tex, quran-ur.sty), from the card:
    # the files themselves do not name them. An aligned corpus reads the first file only.
    details = {"translations": {Path(file).name.split(".")[0].removeprefix("qurantext-"): who
                                for file, who in card.files.items()}}
    return Source(_package(card), version, paths, _quran_passages(paths), details)


_HYPHENATED = regex.compile(r"(?<=\p{Ll})-\n(?=\p{Ll})")
_PAGE_NUMBER = regex.compile(r"^[^\S\n]*\p{N}+[^\S\n]*\n", flags=regex.MULTILINE)


def _wrapped_source(card: CorpusCard, paths: list[Path], version: str) -> Source:
    def passages(cfg):
        # The text is hard-wrapped, with words hyphenated across lines and page numbers.
        for path in paths:
            yield Passage(path.stem, _PAGE_NUMBER.sub("", _HYPHENATED.sub("", read_utf8(path))))
    return Source(_package(card), version, paths, passages)


# ---------------------------------------------------------------- local files

def read_utf8(path: Path) -> str:
    """Decode a file as UTF-8, or fail naming the file and the byte offset of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts, offset = [], 0
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 20)
            # e.start counts from the bytes the decoder held back from the previous block.
            held = len(decoder.getstate()[0])
            try:
                parts.append(decoder.decode(block, final=not block))
            except UnicodeDecodeError as e:
                raise UserError(f"{path}: not UTF-8 at byte offset {offset - held + e.start} "
                                f"({e.reason}); convert it, e.g. iconv -f LATIN1 -t UTF-8") from None
            if not block:
                break
            offset += len(block)
    return "".join(parts).removeprefix("\ufeff")


LOCAL_FORMATS = {".txt": "txt", ".text": "txt", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def _local_files(src: SourceConfig) -> list[tuple[Path, str]]:
    root = Path(src.path).expanduser()
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in LOCAL_FORMATS)
        if not files:
            raise UserError(f"{root}: no {', '.join(LOCAL_FORMATS)} files in this directory")
    elif root.is_file():
        files = [root]
    else:
        raise UserError(f"{root}: no such file or directory (corpus.source.path)")
    out = []
    for path in files:
        fmt = src.format if src.format != "auto" else LOCAL_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise UserError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; set "
                            f"corpus.source.format to one of txt, jsonl, parquet")
        if path.stat().st_size == 0:
            raise UserError(f"{path}: the file is empty")
        out.append((path, fmt))
    return out


@dataclass
class Documents:
    """The documents of one file: (row id, text) in file order, and the rows dropped for want of text."""
    rows: list[tuple[str, str]]
    dropped: Counter  # reason -> rows: "missing field", "null", "blank"

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.rows]


def _keep(documents: Documents, where: str, row_id: str, row, text_field: str) -> None:
    """Add one JSON/parquet row's text to ``documents``, or count it as dropped with its reason."""
    if not isinstance(row, dict):
        raise UserError(f"{where}: a row is a JSON object such as {{{json.dumps(text_field)}: \"...\"}}, "
                        f"not {type(row).__name__}")
    if text_field not in row:
        documents.dropped["missing field"] += 1
    elif row[text_field] is None:
        documents.dropped["null"] += 1
    elif not isinstance(row[text_field], str):
        raise UserError(f"{where}: {text_field!r} holds {type(row[text_field]).__name__} "
                        f"{str(row[text_field])[:40]!r}, not text")
    elif not row[text_field].strip():
        documents.dropped["blank"] += 1
    else:
        documents.rows.append((row_id, row[text_field]))


def _json_rows(path: Path) -> Iterator[tuple[str, str, object]]:
    """(where, row id, parsed row) of a JSON Lines file, or of a JSON array of rows."""
    text = read_utf8(path)
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}:{e.lineno}: not valid JSON ({e.msg}, column {e.colno})") from None
        for i, row in enumerate(rows):
            yield f"{path}: row {i + 1}", f"{path.name}:{i}", row
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"{path}:{lineno}: not a JSON line ({e.msg}, column {e.colno})") from None
            yield f"{path}:{lineno}", f"{path.name}:{lineno - 1}", row


def read_documents(path: str | Path, text_field: str = "text", fmt: str = "auto",
                   separator: str = "\n\n") -> Documents:
    """The documents of one .txt, .jsonl (or JSON array) or .parquet file: the one reader of local text.

    ``corpus prepare`` and ``textmad eval FILE`` both read files here. Rows without text (the field
    missing, null or blank) are dropped and counted by reason; a field missing from every row, a
    value that is not text, and invalid JSON are errors naming the file and line.
    """
    path = Path(path)
    if fmt == "auto":
        fmt = LOCAL_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise UserError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; accepted: "
                            f"{', '.join(LOCAL_FORMATS)} (or set the format: txt, jsonl, parquet)")
    documents = Documents([], Counter())
    if fmt == "txt":
        # datasets' text loader splits only on lines or blank lines, not on a chosen separator.
        if not separator:
            raise UserError("corpus.source.separator is empty; set it to the string between documents")
        for i, chunk in enumerate(read_utf8(path).split(separator)):
            if chunk.strip():
                documents.rows.append((f"{path.name}:{i}", chunk))
            else:
                documents.dropped["blank"] += 1
    elif fmt == "jsonl":
        fields = None
        for where, row_id, row in _json_rows(path):
            if fields is None and isinstance(row, dict):
                fields = sorted(row)
            _keep(documents, where, row_id, row, text_field)
        if not documents.rows and documents.dropped["missing field"] == sum(documents.dropped.values()) > 0:
            raise UserError(f"{path}: no row has the field {text_field!r} (corpus.source.text_field, "
                            f"--text-field); the first row's fields: {', '.join(fields or [])}")
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as e:  # pyarrow raises several types for a damaged file; the cause is the file
            raise UserError(f"{path}: cannot be read as parquet: {e}") from None
        if text_field not in table.column_names:
            raise UserError(f"{path}: no column {text_field!r} (corpus.source.text_field); "
                            f"columns: {', '.join(table.column_names)}")
        for i, value in enumerate(table.column(text_field).to_pylist()):
            _keep(documents, f"{path}: row {i + 1}", f"{path.name}:{i}", {text_field: value}, text_field)
    else:
        raise UserError(f"{path}: unknown format {fmt!r}; accepted: txt, jsonl, parquet")
    return documents


def _documents_source(package: str, version: str, files: list[tuple[Path, str]], text_field: str = "text",
                      separator: str = "\n\n", details: dict | None = None) -> Source:
    """Every document of local files (path, format), read by read_documents; rows without text counted."""
    dropped = Counter()

    def passages(cfg):
        dropped.clear()
        for path, fmt in files:
            documents = read_documents(path, text_field, fmt, separator)
            if not documents.rows:
                raise UserError(f"{path}: the file holds no text")
            dropped.update(documents.dropped)
            for row_id, text in documents.rows:
                yield Passage(row_id, text)
    return Source(package, version, [p for p, _ in files], passages, details or {}, dropped=dropped)


def local_source(src: SourceConfig) -> Source:
    return _documents_source("local", "", _local_files(src), src.text_field, src.separator, {"path": src.path})


def _card_documents_source(card: CorpusCard, paths: list[Path], version: str) -> Source:
    for path in paths:
        if path.suffix.lower() not in LOCAL_FORMATS:
            raise UserError(f"{card.path}: files: {path.name} has the suffix {path.suffix!r}; the documents reader "
                            f"accepts {', '.join(LOCAL_FORMATS)} files (or choose another reader)")
    return _documents_source(_package(card), version, [(p, LOCAL_FORMATS[p.suffix.lower()]) for p in paths])


# ---------------------------------------------------------------- readers of corpus cards

@dataclass(frozen=True)
class Reader:
    """How a card's files become passages: the card holds the facts (files, package), the reader the format."""
    source: Callable[[CorpusCard, list[Path], str], Source]  # (card, located files, package version) -> Source
    what: str  # in words, for README and errors
    one_file: bool = False  # reads exactly one file
    aligns: bool = False  # the same verse ranges in every language when corpus.aligned_verses is set


READERS: dict[str, Reader] = {
    "documents": Reader(_card_documents_source, "files read like a local source: .txt documents separated by a "
                        "blank line, .jsonl/.json rows' text field, .parquet's text column"),
    "lines": Reader(_lines_source, "one document per non-blank line, ids story000, story001, ... by line number",
                    one_file=True),
    "wrapped": Reader(_wrapped_source, "one hard-wrapped text per file: line-end hyphenation rejoined, lines "
                      "holding only a page number dropped"),
    "wiki": Reader(_wiki_source, "a bz2 MediaWiki XML dump: each article's prose (gensim's filter_wiki; "
                   "redirects, headings, lists, tables and reference sections dropped)", one_file=True),
    "quran": Reader(_quran_source, "the quran TeX package's verse files, one translation per file, aligned by "
                    "verse (corpus.aligned_verses applies); a file's description names its translator", aligns=True),
}


def card_source(card: CorpusCard) -> Source:
    """The corpus of ``card``, located; a UserError saying what to install when its files are missing."""
    paths, version = card_files(card)
    reader = READERS[card.reader]
    return dataclasses.replace(reader.source(card, paths, version), aligns=reader.aligns)


# ---------------------------------------------------------------- Hugging Face hub

def hub_source(src: SourceConfig) -> Source:
    import datasets

    where = (f"hub dataset {src.name!r}" + (f" config {src.config!r}" if src.config else "")
             + f" split {src.split!r}" + (f" revision {src.revision!r}" if src.revision else ""))
    try:
        ds = datasets.load_dataset(src.name, src.config or None, split=src.split, revision=src.revision or None)
    except ConnectionError as e:
        raise UserError(f"{where}: not in the local datasets cache and the Hugging Face hub cannot be reached "
                        f"(offline?): {e}. Load it once while online, or use a local file "
                        f"(corpus.source.kind: local).") from None
    except (FileNotFoundError, ValueError) as e:
        raise UserError(f"{where}: {e}") from None
    if src.text_field not in ds.column_names:
        raise UserError(f"{where}: no column {src.text_field!r} (corpus.source.text_field); "
                        f"columns: {', '.join(ds.column_names)}")
    version = getattr(ds.info, "version", None)

    def passages(cfg):
        for i, text in enumerate(ds[src.text_field]):
            yield Passage(f"{src.split}:{i}", text or "")
    return Source("huggingface datasets", str(version or ""), [], passages,
                  {"dataset": src.name, "config": src.config, "split": src.split, "revision": src.revision,
                   "fingerprint": ds._fingerprint})

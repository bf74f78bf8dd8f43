"""Where raw text comes from: built-in offline corpora, local files and Hugging Face datasets.

A source yields ``Passage``s: raw text with a stable id and a split group. Passages of one group
always land in the same split (the two Bengali translations of one Quran passage share a group,
so neither can leak the other into a different split).
"""
from __future__ import annotations

import bz2
import codecs
import gzip
import importlib.metadata
import importlib.util
import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import regex

from textmad.corpus.normalize import SENTENCE_END, clean_text
from textmad.errors import UserError
from textmad.recipe import CorpusConfig, SourceConfig

GENSIM_VERSION = "4.4.0"
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


# ---------------------------------------------------------------- gensim test data

def gensim_test_file(name: str) -> tuple[Path, str]:
    # Located without importing gensim (seconds of start-up) so that a cached corpus opens fast.
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"this corpus reads a test file shipped with gensim, which is not installed; "
                        f"install it with: pip install gensim=={GENSIM_VERSION}")
    version = importlib.metadata.version("gensim")
    if version != GENSIM_VERSION:
        raise UserError(f"this corpus is pinned to the test file shipped in gensim {GENSIM_VERSION} "
                        f"(found gensim {version}, whose test data may differ); "
                        f"install the pinned version with: pip install gensim=={GENSIM_VERSION}")
    path = Path(spec.submodule_search_locations[0]) / "test" / "test_data" / name
    if not path.is_file():
        raise UserError(f"{path}: missing from the gensim installation; reinstall it with: "
                        f"pip install --force-reinstall gensim=={GENSIM_VERSION}")
    return path, version


LEE_FILE = "lee_background.cor"
WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
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


def _wiki_en() -> Source:
    path, version = gensim_test_file(WIKI_FILE)
    return Source("gensim", version, [path], _wiki_passages(path), markup=True)


def _lee_en() -> Source:
    path, version = gensim_test_file(LEE_FILE)

    def passages(cfg):
        for i, line in enumerate(read_utf8(path).splitlines()):
            if line.strip():
                yield Passage(f"story{i:03d}", line)
    return Source("gensim", version, [path], passages)


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


QURAN_DIR = "/usr/share/texlive/texmf-dist/tex/latex/quran-bn"
QURAN_TRANSLATIONS = {"bni": "Zohurul Hoque", "bnii": "Muhiuddin Khan"}
_QURAN_LINE = regex.compile(r"^\\qt@newcmd\\qurantrans@bn@[ivxlcdm]+\{(.*)\\qt@no\{\((\d+)\)\}\}\s*$")
_TEX_MACRO = regex.compile(r"\\[\p{L}@]+\s?")
# What TeX prints for its input ligatures (longest first).
_TEX_LIGATURES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"))


def quran_verses(path: Path) -> list[tuple[int, int, str]]:
    """(surah, verse, text) for every verse of one translation file; verse numbers restart at 1 per surah."""
    verses, surah = [], 0
    for lineno, line in enumerate(read_utf8(path).splitlines(), 1):
        if not line.startswith("\\qt@newcmd"):
            continue
        m = _QURAN_LINE.match(line)
        if not m:
            raise UserError(f"{path}:{lineno}: not a verse line of the form "
                            f"\\qt@newcmd\\qurantrans@bn@<roman>{{TEXT\\qt@no{{(N)}}}}")
        number = int(m.group(2))
        if number == 1:
            surah += 1
        text = _TEX_MACRO.sub("", m.group(1)).replace("{", "").replace("}", "")
        for tex, char in _TEX_LIGATURES:
            text = text.replace(tex, char)
        verses.append((surah, number, text))
    return verses


def _quran_passages(paths: list[Path]) -> Callable[[CorpusConfig], Iterator[Passage]]:
    def passages(cfg):
        translations = {p.name.split(".")[0].removeprefix("qurantext-"): quran_verses(p) for p in paths}
        keys = list(translations)
        aligned = list(zip(*(translations[k] for k in keys)))
        if any(len(v) != len(aligned) for v in translations.values()) or any(
                len({(s, n) for s, n, _ in row}) != 1 for row in aligned):
            raise UserError(f"{QURAN_DIR}: the translation files do not list the same verses in the same order")
        # Verse ranges are chosen on both translations at once, so each range is one split group.
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


def _quran_bn() -> Source:
    rel = [f"{QURAN_DIR}/qurantext-{k}.translation.def" for k in QURAN_TRANSLATIONS]
    paths, version = _debian_files("texlive-lang-other", rel)
    return Source("texlive-lang-other (Debian)", version, paths, _quran_passages(paths),
                  {"translations": QURAN_TRANSLATIONS})


_HYPHENATED = regex.compile(r"(?<=\p{Ll})-\n(?=\p{Ll})")
_PAGE_NUMBER = regex.compile(r"^[^\S\n]*\p{N}+[^\S\n]*\n", flags=regex.MULTILINE)


def _dasher(file: str) -> Callable[[], Source]:
    def locate():
        paths, version = _debian_files("dasher-data", [f"/usr/share/dasher/{file}"])

        def passages(cfg):
            # The training text is hard-wrapped, with words hyphenated across lines and page numbers.
            text = _PAGE_NUMBER.sub("", _HYPHENATED.sub("", read_utf8(paths[0])))
            yield Passage(file.removesuffix(".txt"), text)
        return Source("dasher-data (Debian)", version, paths, passages)
    return locate


BUILTIN_SOURCES: dict[str, Callable[[], Source]] = {
    "wiki-en": _wiki_en,
    "lee-en": _lee_en,
    "quran-bn": _quran_bn,
    "dasher-sw": _dasher("training_swahili_KE.txt"),
}


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


def local_source(src: SourceConfig) -> Source:
    files = _local_files(src)
    dropped = Counter()

    def passages(cfg):
        dropped.clear()
        for path, fmt in files:
            documents = read_documents(path, src.text_field, fmt, src.separator)
            if not documents.rows:
                raise UserError(f"{path}: the file holds no text")
            dropped.update(documents.dropped)
            for row_id, text in documents.rows:
                yield Passage(row_id, text)
    return Source("local", "", [p for p, _ in files], passages, {"path": src.path}, dropped=dropped)


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

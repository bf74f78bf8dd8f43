"""Corpus cards (corpora/*.yaml, $TEXTMAD_CORPORA): the shipped cards hold every corpus fact, a user's card adds a
corpus end to end, and a bad card is an error naming the file, the key, the value and what is accepted."""
from __future__ import annotations

import regex
import pytest
import yaml

from conftest import ROOT, run_textmad
from textmad.corpus import SPLITS, get_card, installed, list_corpora, prepare, requirement, sources
from textmad.corpus.cards import CARDS_DIR, read_card
from textmad.errors import UserError
from textmad.recipe import CorpusConfig

NOTES = "\n\n".join(f"Note {i}: the river rose again this spring, and the ferry to the island number {i} ran late "
                    f"for {i % 7 + 2} days, so the market moved inland and the fishermen sold their catch from "
                    f"the bridge at dawn, {i * 3} crates a morning." for i in range(60))
USER_CARD = """\
name: my-notes
language: en
register: field notes
source: notes.txt beside this card, one note per paragraph
licence: mine, for research
obtain: written by hand
summary: a user's own corpus, read from a file beside its card
reader: documents
files:
  notes.txt: sixty notes separated by blank lines
"""


@pytest.fixture
def user_cards(tmp_path, monkeypatch):
    """A $TEXTMAD_CORPORA folder holding my-notes.yaml and its text file."""
    cards = tmp_path / "my-cards"
    cards.mkdir()
    (cards / "my-notes.yaml").write_text(USER_CARD, encoding="utf-8")
    (cards / "notes.txt").write_text(NOTES, encoding="utf-8")
    monkeypatch.setenv("TEXTMAD_CORPORA", str(cards))
    return cards


# ---------------------------------------------------------------- the shipped cards

def test_the_shipped_cards_are_the_corpora_folder_and_package_data():
    assert CARDS_DIR.resolve() == (ROOT / "corpora").resolve()
    assert (ROOT / "textmad" / "corpora").is_symlink()  # as textmad/recipes: a wheel holds copies
    assert sorted(c.name for c in list_corpora()) == sorted(p.stem for p in (ROOT / "corpora").glob("*.yaml"))


def test_every_shipped_card_says_what_it_needs_and_was_measured_at_the_recipe_defaults():
    defaults = CorpusConfig()
    for card in list_corpora():
        assert set(card.needs) in ({"pip", "extra"}, {"debian"}), card.name  # built-ins come from packages
        assert card.split_defaults == {k: getattr(defaults, k) for k in card.split_defaults}, card.name
        assert set(card.expected_size) == set(SPLITS), card.name


def test_the_pins_of_the_cards_are_the_pins_of_their_extras():
    """A card's needs.pip is the requirement its extra installs (pyproject.toml), not a second pin."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        import tomllib
        extras = tomllib.load(f)["project"]["optional-dependencies"]
    for card in list_corpora():
        if "extra" in card.needs:
            assert card.needs["pip"] in extras[card.needs["extra"]], card.name


def test_the_install_script_unpacks_every_debian_package_a_card_needs():
    script = (ROOT / "scripts" / "install-debian-corpora.sh").read_text(encoding="utf-8")
    (default,) = regex.findall(r"else packages=\(([^)]*)\)", script)
    assert sorted(default.split()) == sorted({c.needs["debian"] for c in list_corpora() if "debian" in c.needs})


def test_the_quran_translators_come_from_the_card(tmp_path):
    card = get_card("quran-bn")
    if not installed(card)[0]:
        pytest.skip(installed(card)[1])
    source = sources.card_source(card)
    assert source.aligns and source.details["translations"] == {"bni": "Zohurul Hoque", "bnii": "Muhiuddin Khan"}
    assert [p.name for p in source.files] == [f.rsplit("/", 1)[1] for f in card.files]


def test_a_missing_package_is_reported_by_installed_and_requirement(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "debian_roots", lambda: [tmp_path])
    ok, why = installed(get_card("dasher-sw"))
    assert not ok and "apt-get download dasher-data" in why
    assert requirement(get_card("dasher-sw")) == ("debian", "bash scripts/install-debian-corpora.sh dasher-data")
    assert requirement(get_card("wiki-en")) == ("textmad[corpora]", "pip install 'textmad[corpora]'")


# ---------------------------------------------------------------- a user's own card

def test_a_user_card_prepares_and_shows_stats_end_to_end(user_cards, tmp_path):
    card = get_card("my-notes")
    assert card.path == user_cards / "my-notes.yaml" and card.needs == {} and card.expected_size == {}
    assert installed(card) == (True, "") and requirement(card)[0] == "files"
    prepared = str(tmp_path / "prepared")
    status, out, err = run_textmad("corpus", "prepare", "my-notes", "--prepared-dir", prepared)
    assert status == 0, err
    status, out, err = run_textmad("corpus", "stats", "my-notes", "--prepared-dir", prepared)
    assert status == 0, err
    assert out.startswith("my-notes [en]") and "source: local" in out
    corpus = prepare(CorpusConfig(name="my-notes", prepared_dir=prepared))
    assert corpus.reused and corpus.language == "en"
    assert corpus.manifest["card"]["reader"] == "documents"
    assert corpus.manifest["source"]["files"][0]["path"] == str(user_cards / "notes.txt")
    rows = [row for split in SPLITS for row in corpus.split(split)]
    assert len(rows) == 60 and {row["id"] for row in rows} == {f"notes.txt:{i}" for i in range(60)}

    status, out, err = run_textmad("ls")
    line = next(line for line in out.splitlines() if line.strip().startswith("my-notes"))
    assert "[en]" in line and line.endswith("[ready]")
    (user_cards / "notes.txt").unlink()
    status, out, err = run_textmad("ls")
    line = next(line for line in out.splitlines() if line.strip().startswith("my-notes"))
    assert f"needs: the files {user_cards / 'my-notes.yaml'} names" in line
    status, out, err = run_textmad("corpus", "prepare", "my-notes", "--prepared-dir", str(tmp_path / "again"))
    assert status == 2 and "notes.txt do not exist" in err and str(user_cards / "my-notes.yaml") in err


def test_a_user_card_reads_like_the_shipped_card_of_the_same_file(tmp_path, monkeypatch):
    """The lee-en reader on a copy of its file, from a user's card: the same documents as the shipped corpus."""
    from fixtures import lee_path

    (tmp_path / "stories.yaml").write_text(USER_CARD.replace("my-notes", "stories").replace("documents", "lines")
                                           .replace("notes.txt", "lee.cor"), encoding="utf-8")
    (tmp_path / "lee.cor").write_bytes(lee_path().read_bytes())
    monkeypatch.setenv("TEXTMAD_CORPORA", str(tmp_path))
    mine = prepare(CorpusConfig(name="stories", prepared_dir=str(tmp_path / "prepared")))
    lee = prepare(CorpusConfig(name="lee-en", prepared_dir=str(tmp_path / "prepared")))
    for split in SPLITS:
        assert mine.manifest["splits"][split]["sha256"] == lee.manifest["splits"][split]["sha256"]


def test_a_user_card_cannot_take_a_shipped_name(tmp_path, monkeypatch):
    (tmp_path / "lee-en.yaml").write_text(USER_CARD.replace("my-notes", "lee-en"), encoding="utf-8")
    monkeypatch.setenv("TEXTMAD_CORPORA", str(tmp_path))
    with pytest.raises(UserError, match=r"lee-en.yaml: corpus 'lee-en' has a card already \(.*corpora/lee-en.yaml\)"):
        list_corpora()


def test_textmad_corpora_must_name_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTMAD_CORPORA", str(tmp_path / "nowhere"))
    status, out, err = run_textmad("ls")
    assert status == 2 and f"$TEXTMAD_CORPORA: {tmp_path / 'nowhere'} is not a folder" in err


def test_an_unknown_corpus_says_how_to_add_one():
    with pytest.raises(UserError, match=r"unknown corpus 'lee'; did you mean 'lee-en'\?.*\$TEXTMAD_CORPORA"):
        get_card("lee")


def _set(key, value):
    def edit(data):
        data[key] = value
        return data
    return edit


def _drop(key):
    def edit(data):
        del data[key]
        return data
    return edit


@pytest.mark.parametrize("edit, message", [
    (_set("readr", "lines"), "unknown key 'readr' (did you mean 'reader'?); a card has name, language"),
    (_drop("licence"), "missing key(s) licence; a card has"),
    (_set("reader", "pdf"), "reader = 'pdf'; accepted: documents (files read like a local source"),
    (_set("needs", {"conda": "x"}), "needs = {'conda': 'x'}; accepted: {pip: NAME==VERSION} (or NAME unpinned"),
    (_set("needs", {"pip": "gensim", "debian": "dasher-data"}), "needs = {'pip': 'gensim', 'debian'"),
    (_set("needs", {"extra": "corpora"}), "needs = {'extra': 'corpora'}; accepted"),
    (_set("needs", {"pip": "two words"}), "needs.pip = 'two words'; a package name"),
    (_set("needs", {"pip": "gensim>=4"}), "needs.pip = 'gensim>=4'; a package name (NAME or NAME==VERSION)"),
    (_set("name", "other"), "name = 'other', but the card of corpus 'other' must be called other.yaml"),
    (_set("language", "english!"), "my-notes.yaml: language = 'english!': not a language code"),
    (_set("summary", ""), "summary = ''; a non-empty string"),
    (_set("licence", ["a", "b"]), "licence = ['a', 'b']; a non-empty string"),
    (_set("files", {}), "files = {}; a list (or a mapping to descriptions) of at least one file"),
    (_set("files", "notes.txt"), "files = 'notes.txt'; a list"),
    (lambda d: {**d, "reader": "lines", "files": ["a.txt", "b.txt"]},
     "files = ['a.txt', 'b.txt']; the lines reader reads exactly one file"),
    (_set("split_defaults", {"min_chars": 200, "minchars": 3}), "split_defaults.minchars is not a corpus setting; "
                                                                "accepted: seed, heldout_share"),
    (_set("split_defaults", {"seed": "zero"}), "split_defaults.seed = 'zero'; a number"),
    (_set("expected_size", {"test": {"documents": 3}}), "expected_size.test: not a split; accepted: train, heldout, fresh"),
    (_set("expected_size", {"train": {"documents": -1}}), "expected_size.train = {'documents': -1}; a mapping of "
                                                          "documents, words, bytes to counts"),
    (_set("expected_size", [1]), "expected_size = [1]; a mapping"),
])
def test_a_bad_card_names_the_file_the_key_and_what_is_accepted(user_cards, edit, message):
    path = user_cards / "my-notes.yaml"
    path.write_text(yaml.safe_dump(edit(yaml.safe_load(USER_CARD)), sort_keys=False), encoding="utf-8")
    with pytest.raises(UserError) as caught:
        read_card(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value), str(caught.value)
    status, out, err = run_textmad("ls")  # every verb that reads cards refuses the same way, without a traceback
    assert status == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("text, message", [
    ("name: [unclosed\n", "not valid YAML"),
    ("- a list\n", "a corpus card is a YAML mapping with keys name, language"),
])
def test_a_card_that_is_not_a_mapping_is_an_error(user_cards, text, message):
    (user_cards / "my-notes.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=regex.escape(message)):
        list_corpora()


def test_the_documents_reader_names_a_file_it_cannot_read(user_cards, tmp_path):
    (user_cards / "notes.pdf").write_bytes(b"%PDF")
    (user_cards / "my-notes.yaml").write_text(USER_CARD.replace("notes.txt:", "notes.pdf:"), encoding="utf-8")
    with pytest.raises(UserError, match=r"my-notes.yaml: files: notes.pdf has the suffix '.pdf'; the documents "
                                        r"reader accepts .txt"):
        prepare(CorpusConfig(name="my-notes", prepared_dir=str(tmp_path / "prepared")))

"""Hostile and careless recipes: every bad value, name, YAML trick and file problem is a one-paragraph
error with exit status 2 before anything is written; YAML floats as users write them; the key reference."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_textmad, subprocess_env
from textmad.recipe import (
    MAX_SEED, SHIPPED_RECIPES, RecipeError, check_folder_name, describe, load_recipe, load_yaml, scratch_parameters, show,
    ScratchConfig)

MINIMAL = "name: victim\nloop:\n  arms:\n    - mode: replace\n"


def _laughs(levels: int) -> str:
    """"Billion laughs": each level lists the previous one 9 times, so 9 levels expand to 9**9 values."""
    items = ["&l0 [" + ", ".join(["lol" * 34] * 9) + "]"]
    items += [f"&l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, levels)]
    return "[" + ", ".join(items) + "]"


def _bomb() -> str:
    return "name: " + _laughs(9) + "\nloop:\n  arms:\n    - mode: replace\n"


# (id, recipe text, overrides, what the message must contain)
CASES = [
    # NaN and infinities, in files and overrides
    ("temperature-nan", MINIMAL + "generate:\n  temperature: .nan\n", [], ["generate.temperature = nan", "NaN"]),
    ("epochs-inf", MINIMAL + "train:\n  epochs: .inf\n", [], ["train.epochs = inf"]),
    ("lr-inf-override", MINIMAL, ["train.learning_rate=.inf"], ["train.learning_rate = inf"]),
    ("lr-minus-inf", MINIMAL + "train:\n  learning_rate: -.inf\n", [], ["train.learning_rate = -inf"]),
    ("lr-overflows-to-inf", MINIMAL + "train:\n  learning_rate: 1e400\n", [], ["train.learning_rate = inf"]),
    ("real-share-nan", MINIMAL, ["loop.real_share=.nan"], ["loop.real_share = nan", "NaN"]),
    ("arm-share-list-nan", MINIMAL, ["loop.arms=[{mode: fresh, real_share: [.nan, 0.5]}]"],
     ["loop.arms[0].real_share[0] = nan", "NaN"]),
    ("share-schedule-nan", MINIMAL, ["loop.real_share=linear:nan:0.1"], ["loop.real_share", "nan"]),
    # upper bounds
    ("seed-2**70", MINIMAL, [f"seed={2**70}"], [f"seed = {2**70} is out of range", str(MAX_SEED)]),
    ("corpus-seed-2**32", MINIMAL, [f"corpus.seed={2**32}"], ["corpus.seed = 4294967296"]),
    ("seed-5000-digits", MINIMAL + "seed: 1" + "0" * 5000 + "\n", [], ["seed = <an integer of 5001 digits> is out of range", "[0, 4294967295]"]),
    ("vocab-1e12", MINIMAL, ["model.scratch.vocab_size=1000000000000"], ["model.scratch.vocab_size = 1000000000000"]),
    ("hidden-2**40", MINIMAL, [f"model.scratch.hidden_size={2**40}"], [f"model.scratch.hidden_size = {2**40}"]),
    ("generations-1e9", MINIMAL, ["loop.generations=1000000000"], ["loop.generations = 1000000000"]),
    ("batch-1e12", MINIMAL, ["train.batch_size=1000000000000"], ["train.batch_size = 1000000000000"]),
    ("max-new-tokens-1e9", MINIMAL, ["generate.max_new_tokens=1000000000"], ["generate.max_new_tokens"]),
    ("num-samples-1e12", MINIMAL, ["generate.num_samples=1000000000000"], ["generate.num_samples"]),
    ("lr-100", MINIMAL, ["train.learning_rate=100"], ["train.learning_rate = 100.0 is out of range"]),
    ("sample-words-1e12", MINIMAL, ["evaluate.tail.sample_words=1000000000000"], ["evaluate.tail.sample_words"]),
    # cross-field: the scratch model's context and memory
    ("past-the-context", MINIMAL, ["model.scratch.max_position_embeddings=64", "generate.max_new_tokens=128"],
     ["generate.prompt_tokens + generate.max_new_tokens = 8 + 128", "max_position_embeddings = 64"]),
    ("seq-len-past-context", MINIMAL, ["train.seq_len=512"], ["train.seq_len = 512", "max_position_embeddings = 256"]),
    ("window-past-context", MINIMAL, ["evaluate.perplexity.window=1024"], ["evaluate.perplexity.window = 1024"]),
    ("stride-past-window", MINIMAL, ["evaluate.perplexity.window=64", "evaluate.perplexity.stride=128"],
     ["evaluate.perplexity.stride = 128"]),
    ("odd-head-size", MINIMAL, ["model.scratch.hidden_size=12", "model.scratch.num_heads=4"],
     ["model.scratch.hidden_size / num_heads = 12 / 4 = 3"]),
    ("model-memory", MINIMAL, ["model.scratch.hidden_size=8192", "model.scratch.num_layers=64",
                               "model.scratch.intermediate_size=32768"], ["hidden_size 8192, num_layers 64", "68.74 billion parameters, 256.1 GiB"]),
    # names are single folder names; output_dir is not the root
    ("name-dotdot", MINIMAL, ["name=../../escaped"], ["name = '../../escaped'", "contains '/'"]),
    ("name-absolute", MINIMAL, ["name=/tmp/abs"], ["name = '/tmp/abs'"]),
    ("name-empty", MINIMAL, ["name="], ["name = ''", "empty"]),
    ("name-dot", MINIMAL, ["name=."], ["name = '.'"]),
    ("name-dotdot-alone", MINIMAL, ["name=.."], ["name = '..'"]),
    ("name-backslash", MINIMAL, ["name=a\\b"], ["contains '\\'"]),
    ("name-nul", 'name: "a\\0b"\nloop:\n  arms:\n    - mode: replace\n', [], ["NUL"]),
    ("name-too-long", MINIMAL, ["name=" + "x" * 256], ["longer than 255 bytes"]),
    ("arm-absolute", MINIMAL, ["loop.arms=[{mode: replace, name: /tmp/gen}]"], ["loop.arms[0].name = '/tmp/gen'"]),
    ("arm-dotdot", MINIMAL, ["loop.arms=[{mode: replace, name: ..}]"], ["loop.arms[0].name = '..'"]),
    ("arm-gen", MINIMAL, ["loop.arms=[{mode: replace, name: gen-001}]"], ["'gen-001'", "reserved"]),
    ("arm-recipe-file", MINIMAL, ["loop.arms=[{mode: replace, name: recipe.yaml}]"], ["'recipe.yaml'", "reserved"]),
    ("arm-lock-file", MINIMAL, ["loop.arms=[{mode: replace, name: .lock}]"], ["'.lock'", "reserved"]),
    ("arm-report-other-case", MINIMAL, ["loop.arms=[{mode: replace, name: Report}]"], ["'Report'", "reserved"]),
    ("arm-twice", MINIMAL, ["loop.arms=[{mode: fresh, name: a}, {mode: replace, name: a}]"], ["loop.arms[1]"]),
    ("output-dir-root", MINIMAL, ["output_dir=/"], ["output_dir = '/'", "root"]),
    ("output-dir-root-dotdot", MINIMAL, ["output_dir=/tmp/../.."], ["output_dir = '/tmp/../..'", "root"]),
    # YAML tricks
    ("yaml-bomb", _bomb(), [], ["expands to more than 100000 values"]),
    ("yaml-bomb-override", MINIMAL, ["name=" + _laughs(6)], ["override", "expands to more than 100000 values"]),
    ("recursive-alias", "name: &a [*a]\n", [], ["refers to a value that contains it"]),
    ("nested-too-deep", "name: " + "[" * 5000 + "]" * 5000 + "\n", [], ["nested too deeply"]),
    ("huge-string-cut", MINIMAL.replace("victim", "x" * 100_000) + "seed: -1\n", [], ["seed = -1"]),
    ("huge-wrong-type-cut", MINIMAL + "train:\n  method: " + "y" * 100_000 + "\n", [], ["train.method = 'yyy"]),
]


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize("text,overrides,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_recipe_is_one_paragraph_exit_2_and_writes_nothing(tmp_path, text, overrides, expected):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text, encoding="utf-8")
    locations = [f"output_dir={tmp_path / 'out' / 'runs'}", f"corpus.prepared_dir={tmp_path / 'prepared'}",
                 f"model.cache_dir={tmp_path / 'cache'}"]
    before = _tree(tmp_path)
    status, out, err = run_textmad("run", str(recipe), *locations, *overrides)
    assert status == 2, err
    assert err.startswith("textmad run: error: ") and "Traceback" not in err
    assert "\n\n" not in err.strip(), "one paragraph"
    assert len(err) < 2000, "values in messages are cut"
    assert str(recipe) in err or "override" in err
    for part in expected:
        assert part in err, err
    assert _tree(tmp_path) == before, "nothing written"


def test_bad_recipe_from_the_command_line_has_no_traceback(tmp_path):
    recipe = tmp_path / "bomb.yaml"
    recipe.write_text(_bomb(), encoding="utf-8")
    assert 1300 < len(recipe.read_bytes()) < 1500  # the 1.4 KB: 47 s and 3.4 GB, then MemoryError
    proc = subprocess.run([sys.executable, "-m", "textmad", "validate", str(recipe)], capture_output=True,
                          text=True, env=subprocess_env(), timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "expands to more than" in proc.stderr and proc.stdout == ""


# ---------------------------------------------------------------- files and the operating system

def test_recipe_path_that_is_a_directory(tmp_path):
    status, out, err = run_textmad("validate", str(tmp_path))
    assert status == 2 and f"{tmp_path}: is a directory" in err and "Traceback" not in err


def test_unreadable_recipe(tmp_path, monkeypatch):
    # the tests run as root, which chmod cannot lock out: refuse the read the way the OS would
    recipe = tmp_path / "secret.yaml"
    recipe.write_text(MINIMAL, encoding="utf-8")
    read_text = Path.read_text

    def refuse(self, *args, **kwargs):
        if self == recipe:
            raise PermissionError(13, "Permission denied", str(self))
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refuse)
    status, out, err = run_textmad("validate", str(recipe))
    assert status == 2 and f"{recipe}: cannot be read (permission denied)" in err


def test_missing_recipe_names_the_shipped_ones(tmp_path):
    status, out, err = run_textmad("validate", str(tmp_path / "nope.yaml"))
    assert status == 2 and "no such recipe file" in err and "textmad ls" in err


def test_os_error_on_a_user_path_is_an_error_not_a_traceback(monkeypatch):
    import textmad.commands.ls

    def fail(args):
        raise NotADirectoryError(20, "Not a directory", "/some/file/out")

    monkeypatch.setattr(textmad.commands.ls, "main_ls", fail)
    status, out, err = run_textmad("ls")
    assert status == 2 and err == "textmad ls: error: /some/file/out: Not a directory\n"


def test_os_error_without_a_path_keeps_its_traceback(monkeypatch):
    import textmad.commands.ls

    def fail(args):
        raise OSError("a bug, not a user's path")

    monkeypatch.setattr(textmad.commands.ls, "main_ls", fail)
    with pytest.raises(OSError, match="a bug"):
        run_textmad("ls")


def test_ls_into_a_closed_pipe_exits_quietly():
    """`textmad ls | head -1`: the reader is gone before textmad writes; no BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "textmad", "ls"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=subprocess_env())
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert err == "" and proc.returncode == 1


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("name", ["run", "quickstart-bn", "fresh-50", "ü-lauf", "a.b", "x" * 255])
def test_single_folder_names_are_accepted(name):
    check_folder_name(name, "name")


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "/abs", "a\\b", "a\0b", "x" * 256, "é" * 128])
def test_other_names_are_refused_with_the_same_rule_as_new_name(name):
    with pytest.raises(RecipeError, match="--new-name = .* is not a single folder name"):
        check_folder_name(name, "--new-name")


# ---------------------------------------------------------------- YAML floats

def test_floats_users_write_load_as_floats_in_files_and_overrides(tmp_path):
    assert load_yaml("[1e-4, 3E-4, 1e6, -2.5e-3, 1.0e5, .5e3, +2e0, 1_000.5e-3]", "x") == \
        [1e-4, 3e-4, 1e6, -2.5e-3, 1e5, 500.0, 2.0, 1.0005]
    assert load_yaml("[1, 1e, e5, 1.2.3, 0x10]", "x") == [1, "1e", "e5", "1.2.3", 16]
    recipe = tmp_path / "r.yaml"
    recipe.write_text(MINIMAL + "train:\n  learning_rate: 1e-4\n  weight_decay: 3E-4\n  max_grad_norm: 1e6\n",
                      encoding="utf-8")
    loaded = load_recipe(recipe)
    assert (loaded.train.learning_rate, loaded.train.weight_decay, loaded.train.max_grad_norm) == (1e-4, 3e-4, 1e6)
    loaded = load_recipe(recipe, ["train.learning_rate=3E-4", "loop.real_share=5e-1", "train.epochs=2e0"])
    assert (loaded.train.learning_rate, loaded.loop.real_share, loaded.train.epochs) == (3e-4, 0.5, 2.0)


def test_shown_values_are_cut():
    assert len(show("x" * 10**6)) <= 80
    assert show(10**5000) == f"<an integer of {(10**5000).bit_length()} bits>"
    nested = [["lol"] * 9] * 9
    for _ in range(7):
        nested = [nested] * 9  # 9**9 values through shared references, like an expanded alias
    assert len(show(nested)) <= 80


# ---------------------------------------------------------------- the key reference

def test_every_numeric_key_has_bounds():
    for key, kind, default, doc in describe():
        if kind.split(" in ")[0] in ("an integer", "a number", "an integer or null"):
            assert " in [" in kind or " in (" in kind, f"{key} has no accepted range: {kind}"


def test_scratch_parameters_match_the_model_textmad_builds():
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = ScratchConfig(vocab_size=300, hidden_size=32, num_layers=2, num_heads=4, intermediate_size=48)
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.max_position_embeddings, tie_word_embeddings=True))
    assert scratch_parameters(cfg) == sum(p.numel() for p in model.parameters())


def test_validate_keys_prints_every_key_with_type_default_and_doc():
    status, out, err = run_textmad("validate", "--keys")
    assert status == 0 and err == ""
    rows = describe()
    for key, kind, default, doc in rows:
        assert f"\n{key} = " in "\n" + out and kind in out and doc in out
    assert "\nseed = 0\n    an integer in [0, 4294967295]\n" in out
    status, table, err = run_textmad("validate", "--keys", "--format", "markdown")
    lines = table.splitlines()
    assert lines[0] == "| key | type | default | meaning |" and len(lines) == len(rows) + 2
    assert "| `train.learning_rate` | a number in (0, 10] | `0.001` |" in table
    assert "\nloop.arms[].name = \"\"\n" in out and "\ncorpus.source.path = \"\"\n" in out


def test_validate_needs_a_recipe_or_keys():
    status, out, err = run_textmad("validate")
    assert status == 2 and "--keys" in err


def test_shipped_recipe_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no recipes/ here: the names resolve to the shipped files
    for name in ("quickstart", "tiny.yaml", "recipes/quickstart-bn.yaml"):
        status, out, err = run_textmad("validate", "-q", name)
        assert status == 0 and out.startswith(f"ok  {name}"), err
    assert load_recipe("tiny").name == "tiny"
    # `textmad run NAME` resolves the same way (refused here by a bad name, before anything runs)
    status, out, err = run_textmad("run", "quickstart", "name=../x")
    assert status == 2 and f"{SHIPPED_RECIPES / 'quickstart.yaml'}: name = '../x'" in err
    assert ROOT.joinpath("recipes", "tiny.yaml").samefile(ROOT / "textmad" / "recipes" / "tiny.yaml")


def test_sweepable_keys_are_those_an_override_can_set(tmp_path):
    """validate --keys lists loop.arms[].mode and corpus.source.*; a sweep over them is an error or works."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(MINIMAL + "sweep:\n  keys:\n    - {key: 'loop.arms[].mode', values: [fresh]}\n",
                      encoding="utf-8")
    with pytest.raises(RecipeError, match=r"sweep.keys\[0\].key = 'loop.arms\[\].mode' cannot be swept"):
        load_recipe(recipe)
    recipe.write_text(MINIMAL + "sweep:\n  keys:\n    - {key: corpus.source.text_field, values: [body]}\n",
                      encoding="utf-8")
    assert load_recipe(recipe).sweep.keys[0].values == ["body"]

"""Recipe loading: types, ranges, unknown keys, overrides, schedules, and the CLI's error path."""
import subprocess
import sys

import pytest

from textmad.recipe import RecipeError, dump_yaml, load_recipe, parse_share, arm_name, ArmConfig

MINIMAL = "loop:\n  arms:\n    - mode: replace\n"


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path, text, overrides=()):
    with pytest.raises(RecipeError) as info:
        load_recipe(write(tmp_path, text), list(overrides))
    return str(info.value)


def test_minimal_recipe_resolves_defaults(tmp_path):
    recipe = load_recipe(write(tmp_path, MINIMAL))
    assert recipe.loop.arms[0].mode == "replace"
    assert recipe.train.learning_rate == pytest.approx(1e-3)
    assert recipe.run_dir.as_posix() == "runs/run"
    # the resolved recipe round-trips through YAML
    again = load_recipe(write(tmp_path, dump_yaml(recipe), "again.yaml"))
    assert again == recipe


def test_unknown_key_names_file_key_and_closest(tmp_path):
    message = error_of(tmp_path, MINIMAL + "train:\n  lerning_rate: 0.1\n")
    assert "r.yaml" in message
    assert "train.lerning_rate" in message
    assert "learning_rate" in message.split("did you mean")[1]


def test_wrong_type_names_value_and_expected(tmp_path):
    message = error_of(tmp_path, MINIMAL + "train:\n  batch_size: many\n")
    assert "train.batch_size = 'many'" in message and "an integer" in message


def test_bool_is_not_an_integer(tmp_path):
    message = error_of(tmp_path, MINIMAL + "train:\n  batch_size: true\n")
    assert "train.batch_size" in message


def test_out_of_range_names_accepted_span(tmp_path):
    message = error_of(tmp_path, MINIMAL + "generate:\n  top_p: 1.5\n")
    assert "generate.top_p = 1.5" in message and "(0, 1]" in message


def test_unknown_mode_lists_modes(tmp_path):
    message = error_of(tmp_path, "loop:\n  arms:\n    - mode: recycle\n")
    assert "loop.arms[0].mode = 'recycle'" in message and "'accumulate-subsample'" in message


def test_cross_field_checks(tmp_path):
    assert "sum < 1" in error_of(tmp_path, MINIMAL + "corpus:\n  heldout_share: 0.5\n  fresh_share: 0.5\n")
    assert "lora" in error_of(tmp_path, MINIMAL + "train:\n  method: lora\n")
    assert "loop.arms is empty" in error_of(tmp_path, "loop:\n  generations: 2\n")
    assert "distinct" in error_of(tmp_path, "loop:\n  arms: [{mode: replace}, {mode: replace}]\n")
    assert "evaluate.metrics" in error_of(tmp_path, MINIMAL + "evaluate:\n  metrics: [perplexty]\n")


def test_overrides_are_typed_and_validated(tmp_path):
    path = write(tmp_path, MINIMAL)
    recipe = load_recipe(path, ["train.epochs=3", "loop.generations=2", "name=x", "generate.do_sample=false"])
    assert recipe.train.epochs == 3.0 and recipe.loop.generations == 2 and recipe.name == "x"
    assert recipe.generate.do_sample is False
    with pytest.raises(RecipeError, match="expected KEY.SUB=VALUE"):
        load_recipe(path, ["train.epochs"])
    with pytest.raises(RecipeError, match="did you mean 'epochs'"):
        load_recipe(path, ["train.epoch=2"])


def test_share_schedules():
    assert parse_share(0.5, 3, "k", "f") == [0.5, 0.5, 0.5]
    assert parse_share("linear:0.9:0.1", 5, "k", "f") == pytest.approx([0.9, 0.7, 0.5, 0.3, 0.1])
    assert parse_share([1, 0.5], 2, "k", "f") == [1.0, 0.5]
    with pytest.raises(RecipeError, match="exactly 3"):
        parse_share([0.1], 3, "k", "f")
    with pytest.raises(RecipeError, match="linear:START:END"):
        parse_share("cosine:1:0", 3, "k", "f")
    with pytest.raises(RecipeError, match="0 <= share <= 1"):
        parse_share(1.5, 3, "k", "f")


def test_arm_names():
    assert arm_name(ArmConfig(mode="replace")) == "replace"
    assert arm_name(ArmConfig(mode="fresh", real_share=0.5)) == "fresh-50"
    assert arm_name(ArmConfig(mode="augment", name="half")) == "half"


def test_recipe_is_data_not_code(tmp_path):
    # a YAML tag that would construct a Python object is refused by safe_load
    message = error_of(tmp_path, "name: !!python/object/apply:os.system ['true']\n" + MINIMAL)
    assert "not valid YAML" in message


def test_cli_validate_reports_error_without_traceback(tmp_path):
    path = write(tmp_path, MINIMAL + "train:\n  epochs: -2\n")
    proc = subprocess.run([sys.executable, "-m", "textmad", "validate", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "train.epochs = -2.0 is out of range" in proc.stderr
    assert "Traceback" not in proc.stderr

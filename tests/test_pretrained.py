"""The hub code path (model.kind = pretrained) on local model folders, offline: Llama and GPT-2,
LoRA on each, and the errors for targets a model lacks and a hub id that is not cached."""
import pytest
from accelerate import Accelerator

from textmad import generate as G
from textmad import model as M
from textmad.errors import UserError
from textmad.recipe import load_recipe
from tests.fixtures import lee_lines, tiny_llama

pytestmark = pytest.mark.slow  # every test here loads a pretrained model folder (README: the fast test loop)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    import huggingface_hub.constants as hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))


def save_folder(tmp_path, arch: str):
    """A tiny seeded model of ``arch`` with a word-level tokenizer, saved with save_pretrained."""
    from transformers import GPT2Config, GPT2LMHeadModel

    model, tok = tiny_llama(list(lee_lines()[:100]), eos_token="<pad>", max_positions=128)
    if arch == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=1, n_head=2, n_positions=128,
                                           bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id))
    folder = tmp_path / arch
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def recipe(path, **train):
    return load_recipe(data={"loop": {"arms": [{"mode": "replace"}]}, "model": {"kind": "pretrained", "path": str(path)},
                             "train": {"method": "lora", **train},
                             "generate": {"num_samples": 2, "max_new_tokens": 6, "min_new_tokens": 6}})


@pytest.mark.parametrize("arch, targets", [("llama", ["q_proj", "v_proj"]), ("gpt2", ["c_attn"])])
def test_local_folder_loads_offline_with_lora_and_generates(tmp_path, offline, arch, targets):
    r = recipe(save_folder(tmp_path, arch), lora={"target_modules": targets})
    model, tok = M.load_base(r, [], Accelerator(cpu=True))
    assert model.config.model_type == arch and 0 < model.get_nb_trainable_parameters()[0] < model.num_parameters()
    prompts = [{"id": "p0", "prompt": "The"}, {"id": "p1", "prompt": ""}]
    rows = G.generate(model, tok, prompts, r.generate, Accelerator(cpu=True), seed=0, generation=0, arm="replace",
                      model_hash="x")
    assert [row["new_tokens"] for row in rows] == [6, 6]


def test_lora_targets_the_model_lacks_are_named_with_the_choices(tmp_path, offline):
    r = recipe(save_folder(tmp_path, "gpt2"), lora={"target_modules": ["q_proj", "c_attn", "v_proj"]})
    with pytest.raises(UserError, match=r"q_proj, v_proj are not a module of this gpt2 model; .*c_attn.*c_proj"):
        M.load_base(r, [], Accelerator(cpu=True))


def test_hub_id_offline_without_cache_is_a_clear_error(tmp_path, offline, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(UserError, match=r"model.path = 'textmad-tests/no-such-model': cannot load .*not cached"):
        M.load_base(recipe("textmad-tests/no-such-model"), [], Accelerator(cpu=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == before

"""Scratch tokenizer and model, pretrained loading, LoRA, save/load round trips."""

import pytest
import torch
from accelerate import Accelerator

from fixtures import lee_path
from textmad import model as M
from textmad.errors import UserError
from textmad.recipe import load_recipe

LEE = lee_path()
BENGALI = ["বাংলা ভাষা দক্ষিণ এশিয়ার একটি ইন্দো-আর্য ভাষা।",
           "রবীন্দ্রনাথ ঠাকুর ১৯১৩ সালে সাহিত্যে নোবেল পুরস্কার পান।",
           "ঢাকা বাংলাদেশের রাজধানী এবং বৃহত্তম শহর।"]
TINY = {"vocab_size": 400, "hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64,
        "max_position_embeddings": 64, "tokenizer_sample_chars": 60000}


def english():
    return [line for line in LEE.read_text(encoding="utf-8").splitlines() if line.strip()]


def recipe(tmp_path, **model):
    return load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                             "model": {"cache_dir": str(tmp_path / "cache"), "scratch": TINY, **model},
                             "train": {"seq_len": 64}, "generate": {"max_new_tokens": 32}})  # within TINY's context


@pytest.fixture(scope="module")
def accelerator():
    return Accelerator(cpu=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, accelerator):
    tmp = tmp_path_factory.mktemp("scratch")
    return M.load_base(recipe(tmp), english() + BENGALI * 5, accelerator)


@pytest.mark.slow
def test_tokenizer_round_trips_bengali_and_reloads(scratch, tmp_path):
    from transformers import AutoTokenizer

    _, tok = scratch
    texts = BENGALI + ["  Two spaces,\n\na blank line and a literal <s> stay.", "😀 𝔘 naïve café"]
    tok.save_pretrained(tmp_path / "tok")
    again = AutoTokenizer.from_pretrained(tmp_path / "tok")
    for text in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok.decode(ids) == text
        assert again(text, add_special_tokens=False)["input_ids"] == ids
        assert tok.unk_token_id not in ids
    assert (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) == (1, 2, 3)


@pytest.mark.slow
def test_scratch_model_has_recipe_sizes_and_seeded_init(scratch, tmp_path, accelerator):
    model, tok = scratch
    c = model.config
    assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.vocab_size) == (32, 1, 2, len(tok))
    assert model.dtype == torch.float32
    again, _ = M.load_base(recipe(tmp_path), english() + BENGALI * 5, accelerator)
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.slow
def test_save_load_round_trip_gives_equal_logits_and_stable_hash(scratch, tmp_path, accelerator):
    model, tok = scratch
    M.save_model(model, tok, tmp_path / "m", accelerator)
    M.save_model(model, tok, tmp_path / "m2", accelerator)
    assert M.model_sha256(tmp_path / "m") == M.model_sha256(tmp_path / "m2")
    assert not list(tmp_path.glob(".*tmp*"))
    loaded, tok2 = M.load_model(tmp_path / "m", recipe(tmp_path), accelerator)
    ids = torch.tensor([tok(BENGALI[0])["input_ids"]])
    with torch.no_grad():
        assert torch.equal(model(ids).logits, loaded(ids).logits)
    assert tok2.decode(ids[0]) == BENGALI[0]


@pytest.mark.slow
def test_lora_wraps_trains_only_adapter_and_round_trips(scratch, tmp_path, accelerator):
    from textmad.train import train
    model, tok = scratch
    M.save_model(model, tok, tmp_path / "base", accelerator)
    r = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                          "model": {"kind": "pretrained", "path": str(tmp_path / "base")},
                          "train": {"method": "lora", "max_steps": 2, "batch_size": 4, "seq_len": 32,
                                    "lora": {"r": 4, "target_modules": ["q_proj", "v_proj"]}}})
    lora, tok = M.load_base(r, [], accelerator)
    trainable = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    frozen = {n: p.detach().clone() for n, p in lora.named_parameters() if not p.requires_grad}
    train(lora, tok, english()[:40], r.train, accelerator, seed=0, epochs=1.0)
    assert all(torch.equal(p, frozen[n]) for n, p in lora.named_parameters() if not p.requires_grad)
    M.save_model(lora, tok, tmp_path / "adapter", accelerator)
    files = {p.name for p in (tmp_path / "adapter").iterdir()}
    assert "adapter_model.safetensors" in files and "model.safetensors" not in files
    base, _ = M.load_base_model(r, [], accelerator)
    loaded, _ = M.load_model(tmp_path / "adapter", r, accelerator, base=base)
    assert not any("lora_" in n for n, _ in base.named_parameters())
    ids = torch.tensor([tok(english()[0][:200])["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(lora(ids).logits, loaded(ids).logits, atol=1e-6)
        assert not torch.allclose(base(ids).logits, loaded(ids).logits, atol=1e-6)


@pytest.mark.slow
def test_missing_pretrained_model_is_a_user_error(tmp_path, accelerator, monkeypatch):
    import huggingface_hub.constants
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    r = recipe(tmp_path, kind="pretrained", path="textmad-test/not-a-cached-model")
    with pytest.raises(UserError, match="not-a-cached-model"):
        M.load_base(r, [], accelerator)


def test_tokenizer_vocab_too_large_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="vocab_size"):
        M.train_tokenizer(["tiny text only"], 5000, tmp_path / "tok")

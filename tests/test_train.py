"""The Accelerate training loop: loss falls, determinism, NaN detection, epochs, logs."""

import pytest
import torch
from accelerate import Accelerator

from fixtures import lee_path
from textmad import model as M
from textmad.io import read_jsonl
from textmad.recipe import load_recipe
from textmad.errors import UserError
from textmad.train import NonFiniteLoss, document_ids, pack, per_process_batch, split_validation, train

LEE = lee_path()
TINY = {"vocab_size": 400, "hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64,
        "max_position_embeddings": 64, "tokenizer_sample_chars": 60000}


def texts():
    return [line for line in LEE.read_text(encoding="utf-8").splitlines() if line.strip()][:30]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def make(cache, **train_cfg):
    r = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                          "model": {"cache_dir": str(cache), "scratch": TINY}, "generate": {"max_new_tokens": 32},
                          "train": {"batch_size": 16, "seq_len": 32, "learning_rate": 1e-2, **train_cfg}})
    model, tok = M.load_base(r, texts(), Accelerator(cpu=True))
    return r, model, tok


def test_packing_puts_eos_between_documents_and_masks_padding():
    class Tok:
        bos_token_id, eos_token_id = 1, 2

        def __call__(self, texts, add_special_tokens):
            return {"input_ids": [[10 + len(t)] * len(t) for t in texts]}

    docs = document_ids(Tok(), ["ab", "cde"])
    assert docs == [[1, 12, 12, 2], [1, 13, 13, 13, 2]]
    ids, labels = pack(docs, 4, pad_id=0)
    assert ids.tolist() == [[1, 12, 12, 2], [1, 13, 13, 13], [2, 0, 0, 0]]
    assert labels[2].tolist() == [2, -100, -100, -100]
    train_idx, val_idx = split_validation(20, 0.1, seed=3)
    assert len(val_idx) == 2 and sorted(train_idx + val_idx) == list(range(20))
    assert split_validation(20, 0.1, seed=3) == (train_idx, val_idx)


@pytest.mark.slow
def test_loss_falls_and_figures_are_reported(cache, tmp_path):
    r, model, tok = make(cache)
    log = tmp_path / "train_log.jsonl"
    out = train(model, tok, texts(), r.train, Accelerator(cpu=True), seed=0, epochs=2.0, log_path=log)
    curve = [row["loss"] for row in out["loss_curve"]]
    assert curve[-1] < curve[0] - 0.5
    assert out["val_loss"] is not None and out["val_loss"] < curve[0]
    assert out["steps"] == len(curve) == len(read_jsonl(log))
    assert out["tokens"] > 0 and out["tokens_per_second"] > 0
    assert abs(out["loss_curve"][-1]["epoch"] - 2.0) < 1e-6


@pytest.mark.slow
def test_fractional_epochs_and_max_steps(cache):
    r, model, tok = make(cache, max_steps=3)
    assert train(model, tok, texts(), r.train, Accelerator(cpu=True), seed=0, epochs=5.0)["steps"] == 3
    r, model, tok = make(cache)
    full = train(model, tok, texts(), r.train, Accelerator(cpu=True), seed=0, epochs=1.0)["steps"]
    half = train(model, tok, texts(), r.train, Accelerator(cpu=True), seed=0, epochs=0.5)["steps"]
    assert half == -(-full // 2)


@pytest.mark.slow
def test_same_seed_gives_identical_weights(cache):
    states = []
    for seed in (0, 0, 1):
        r, model, tok = make(cache, max_steps=4, grad_accum=2)
        train(model, tok, texts(), r.train, Accelerator(cpu=True), seed=seed, epochs=1.0)
        states.append(model.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(states[0].values(), states[1].values()))
    assert not all(torch.equal(a, b) for a, b in zip(states[0].values(), states[2].values()))


@pytest.mark.slow
def test_non_finite_loss_names_the_step_and_the_clipping(cache):
    r, model, tok = make(cache, schedule="constant", warmup_ratio=0.0, max_steps=20)
    r.train.learning_rate = 1e30  # past the recipe's bound: train() itself must catch the divergence
    with pytest.raises(NonFiniteLoss, match=r"gen 3: the training loss is (nan|inf) at step \d+ of 20 .*"
                                            r"already clipped \(train.max_grad_norm = 1\)"):
        train(model, tok, texts(), r.train, Accelerator(cpu=True), seed=0, epochs=1.0, desc="gen 3")


def test_the_global_batch_splits_evenly_across_processes():
    assert per_process_batch(16, 1) == 16 and per_process_batch(16, 2) == 8
    with pytest.raises(UserError, match="train.batch_size = 16 is the global batch.*3 processes.*multiple of 3"):
        per_process_batch(16, 3)

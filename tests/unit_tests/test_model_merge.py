"""The pieces of `make model` that need no model: llama.cpp's q/k row order and names."""

from __future__ import annotations

import numpy as np
from transformers import LlamaConfig

from training.merge import gguf_names, permute_rows, unpermute_rows


def test_the_rotary_row_order_round_trips() -> None:
    rng = np.random.default_rng(0)
    for heads, rows in ((9, 576), (3, 192)):
        weight = rng.standard_normal((rows, 8)).astype(np.float32)
        permuted = permute_rows(weight, heads)
        assert not np.array_equal(permuted, weight)
        assert np.array_equal(unpermute_rows(permuted, heads), weight)


def test_every_hf_weight_has_its_llama_cpp_name() -> None:
    config = LlamaConfig(num_hidden_layers=2)
    names = gguf_names(config)
    assert names["model.embed_tokens.weight"] == "token_embd.weight"
    assert names["model.norm.weight"] == "output_norm.weight"
    assert names["model.layers.1.self_attn.q_proj.weight"] == "blk.1.attn_q.weight"
    assert names["model.layers.0.mlp.down_proj.weight"] == "blk.0.ffn_down.weight"
    assert names["model.layers.0.post_attention_layernorm.weight"] == "blk.0.ffn_norm.weight"
    assert len(names) == 2 * 9 + 2 and len(set(names.values())) == len(names)

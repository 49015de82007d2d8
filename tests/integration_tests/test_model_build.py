"""The servable fine-tuned model `make model` builds: base metadata and tokenizer kept,
adapter recorded, logits checks passed, and llama.cpp answers with it."""

from __future__ import annotations

import json

import pytest

from serving.manager import FINE_TUNED_GGUF, base_model_path
from training.merge import DEFAULT_ADAPTER, DEFAULT_HF_DIR, sha256

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built() -> dict[str, object]:
    if not FINE_TUNED_GGUF.exists():
        pytest.fail("run `make model` first (make test does)")
    return dict(json.loads(FINE_TUNED_GGUF.with_suffix(".json").read_text()))


def test_the_gguf_keeps_the_base_files_metadata_and_tokenizer(built: dict[str, object]) -> None:
    import gguf

    base = gguf.GGUFReader(base_model_path())
    ours = gguf.GGUFReader(FINE_TUNED_GGUF)
    skip = {"GGUF.kv_count", "general.file_type"}
    for name, field in base.fields.items():
        if name in skip:
            continue
        assert name in ours.fields, name
        assert ours.fields[name].contents() == field.contents(), name
    assert ours.fields["general.file_type"].contents() == 7  # mostly Q8_0
    assert [t.name for t in ours.tensors] == [t.name for t in base.tensors]


def test_the_gguf_records_the_committed_adapter(built: dict[str, object]) -> None:
    import gguf

    ours = gguf.GGUFReader(FINE_TUNED_GGUF)
    assert ours.fields["taskagent.adapter_sha256"].contents() == sha256(DEFAULT_ADAPTER)
    assert ours.fields["taskagent.base_sha256"].contents() == sha256(base_model_path())


def test_the_build_checks_passed(built: dict[str, object]) -> None:
    assert float(built["merged_vs_adapter_max_abs"]) < 1e-3  # type: ignore[arg-type]
    assert built["greedy_matches"] == "3/3"
    answers = list(built["greedy_answers"])  # type: ignore[call-overload]
    # The fine-tuned behaviour, as llama.cpp produced it from the written file.
    assert answers[0].startswith('[{"name":"create_project"')
    assert answers[1].startswith('[{"name":"list_tasks"')
    assert not answers[2].lstrip().startswith("[")
    assert (DEFAULT_HF_DIR / "model.safetensors").exists()
    assert (DEFAULT_HF_DIR / "tokenizer.json").exists()

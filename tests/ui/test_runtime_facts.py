"""Every card says whether it runs with mlx-lm and whether it fits: the glue, the badges and the specs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.model_entry import ModelEntry
from app.services import characteristics_memo
from app.ui.card_layout import compute_layout, metrics_for
from app.ui.model_list import ModelListModel
from app.ui.runtime_facts import RuntimeFactsGlue
from tests.ui.cardsamples import QWEN_CONFIG, hub, local
from tests.ui.conftest import run

pytest.importorskip("mlx_lm")

TINY = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 1000, "hidden_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
        "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "tie_word_embeddings": True}
TINY_COUNT = 1000 * 64 + 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 128 + 2 * 64) + 64


@pytest.fixture(autouse=True)
def budget(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLX_MANAGER_MEMORY_BYTES", "21300000000")
    monkeypatch.setenv("MLX_MANAGER_CACHE_DIR", str(tmp_path / "mlxm"))
    characteristics_memo.forget_shared()


def snapshot_entry(tmp_path: Path, repo_id: str, config: dict[str, object], weights: int) -> ModelEntry:
    folder = tmp_path / repo_id.replace("/", "--")
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    with open(folder / "model.safetensors", "wb") as handle:
        handle.truncate(weights)
    return local(repo_id, config).with_changes(extra=(("snapshot_path", str(folder)),))


def badge_texts(entry: ModelEntry) -> dict[str, str]:
    layout = compute_layout(entry, 900, True, metrics_for(_font()))
    return {b.text: b.tooltip for b, _ in layout.badges}


def spec_values(entry: ModelEntry) -> dict[str, tuple[str, str]]:
    layout = compute_layout(entry, 900, True, metrics_for(_font()))
    return {cell.item.label: (cell.item.value, cell.item.source) for cell in layout.specs}


def _font():  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QFont

    return QFont("DejaVu Sans", 11)


def test_cards_gain_runs_and_fits_badges_then_the_exact_count(qtbot: QtBot, qloop: asyncio.AbstractEventLoop,
                                                              tmp_path: Path) -> None:
    model = ModelListModel()
    tiny = snapshot_entry(tmp_path, "me/tiny-llama", TINY, 5_000_000)
    whisper = local("openai/whisper-tiny", {"model_type": "whisper", "d_model": 384})
    model.set_entries([tiny, whisper, hub("mlx-community/Qwen2.5-7B-Instruct-4bit", config=QWEN_CONFIG)])
    assert all(e.runtime is None for e in model.all_entries())  # nothing read on the startup path
    events: list[tuple[str, int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles: events.append(("changed", a.row(), b.row())))
    model.modelReset.connect(lambda: events.append(("reset", 0, 0)))
    model.rowsRemoved.connect(lambda _p, a, b: events.append(("removed", a, b)))
    glue = RuntimeFactsGlue([model], use_process=False)
    glue.start()
    try:
        qtbot.waitUntil(lambda: all(e.runtime is not None for e in model.all_entries()), timeout=10_000)
        entries = {e.id: e for e in model.all_entries()}
        assert glue.budget is not None and glue.budget.bytes == 21_300_000_000

        texts = badge_texts(entries["openai/whisper-tiny"])
        assert "has no 'whisper' architecture" in texts["mlx-lm ✗"]

        qwen = badge_texts(entries["mlx-community/Qwen2.5-7B-Instruct-4bit"])
        assert "mlx-lm ✓" in qwen and "Fits" in qwen
        assert "KV cache at 8K" in qwen["Fits"] and "of 21.3 GB" in qwen["Fits"]

        # The local model's weight files and exact count arrive by id, without anything else moving.
        def tiny_now() -> ModelEntry:
            return next(e for e in model.all_entries() if e.id == "me/tiny-llama")

        qtbot.waitUntil(lambda: tiny_now().runtime.exact_parameters == TINY_COUNT,  # type: ignore[union-attr]
                        timeout=20_000)
        tiny_now = tiny_now()
        assert tiny_now.runtime is not None and tiny_now.runtime.memory is not None
        assert tiny_now.runtime.memory.weights.source == "files"
        specs = spec_values(tiny_now)
        assert specs["Exact params"] == (f"{TINY_COUNT:,}", "exact")
        assert specs["mlx-lm"][0] == "✓ supported (llama)"
        assert specs["Memory at 8K"][0].startswith("Fits · 0.3 of 21.3 GB")
        assert specs["Fits up to"][0] == "full context"
        # Facts landed on rows in place: no reset, nothing removed, and the last answer touched one row.
        assert {kind for kind, _, _ in events} == {"changed"}
        assert events[-1][1] == events[-1][2] == model.row_of("me/tiny-llama")
    finally:
        run(qtbot, glue.close())


def test_too_large_and_tight_read_as_such(qtbot: QtBot, qloop: asyncio.AbstractEventLoop,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLX_MANAGER_MEMORY_BYTES", "2000000000")  # 2 GB: a 7B 4-bit model does not fit
    model = ModelListModel()
    model.set_entries([hub("mlx-community/Qwen2.5-7B-Instruct-4bit", config=QWEN_CONFIG)])
    glue = RuntimeFactsGlue([model], use_process=False)
    glue.start()
    try:
        qtbot.waitUntil(lambda: model.all_entries()[0].runtime is not None, timeout=10_000)
        texts = badge_texts(model.all_entries()[0])
        assert "Too large" in texts and "of 2.0 GB" in texts["Too large"]
        assert "Largest context that fits: none" in texts["Too large"]
    finally:
        run(qtbot, glue.close())


def test_the_filter_dialog_offers_runs_and_fits(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QCheckBox

    from app.core.filters import FilterState
    from app.ui.filter_dialog import FilterDialog

    dialog = FilterDialog(FilterState(fits_memory=True), [("Qwen", 1)])
    qtbot.addWidget(dialog)
    boxes = {b.text().replace("&", ""): b for b in dialog.findChildren(QCheckBox)}
    assert boxes["Fits in memory"].isChecked() and not boxes["Runs with mlx-lm"].isChecked()
    boxes["Runs with mlx-lm"].setChecked(True)
    assert dialog.state() == FilterState(runs_mlx_lm=True, fits_memory=True)


def test_the_window_judges_my_models_and_filters_on_it(make_window, hf_cache, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    from app.core.filters import FilterState

    hf_cache.add_model("openai/whisper-tiny", {"config.json": {"model_type": "whisper", "d_model": 384,
                                                               "architectures": ["WhisperForConditionalGeneration"]}})
    window = make_window()
    model = window.local_model
    qtbot.waitUntil(lambda: model.total_count() == 7 and all(
        e.runtime is not None for e in model.all_entries() if e.characteristics is not None), timeout=20_000)
    by_id = {e.id: e for e in model.all_entries()}
    assert by_id["openai/whisper-tiny"].runtime.mlx.status == "unsupported"  # type: ignore[union-attr]
    assert by_id["mlx-community/Qwen2.5-VL-7B-Instruct-4bit"].runtime.mlx.status == "text-only"  # type: ignore[union-attr]
    # The exact count comes from mlx-lm's own model, built in the worker process, and lands by id.
    qtbot.waitUntil(lambda: next(e for e in model.all_entries() if e.id == "mlx-community/Qwen3-8B-4bit")
                    .runtime.exact_parameters is not None, timeout=60_000)  # type: ignore[union-attr]
    window.set_filter_state(FilterState(runs_mlx_lm=True))
    qtbot.waitUntil(lambda: model.rowCount() == 6)
    assert "openai/whisper-tiny" not in {model.entry_at(r).id for r in range(model.rowCount())}  # type: ignore[union-attr]
    window.set_filter_state(FilterState())


def test_hub_cards_get_their_exact_count_from_the_stored_config(make_window, hf_cache, hubsim,  # type: ignore[no-untyped-def]
                                                                qtbot: QtBot) -> None:
    window = make_window(hub_endpoint=hubsim.url)
    window.set_view("hub")
    model = window.hub_model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)

    def judged() -> list[ModelEntry]:
        return [e for e in model.all_entries() if e.runtime is not None and e.runtime.exact_parameters]

    # A config landing from the Hub is read back from the store, built by mlx-lm and counted: by id.
    qtbot.waitUntil(lambda: len(judged()) > 0, timeout=60_000)
    entry = judged()[0]
    assert entry.runtime is not None and entry.runtime.mlx.runs
    texts = badge_texts(entry)
    assert "mlx-lm ✓" in texts
    params = next(tip for text, tip in texts.items() if "exact" in tip and "parameters" in tip)
    assert params.startswith(f"{entry.runtime.exact_parameters:,} parameters, exact")


def test_the_fit_context_preference_judges_every_card_again(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    model = ModelListModel()
    model.set_entries([hub("mlx-community/Qwen2.5-7B-Instruct-4bit", config=QWEN_CONFIG)])
    glue = RuntimeFactsGlue([model], use_process=False)
    glue.start()
    try:
        qtbot.waitUntil(lambda: model.all_entries()[0].runtime is not None, timeout=10_000)
        before = model.all_entries()[0].runtime.memory.at_default  # type: ignore[union-attr]
        assert before.tokens == 8192
        glue.set_context(32768)  # Preferences: "judge fit at 32K"
        qtbot.waitUntil(lambda: model.all_entries()[0].runtime.memory.at_default.tokens == 32768,  # type: ignore[union-attr]
                        timeout=10_000)
        after = model.all_entries()[0].runtime.memory.at_default  # type: ignore[union-attr]
        assert after.bytes is not None and before.bytes is not None and after.bytes > before.bytes
    finally:
        run(qtbot, glue.close())

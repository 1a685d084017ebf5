"""The filter dialog opened from the window: counts faceted over the current list, and on the Hub they say
they cover only the results loaded so far."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel
from pytestqt.qtbot import QtBot

from app.ui.filter_dialog import FilterDialog
from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim, SimModel


def open_dialog(qtbot: QtBot, window: Any) -> FilterDialog:
    qtbot.mouseClick(window.toolbar.filter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.filter_dialog is not None and window.filter_dialog.isVisible(), timeout=5_000)
    dialog: FilterDialog = window.filter_dialog
    return dialog


def tick(dialog: FilterDialog, text: str) -> None:
    next(b for b in dialog.findChildren(QCheckBox) if b.text().replace("&", "") == text).click()


def family_count(dialog: FilterDialog, family: str) -> int:
    text = next(t for t in dialog.family_texts() if t.startswith(f"{family} ("))
    return int(text.rsplit("(", 1)[1].rstrip(")").replace(",", ""))


def test_my_models_family_counts_follow_the_other_sections(qtbot: QtBot, hf_cache: CacheBuilder,
                                                           make_window: Any) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)
    dialog = open_dialog(qtbot, window)
    assert family_count(dialog, "Qwen") == 3 and family_count(dialog, "Llama") == 2
    assert not [label for label in dialog.findChildren(QLabel) if "loaded" in label.text()]  # the whole cache
    tick(dialog, "8-bit")  # only Llama-3.2-3B-Instruct-8bit
    assert family_count(dialog, "Qwen") == 0 and family_count(dialog, "Llama") == 1
    assert dialog.match_text() == "1 model matches"
    dialog.reject()


def test_hub_counts_say_they_cover_the_loaded_results(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                                     make_window: Any) -> None:
    config = json.dumps({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 1024,
                         "num_hidden_layers": 4, "num_attention_heads": 8, "vocab_size": 1000,
                         "max_position_embeddings": 32768, "quantization": {"group_size": 64, "bits": 4}}).encode()
    for n in range(3):
        hubsim.add_model(SimModel(id=f"mlx-community/CountTest-{n}-4bit", files={"config.json": config},
                                  tags=("mlx", "safetensors")))
    window = make_window(hub_endpoint=hubsim.url)
    window.set_view("hub")
    window.toolbar.search.setText("CountTest")
    window.toolbar.search.returnPressed.emit()
    qtbot.waitUntil(lambda: window.controller.hub_query == "CountTest" and window.hub_model.rowCount() == 3,
                    timeout=10_000)
    qtbot.waitUntil(lambda: not window.hub_model.pending_ids(), timeout=10_000)
    dialog = open_dialog(qtbot, window)
    assert dialog.match_text() == "3 models match in the 3 loaded"
    assert any(label.text() == "Counts in the 3 loaded" and label.isVisible()
               for label in dialog.findChildren(QLabel))
    dialog.reject()

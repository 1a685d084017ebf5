"""Filters in the window: the dialog, the chips, ⇧⌘F, persistence, and the Hub view with pending configs."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QListWidget
from pytestqt.qtbot import QtBot

from app.core.filters import FilterState
from app.ui.filter_dialog import FilterDialog
from app.ui.model_list import PENDING_TOOLTIP
from app.ui.roles import PENDING_ROLE
from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim, SimModel

SAMPLE_IDS = {
    "mlx-community/Qwen3-8B-4bit", "mlx-community/Llama-3.2-3B-Instruct-8bit",
    "mlx-community/Qwen2.5-VL-7B-Instruct-4bit", "lmstudio-community/Qwen3-30B-A3B-MLX-4bit",
    "meta-llama/Llama-3.1-8B-Instruct", "mlx-community/gemma-3-4b-it-4bit",
}
QWEN_IDS = {"mlx-community/Qwen3-8B-4bit", "mlx-community/Qwen2.5-VL-7B-Instruct-4bit",
            "lmstudio-community/Qwen3-30B-A3B-MLX-4bit"}


def shown(model: Any) -> set[str]:
    return {model.entry_at(r).id for r in range(model.rowCount())}


def wait_local(qtbot: QtBot, window: Any) -> None:
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)


def open_dialog(qtbot: QtBot, window: Any) -> FilterDialog:
    qtbot.mouseClick(window.toolbar.filter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.filter_dialog is not None and window.filter_dialog.isVisible(), timeout=5_000)
    dialog: FilterDialog = window.filter_dialog
    return dialog


def tick_family(dialog: FilterDialog, family: str) -> None:
    families = dialog.findChild(QListWidget)
    item = next(families.item(i) for i in range(families.count()) if families.item(i).text().startswith(family))
    item.setCheckState(Qt.CheckState.Checked)


def tick(dialog: FilterDialog, text: str) -> None:
    next(b for b in dialog.findChildren(QCheckBox) if b.text().replace("&", "") == text).setChecked(True)


def chip_labels(window: Any) -> list[str]:
    return [chip.text() for chip in window.chips.chips()]


def test_the_dialog_filters_my_models_and_chips_undo_it(qtbot: QtBot, hf_cache: CacheBuilder,
                                                        make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    assert window.toolbar.filter_button.text() == "Filters ▾"
    assert not window.chips.isVisibleTo(window)  # nothing to show without a filter

    dialog = open_dialog(qtbot, window)
    families = dialog.findChild(QListWidget)
    texts = [families.item(i).text() for i in range(families.count())]
    assert texts[0] == "Qwen (3)"  # the current list's families, most common first
    tick_family(dialog, "Qwen")
    assert dialog.match_text() == "3 models match"  # live, before applying
    tick(dialog, "8-bit")
    assert dialog.match_text() == "0 models match"
    tick(dialog, "4-bit")
    assert dialog.match_text() == "3 models match"
    qtbot.mouseClick(dialog.buttons()["apply"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.filter_dialog is None, timeout=5_000)

    assert shown(window.local_model) == QWEN_IDS
    assert window.toolbar.filter_button.text() == "Filters (3) ▾"
    assert window.chips.isVisibleTo(window)
    assert chip_labels(window) == ["Qwen", "4-bit", "8-bit"]
    assert window.chips.count_label().text() == "Showing 3 of 6 models"
    assert window.status.count_label.text() == "6 models"  # the list's size: the chips say what is shown

    # Removing "Qwen" leaves 4-bit or 8-bit: the Llama 8-bit and the Gemma 4-bit come back.
    qtbot.mouseClick(window.chips.chips()[0], Qt.MouseButton.LeftButton)
    assert chip_labels(window) == ["4-bit", "8-bit"]
    assert shown(window.local_model) == SAMPLE_IDS - {"meta-llama/Llama-3.1-8B-Instruct"}
    assert window.chips.count_label().text() == "Showing 5 of 6 models"
    assert window.toolbar.filter_button.text() == "Filters (2) ▾"

    qtbot.mouseClick(window.chips.clear_button(), Qt.MouseButton.LeftButton)
    assert shown(window.local_model) == SAMPLE_IDS
    assert window.filter_state.is_empty
    assert not window.chips.isVisibleTo(window)
    assert window.toolbar.filter_button.text() == "Filters ▾"
    assert window.status.count_label.text() == "6 models"


def test_filters_and_search_text_combine_and_an_empty_result_says_why(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                      make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    window.set_filter_state(FilterState(families=frozenset({"Qwen"})))
    qtbot.keyClicks(window.toolbar.search, "vl")
    assert shown(window.local_model) == {"mlx-community/Qwen2.5-VL-7B-Instruct-4bit"}
    window.set_filter_state(FilterState(families=frozenset({"Llama"})))
    assert window.local_model.rowCount() == 0
    assert window.local_empty.text.startswith("No models match “vl” and the filters")
    window.local_empty.button.click()  # "Clear filters"
    assert window.filter_state.is_empty
    assert shown(window.local_model) == {"mlx-community/Qwen2.5-VL-7B-Instruct-4bit"}  # the search stays


def test_cmd_shift_f_opens_the_dialog_and_cancel_changes_nothing(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                 make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    assert window.filters_action.shortcut() == QKeySequence("Ctrl+Shift+F")  # ⇧⌘F on macOS
    window.local_view.setFocus()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window.local_view, Qt.Key.Key_F,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.filter_dialog is not None and window.filter_dialog.isVisible(), timeout=5_000)
    dialog = window.filter_dialog
    tick_family(dialog, "Llama")
    qtbot.mouseClick(dialog.buttons()["cancel"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.filter_dialog is None, timeout=5_000)
    assert window.filter_state.is_empty
    assert shown(window.local_model) == SAMPLE_IDS


def test_filters_persist_across_a_restart_and_reset_clears_them(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                make_window: Any) -> None:
    first = make_window()
    wait_local(qtbot, first)
    first.set_filter_state(FilterState(families=frozenset({"Qwen"}), moe_only=True))
    assert shown(first.local_model) == {"lmstudio-community/Qwen3-30B-A3B-MLX-4bit"}
    first.close()

    second = make_window()
    wait_local(qtbot, second)
    assert second.filter_state == FilterState(families=frozenset({"Qwen"}), moe_only=True)
    assert shown(second.local_model) == {"lmstudio-community/Qwen3-30B-A3B-MLX-4bit"}
    assert chip_labels(second) == ["Qwen", "MoE only"]
    assert second.hub_model.filter_state == second.filter_state  # one filter for both views

    dialog = open_dialog(qtbot, second)
    qtbot.mouseClick(dialog.buttons()["reset"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.buttons()["apply"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: second.filter_dialog is None, timeout=5_000)
    assert shown(second.local_model) == SAMPLE_IDS
    second.close()
    third = make_window(start=False)
    assert third.filter_state.is_empty


# --- the Hugging Face view ----------------------------------------------------------------------------


def config(context: int, model_type: str = "qwen2") -> bytes:
    return json.dumps({"model_type": model_type, "architectures": ["Qwen2ForCausalLM"], "hidden_size": 2048,
                       "num_hidden_layers": 24, "num_attention_heads": 16, "num_key_value_heads": 4,
                       "vocab_size": 151936, "max_position_embeddings": context,
                       "quantization": {"group_size": 64, "bits": 4}}).encode()


def add_filter_models(sim: HubSim) -> None:
    for name, context, downloads in (("FilterTest-Long-7B-4bit", 131072, 300), ("FilterTest-Short-7B-4bit", 4096, 200),
                                     ("FilterTest-Mid-7B-4bit", 32768, 100)):
        sim.add_model(SimModel(id=f"mlx-community/{name}", files={"config.json": config(context)},
                               tags=("mlx", "safetensors"), downloads=downloads,
                               safetensors={"parameters": {"BF16": 7_000_000_000}, "total": 7_000_000_000}))


def hub_rows(window: Any) -> list[str]:
    model = window.hub_model
    return [model.entry_at(r).id for r in range(model.rowCount())]


def test_the_same_filter_applies_on_the_hub_with_pending_rows_dimmed_until_their_config_lands(
        qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim, make_window: Any) -> None:
    add_filter_models(hubsim)
    hubsim.faults.latency = 0.3  # the listing is on screen well before any config.json arrives
    window = make_window(hub_endpoint=hubsim.url)
    window.set_filter_state(FilterState(min_context=32 * 1024))
    window.set_view("hub")
    window.toolbar.search.setText("FilterTest")
    window.toolbar.search.returnPressed.emit()
    long_id, short_id, mid_id = (f"mlx-community/FilterTest-{n}-7B-4bit" for n in ("Long", "Short", "Mid"))
    qtbot.waitUntil(lambda: window.controller.hub_query == "FilterTest" and window.hub_model.rowCount() == 3,
                    timeout=10_000)
    # The context is only in config.json: nothing can be decided yet, so every card shows, dimmed.
    assert hub_rows(window) == [long_id, short_id, mid_id]
    model = window.hub_model
    assert model.pending_ids() == {long_id, short_id, mid_id}
    index = model.index(model.row_of(short_id), 0)
    assert index.data(PENDING_ROLE) is True
    assert PENDING_TOOLTIP in index.data(Qt.ItemDataRole.ToolTipRole)
    assert window.chips.count_label().text() == "3 models"
    # Pending rows are visible rows: their configs are fetched, and each card then stays or goes.
    qtbot.waitUntil(lambda: not model.pending_ids(), timeout=10_000)
    assert hub_rows(window) == [long_id, mid_id]
    assert model.index(0, 0).data(PENDING_ROLE) is False
    assert window.chips.count_label().text() == "Showing 2 of 3 models"
    configs = {r.path for r in hubsim.requests(r"/resolve/main/config\.json$")}
    assert {f"/{i}/resolve/main/config.json" for i in (long_id, short_id, mid_id)} <= configs


def test_a_parameter_filter_is_sent_to_the_hub_and_searches_again(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                  hubsim: HubSim, make_window: Any) -> None:
    add_filter_models(hubsim)
    window = make_window(hub_endpoint=hubsim.url)
    window.set_view("hub")
    qtbot.waitUntil(lambda: window.controller.hub_state == "ready", timeout=10_000)
    first = [r.query for r in hubsim.requests(r"^/api/models$")]
    assert len(first) == 1 and "num_parameters" not in first[0]

    window.set_filter_state(FilterState(parameters=frozenset({"3–8B"})))
    qtbot.waitUntil(lambda: len(hubsim.requests(r"^/api/models$")) == 2 and window.controller.hub_state == "ready",
                    timeout=10_000)
    second = hubsim.requests(r"^/api/models$")[-1].query
    assert second["num_parameters"] == ["min:3B,max:8B"]
    assert second["filter"] == ["mlx"]
    assert window.hub_model.rowCount() > 0
    # The client still applies the filter: no card outside 3–8B is shown as a match.
    for entry in window.hub_model.shown_entries():
        count = entry.characteristics.parameter_count_estimate if entry.characteristics else None
        assert count is None or 3e9 <= count < 8e9 or window.hub_model.is_pending(entry.id)

    # A change the Hub cannot filter (a family) does not search again.
    window.set_filter_state(FilterState(parameters=frozenset({"3–8B"}), families=frozenset({"Qwen"})))
    assert window.controller.hub_state == "ready"
    assert len(hubsim.requests(r"^/api/models$")) == 2


def test_a_pending_card_is_painted_dimmed(qtbot: QtBot) -> None:
    from tests.ui.cardsamples import hub, make_view, pixels, render_row

    view, model, delegate = make_view([hub("mlx-community/Qwen2.5-7B-Instruct-4bit")])
    qtbot.addWidget(view)

    def darkest() -> int:
        return min(min((v >> 16) & 255, (v >> 8) & 255, v & 255) for v in pixels(render_row(view, delegate, 0)))

    plain = darkest()
    model.set_filter_state(FilterState(min_context=32 * 1024))  # undecidable until config.json lands
    assert model.is_pending(model.entry_at(0).id)
    dimmed = darkest()
    model.set_filter_state(FilterState())
    assert darkest() == plain
    assert plain < 80 and dimmed > plain + 40  # the name's dark text turns grey: the card reads as "not yet"


def test_hub_results_all_hidden_by_the_filters_say_so(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                                      make_window: Any) -> None:
    add_filter_models(hubsim)
    window = make_window(hub_endpoint=hubsim.url)
    window.set_filter_state(FilterState(families=frozenset({"Gemma"})))  # the listing already says Qwen
    window.set_view("hub")
    window.toolbar.search.setText("FilterTest")
    window.toolbar.search.returnPressed.emit()
    qtbot.waitUntil(lambda: window.controller.hub_query == "FilterTest" and window.controller.hub_state == "ready",
                    timeout=10_000)
    assert window.hub_model.total_count() == 3 and window.hub_model.rowCount() == 0
    assert window.hub_empty.text.startswith("No results match the filters")
    window.hub_empty.button.click()  # "Clear filters"
    assert hub_rows(window) == [f"mlx-community/FilterTest-{n}-7B-4bit" for n in ("Long", "Short", "Mid")]
    assert window.hub_empty.text == ""

"""The filter dialog (what the controls say is what `state()` returns; keyboard works) and the saved state."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QRadioButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.characteristics import ModelCharacteristics
from app.core.filter_index import FilterIndex
from app.core.filters import FilterState
from app.core.model_entry import ConfigStatus, ModelEntry, Source
from app.ui.filter_dialog import FilterDialog
from app.ui.filter_settings import load_filter_state, save_filter_state, state_from_json, state_to_json

FAMILIES = [("Qwen", 42), ("Llama", 17), ("Gemma", 5)]
MANY_FAMILIES = [(f"Family{n}", 100 - n) for n in range(12)]
RICH = FilterState(families=frozenset({"Qwen", "Kimi"}), capability="multimodal", vision=True, audio=True,
                   quantization=frozenset({"4", "mxfp4", "unquantized"}), parameters=frozenset({"<3B", ">80B"}),
                   min_context=32 * 1024, moe_only=True, hide_gated=True)


EMPTY = FilterState()


def make_dialog(qtbot: QtBot, state: FilterState = EMPTY, families: list[tuple[str, int]] = FAMILIES,
                **kwargs: object) -> FilterDialog:
    dialog = FilterDialog(state, families, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def show(qtbot: QtBot, dialog: FilterDialog) -> None:
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)


def check_box(dialog: FilterDialog, text: str) -> QCheckBox:
    return next(b for b in dialog.findChildren(QCheckBox) if b.text().replace("&", "") == text)


def radio(dialog: FilterDialog, text: str) -> QRadioButton:
    return next(b for b in dialog.findChildren(QRadioButton) if b.text().replace("&", "") == text)


def family_list(dialog: FilterDialog) -> QListWidget:
    return dialog.findChild(QListWidget)


def family_texts(dialog: FilterDialog, visible_only: bool = False) -> list[str]:
    families = family_list(dialog)
    return [families.item(i).text() for i in range(families.count())
            if not (visible_only and families.isRowHidden(i))]


# --- state in, state out -------------------------------------------------------------------------


def test_every_field_of_a_state_round_trips_through_the_controls(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, RICH)
    assert dialog.state() == RICH
    # A saved family the current list does not have is still there, ticked, so it can be unticked.
    assert family_texts(dialog) == ["Qwen (42)", "Llama (17)", "Gemma (5)", "Kimi (0)"]
    assert check_box(dialog, "4-bit").isChecked() and check_box(dialog, "MXFP4").isChecked()
    assert radio(dialog, "≥ 32K").isChecked() and radio(dialog, "Multimodal").isChecked()


def test_an_odd_saved_context_stays_selectable(qtbot: QtBot) -> None:
    state = FilterState(min_context=64 * 1024)
    dialog = make_dialog(qtbot, state)
    assert radio(dialog, "≥ 64K").isChecked()
    assert dialog.state() == state


def test_ticking_controls_builds_the_matching_state(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    assert dialog.state() == FilterState()
    family_list(dialog).item(1).setCheckState(Qt.CheckState.Checked)  # Llama
    check_box(dialog, "8-bit").click()
    check_box(dialog, "Unquantized (FP16 / BF16 / FP32)").click()
    check_box(dialog, "8–15B").click()
    radio(dialog, "Text only").click()
    radio(dialog, "≥ 128K").click()
    check_box(dialog, "Hide gated models").click()
    assert dialog.state() == FilterState(families=frozenset({"Llama"}), capability="text",
                                         quantization=frozenset({"8", "unquantized"}),
                                         parameters=frozenset({"8–15B"}), min_context=128 * 1024, hide_gated=True)
    assert [label for _, label in dialog.state().chips()] == [
        "Llama", "Text only", "8-bit", "Unquantized (FP16 / BF16 / FP32)", "8–15B", "≥ 128K context", "Hide gated"]


def test_text_only_greys_out_vision_and_audio(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, FilterState(vision=True))
    vision = check_box(dialog, "Vision (images)")
    assert vision.isEnabled()
    radio(dialog, "Text only").click()
    assert not vision.isEnabled() and not check_box(dialog, "Audio").isEnabled()
    assert dialog.state() == FilterState(capability="text")  # a text-only model cannot take images
    radio(dialog, "Multimodal").click()
    assert vision.isEnabled() and dialog.state() == FilterState(capability="multimodal", vision=True)


def test_reset_clears_the_controls_and_keeps_the_dialog_open(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, RICH)
    show(qtbot, dialog)
    dialog.buttons()["reset"].click()
    assert dialog.isVisible()
    assert dialog.state() == FilterState()
    anys = [b for b in dialog.findChildren(QRadioButton) if b.text().replace("&", "") == "Any"]
    assert len(anys) == 2 and all(b.isChecked() for b in anys)  # capability and context
    assert not any(b.isChecked() for b in dialog.findChildren(QCheckBox))


# --- closing: Apply / Enter, Cancel / Escape --------------------------------------------------------


def test_apply_emits_the_state_and_exec_returns_accepted(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    check_box(dialog, "4-bit").setChecked(True)
    QTimer.singleShot(0, dialog.buttons()["apply"].click)
    with qtbot.waitSignal(dialog.applied, timeout=2000) as signal:
        result = dialog.exec()
    assert result == QDialog.DialogCode.Accepted
    assert signal.args == [FilterState(quantization=frozenset({"4"}))]


def test_enter_applies_even_from_the_family_list(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    show(qtbot, dialog)
    families = family_list(dialog)
    families.setFocus()
    families.setCurrentRow(0)
    qtbot.keyClick(families, Qt.Key.Key_Space)  # Space ticks the current family
    with qtbot.waitSignal(dialog.applied, timeout=2000) as signal:
        qtbot.keyClick(families, Qt.Key.Key_Return)
    assert signal.args == [FilterState(families=frozenset({"Qwen"}))]
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_escape_and_cancel_change_nothing(qtbot: QtBot) -> None:
    for close in ("escape", "cancel"):
        dialog = make_dialog(qtbot, RICH)
        show(qtbot, dialog)
        applied: list[FilterState] = []
        dialog.applied.connect(applied.append)
        dialog.buttons()["reset"].click()
        if close == "escape":
            qtbot.keyClick(check_box(dialog, "2-bit"), Qt.Key.Key_Escape)
        else:
            dialog.buttons()["cancel"].click()
        assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
        assert applied == []


# --- keyboard ------------------------------------------------------------------------------------


def test_tab_walks_the_sections_in_reading_order(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, families=MANY_FAMILIES)
    show(qtbot, dialog)
    field = dialog.findChild(QLineEdit)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    visited: list[QWidget] = []
    for _ in range(40):
        widget = QApplication.focusWidget()
        if widget is None or widget in visited:
            break
        visited.append(widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    names = [w.text().replace("&", "") if hasattr(w, "text") and not isinstance(w, QLineEdit) else type(w).__name__
             for w in visited]
    landmarks = ["QLineEdit", "QListWidget", "Vision (images)", "2-bit", "Other method", "<3B", "MoE only "
                 "(mixture of experts)", "Hide gated models"]
    positions = [names.index(name) for name in landmarks]
    assert positions == sorted(positions), names
    # Then the buttons, left to right as they are shown (their order depends on the platform).
    buttons = sorted(dialog.buttons().values(), key=lambda b: b.mapTo(dialog, b.rect().topLeft()).x())
    assert names[-3:] == [b.text().replace("&", "") for b in buttons]


def test_space_ticks_a_focused_checkbox_and_the_count_follows(qtbot: QtBot) -> None:
    calls: list[FilterState] = []

    def count(state: FilterState) -> int:
        calls.append(state)
        return 7 if state.moe_only else 1234

    dialog = make_dialog(qtbot, count=count)
    show(qtbot, dialog)
    assert dialog.match_text() == "1,234 models match"
    moe = check_box(dialog, "MoE only (mixture of experts)")
    moe.setFocus()
    qtbot.keyClick(moe, Qt.Key.Key_Space)
    assert moe.isChecked()
    assert dialog.match_text() == "7 models match"
    before = len(calls)
    dialog.buttons()["reset"].click()
    assert dialog.match_text() == "1,234 models match"
    assert len(calls) == before + 1  # reset recounts once, not once per control it clears
    radio(dialog, "≥ 8K").click()
    assert len(calls) == before + 2  # one radio switch, one count


def test_long_family_lists_get_a_filter_field_and_down_enters_the_list(qtbot: QtBot) -> None:
    short = make_dialog(qtbot)
    assert not short.findChild(QLineEdit).isVisibleTo(short)
    dialog = make_dialog(qtbot, families=MANY_FAMILIES)
    show(qtbot, dialog)
    field = dialog.findChild(QLineEdit)
    assert field.isVisible()
    field.setFocus()
    qtbot.keyClicks(field, "y1")
    assert family_texts(dialog, visible_only=True) == ["Family1 (99)", "Family10 (90)", "Family11 (89)"]
    qtbot.keyClick(field, Qt.Key.Key_Down)
    families = family_list(dialog)
    assert families.hasFocus() and families.currentItem().text() == "Family1 (99)"
    qtbot.keyClick(families, Qt.Key.Key_Space)
    assert dialog.state().families == frozenset({"Family1"})


def test_live_count_from_a_real_filter_index(qtbot: QtBot) -> None:
    qwen = ModelCharacteristics(architecture_family="Qwen", quantization_bits=4, quantization_mode="affine",
                                model_type="qwen2", max_position_embeddings=32768)
    llama = ModelCharacteristics(architecture_family="Llama", torch_dtype="bfloat16", model_type="llama",
                                 max_position_embeddings=131072)
    entries = [ModelEntry(id=f"org/m{n}", source=Source.LOCAL, characteristics=qwen if n % 3 else llama,
                          config_status=ConfigStatus.OK) for n in range(30)]
    index = FilterIndex(entries)
    dialog = make_dialog(qtbot, families=index.family_counts(), count=lambda s: len(index.apply(s, "").rows))
    assert family_texts(dialog) == ["Qwen (20)", "Llama (10)"]
    assert dialog.match_text() == "30 models match"
    radio(dialog, "≥ 128K").click()
    assert dialog.match_text() == "10 models match"
    check_box(dialog, "4-bit").click()
    assert dialog.match_text() == "0 models match"


# --- persistence -----------------------------------------------------------------------------------


def settings_file(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "filters.ini"), QSettings.Format.IniFormat)


def test_saved_state_comes_back_after_a_relaunch(tmp_path: Path) -> None:
    settings = settings_file(tmp_path)
    save_filter_state(settings, RICH)
    settings.sync()
    assert load_filter_state(settings_file(tmp_path)) == RICH
    save_filter_state(settings, FilterState(), key="filters/hub")
    assert load_filter_state(settings, key="filters/hub") == FilterState()
    assert load_filter_state(settings) == RICH


@pytest.mark.parametrize("stored", [
    None, "", "not json", "[1, 2]", "null", '"text"', "{", 12, ["a"], "{" * 5000 + "}" * 5000, "x" * 50_000,
    '{"families": 5, "capability": "sideways", "vision": "yes", "quantization": ["99"], "parameters": ["huge"],'
    ' "min_context": true, "moe_only": 1, "hide_gated": null}',
])
def test_garbage_in_settings_gives_the_empty_filter(tmp_path: Path, stored: object) -> None:
    settings = settings_file(tmp_path)
    if stored is not None:
        settings.setValue("filters/state", stored)
    assert load_filter_state(settings) == FilterState()


def test_one_bad_field_does_not_lose_the_others() -> None:
    text = state_to_json(RICH).replace('"min_context": 32768', '"min_context": -5')
    assert text != state_to_json(RICH)
    assert state_from_json(text) == replace(RICH, min_context=None)
    text = state_to_json(RICH).replace('"mxfp4"', '"mxfp5"')
    assert state_from_json(text) == replace(RICH, quantization=frozenset({"4", "unquantized"}))


# --- counts that say what they mean -------------------------------------------------------------------


def two_family_index() -> FilterIndex:
    qwen = ModelCharacteristics(architecture_family="Qwen", quantization_bits=4, quantization_mode="affine",
                                model_type="qwen2", max_position_embeddings=32768)
    llama = ModelCharacteristics(architecture_family="Llama", torch_dtype="bfloat16", model_type="llama",
                                 max_position_embeddings=131072)
    return FilterIndex([ModelEntry(id=f"org/m{n}", source=Source.LOCAL, characteristics=qwen if n % 3 else llama,
                                   config_status=ConfigStatus.OK) for n in range(30)])


def test_one_match_is_said_in_the_singular(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, count=lambda s: 7 if s.moe_only else 1)
    assert dialog.match_text() == "1 model matches"
    check_box(dialog, "MoE only (mixture of experts)").click()
    assert dialog.match_text() == "7 models match"


def test_family_counts_follow_the_other_sections_but_not_the_families(qtbot: QtBot) -> None:
    index = two_family_index()
    dialog = make_dialog(qtbot, families=index.family_counts(), count=lambda s: len(index.apply(s, "").rows),
                         facets=lambda s: index.faceted_family_counts(s, ""))
    assert dialog.family_texts() == ["Qwen (20)", "Llama (10)"]
    check_box(dialog, "4-bit").click()
    assert dialog.family_texts() == ["Qwen (20)", "Llama (0)"]  # order kept: nothing jumps under the pointer
    assert dialog.match_text() == "20 models match"
    family_list(dialog).item(1).setCheckState(Qt.CheckState.Checked)  # Llama, as the Hub's website counts
    assert dialog.family_texts() == ["Qwen (20)", "Llama (0)"]
    assert dialog.match_text() == "0 models match"
    check_box(dialog, "4-bit").click()
    radio(dialog, "≥ 128K").click()
    assert dialog.family_texts() == ["Qwen (0)", "Llama (10)"]
    assert dialog.match_text() == "10 models match"
    dialog.reset()
    assert dialog.family_texts() == ["Qwen (20)", "Llama (10)"]


def test_hub_counts_say_they_cover_only_the_loaded_results(qtbot: QtBot) -> None:
    from app.ui.filter_dialog import loaded_scope

    index = two_family_index()
    dialog = make_dialog(qtbot, families=index.family_counts(), count=lambda s: len(index.apply(s, "").rows),
                         facets=lambda s: index.faceted_family_counts(s, ""), scope=loaded_scope(len(index)))
    show(qtbot, dialog)
    assert dialog.match_text() == "30 models match in the 30 loaded"
    note = dialog.findChild(QLabel, "filterScope")
    assert note is not None and note.isVisible() and note.text() == "Counts in the 30 loaded"
    local = make_dialog(qtbot, count=lambda s: 3)
    show(qtbot, local)
    assert local.match_text() == "3 models match"
    assert not [label.text() for label in local.findChildren(QLabel) if "loaded" in label.text()]

"""The active-filter chips: one per condition, removable by mouse and keyboard, painted from the palette."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.core.filters import FilterState
from app.ui.filter_chips import FilterChipsBar, count_text

STATE = FilterState(families=frozenset({"Qwen"}), quantization=frozenset({"4"}), moe_only=True)


_windows: list[QWidget] = []  # the test windows stay alive until the test ends


@pytest.fixture(autouse=True)
def _forget_windows() -> Iterator[None]:
    yield
    _windows.clear()


def make_bar(qtbot: QtBot, state: FilterState = STATE, *, show: bool = True) -> FilterChipsBar:
    """The bar in a window after a line edit (something before it to tab from), wired the way the window
    wires it: removing a chip sets the smaller state back."""
    window = QWidget()
    qtbot.addWidget(window)
    _windows.append(window)
    layout = QVBoxLayout(window)
    layout.addWidget(QLineEdit())
    bar = FilterChipsBar()
    layout.addWidget(bar)
    bar.chip_removed.connect(lambda key: bar.set_state(bar.state().without(key)))
    bar.clear_all.connect(lambda: bar.set_state(FilterState()))
    bar.set_state(state)
    bar.set_counts(3, 41)
    window.resize(700, 80)
    if show:
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
    return bar


def labels(bar: FilterChipsBar) -> list[str]:
    return [chip.text() for chip in bar.chips() if chip.isVisibleTo(bar)]


def test_one_chip_per_condition_then_clear_all_and_the_count(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    assert labels(bar) == ["Qwen", "4-bit", "MoE only"]
    assert bar.clear_button().isVisible()
    assert bar.count_label().text() == "Showing 3 of 41 models"
    # Left to right: the chips, Clear all, then the count at the far right.
    xs = [w.mapTo(bar, QPoint(0, 0)).x() for w in [*bar.chips(), bar.clear_button(), bar.count_label()]]
    assert xs == sorted(xs)
    assert bar.count_label().geometry().right() >= bar.width() - 2


def test_no_filter_hides_the_chips_but_keeps_the_count(qtbot: QtBot) -> None:
    bar = make_bar(qtbot, FilterState())
    assert labels(bar) == []
    assert not bar.clear_button().isVisible()
    assert bar.count_label().isVisible() and bar.count_label().text() == "Showing 3 of 41 models"
    bar.set_state(STATE)
    assert bar.clear_button().isVisible()
    bar.set_state(FilterState())
    assert not bar.clear_button().isVisible()


def test_count_wording() -> None:
    assert count_text(12, 340) == "Showing 12 of 340 models"
    assert count_text(340, 340) == "340 models"
    assert count_text(1, 1) == "1 model"
    assert count_text(1234, 50000) == "Showing 1,234 of 50,000 models"


def test_clicking_a_chip_removes_that_condition(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    chip = bar.chips()[1]
    with qtbot.waitSignal(bar.chip_removed, timeout=1000) as signal:
        qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert signal.args == ["quant:4"]
    assert labels(bar) == ["Qwen", "MoE only"]


def test_clear_all(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    with qtbot.waitSignal(bar.clear_all, timeout=1000):
        qtbot.mouseClick(bar.clear_button(), Qt.MouseButton.LeftButton)
    assert labels(bar) == [] and not bar.clear_button().isVisible()


def test_keyboard_removes_chips_one_after_another(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    removed: list[str] = []
    bar.chip_removed.connect(removed.append)
    first = bar.chips()[0]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    # Delete, then Backspace, then Space: each removes the focused chip and focus moves to the next one.
    for key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
        qtbot.keyClick(bar.focusWidget() or first, key)
        focused = bar.window().focusWidget()
        assert focused in bar.chips(), "focus stays on a chip"
    assert removed == ["family:Qwen", "quant:4"]
    assert labels(bar) == ["MoE only"]
    last = bar.chips()[0]
    assert last.hasFocus()
    qtbot.keyClick(last, Qt.Key.Key_Space)  # press and release: removed once, not twice
    assert removed == ["family:Qwen", "quant:4", "moe"]
    assert labels(bar) == []


def test_tab_reaches_each_chip_and_clear_all(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    field = bar.window().findChild(QLineEdit)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    reached = []
    for _ in range(4):
        qtbot.keyClick(bar.window().focusWidget(), Qt.Key.Key_Tab)
        reached.append(bar.window().focusWidget())
    assert reached == [*bar.chips(), bar.clear_button()]
    assert all(chip.accessibleName().startswith("Remove filter ") for chip in bar.chips())


def test_other_keys_do_not_remove(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    removed: list[str] = []
    bar.chip_removed.connect(removed.append)
    chip = bar.chips()[0]
    chip.setFocus()
    qtbot.keyClick(chip, Qt.Key.Key_A)
    qtbot.keyClick(chip, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert removed == []


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {QPalette.ColorRole.Window: "#1e1f22", QPalette.ColorRole.WindowText: "#e6e6e6",
              QPalette.ColorRole.Base: "#2b2d30", QPalette.ColorRole.Text: "#e6e6e6",
              QPalette.ColorRole.Button: "#3a3c40", QPalette.ColorRole.ButtonText: "#e6e6e6",
              QPalette.ColorRole.Highlight: "#3d7eff", QPalette.ColorRole.PlaceholderText: "#8c8f94"}
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    return palette


def test_chips_follow_the_palette_light_and_dark(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    chip = bar.chips()[0]

    def fill_and_ink() -> tuple[float, float]:
        image = chip.grab().toImage()
        fill = image.pixelColor(image.width() // 2, 4).lightnessF()  # inside the pill, above the text
        ink = min(image.pixelColor(x, y).lightnessF() if fill > 0.5 else 1 - image.pixelColor(x, y).lightnessF()
                  for x in range(image.width()) for y in range(image.height() // 3, 2 * image.height() // 3))
        return fill, ink

    light_fill, light_ink = fill_and_ink()
    assert light_fill > 0.8 and light_ink < 0.35  # a light pill with dark text
    bar.window().setPalette(dark_palette())
    dark_fill, dark_ink = fill_and_ink()
    assert dark_fill < 0.3 and dark_ink < 0.35  # a dark pill with light text

"""The quick search driven from the keyboard against the Hub simulator: ⌘K, typing, the Hub after a pause,
a new query cancelling the previous one, Up/Down, ⌘C, Return into the main window, ⌘Return, Escape."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.core.model_entry import ConfigStatus, Source
from app.ui.app_preferences import AppPreferences
from app.ui.shell import Shell
from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim

CTRL = Qt.KeyboardModifier.ControlModifier  # ⌘ on macOS


@pytest.fixture
def shell(qtbot: QtBot, qapp: QApplication, hf_cache: CacheBuilder, hubsim: HubSim, make_window: Any) -> Any:
    hubsim.generate_models(60)  # gemma, llama and qwen MLX builds besides the corpus
    window = make_window(hub_endpoint=hubsim.url)
    qtbot.waitUntil(lambda: window.controller.local_scanned, timeout=10_000)
    quits: list[int] = []
    shell = Shell(qapp, window, AppPreferences(window.settings.qsettings), quit=lambda: quits.append(1), tray=False)
    shell.quits = quits  # type: ignore[attr-defined]
    yield shell
    shell.close()


def ids(shell: Any) -> list[str]:
    model = shell.quick.results
    return [model.entry_at(r).id for r in range(model.rowCount())]


def searches(sim: HubSim) -> list[str]:
    return [r.query.get("search", [""])[0] for r in sim.requests(r"^/api/models$")]


def open_with_shortcut(qtbot: QtBot, shell: Any) -> Any:
    window = shell.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    window.local_view.setFocus()
    qtbot.keyClick(window.local_view, Qt.Key.Key_K, CTRL)
    quick = shell.quick
    qtbot.waitUntil(quick.isVisible, timeout=2_000)
    qtbot.waitUntil(quick.field.hasFocus, timeout=2_000)  # activation arrives from the platform
    return quick


def test_cmd_k_types_local_results_at_once_then_the_hub_after_a_pause(qtbot: QtBot, shell: Any,
                                                                       hubsim: HubSim) -> None:
    quick = open_with_shortcut(qtbot, shell)
    assert quick.field.hasFocus()
    assert len(ids(shell)) == 6, "an empty query lists My Models"
    hubsim.clear_log()
    qtbot.keyClicks(quick.field, "qwen")
    # My Models answer with no network at all, while the Hub has not been asked yet.
    local = ids(shell)
    assert sorted(local) == ["lmstudio-community/Qwen3-30B-A3B-MLX-4bit", "mlx-community/Qwen2.5-VL-7B-Instruct-4bit",
                             "mlx-community/Qwen3-8B-4bit"]
    assert searches(hubsim) == []
    assert quick.current_entry() is not None and quick.current_entry().id == local[0]
    qtbot.waitUntil(lambda: quick._hub_query == "qwen", timeout=10_000)
    assert searches(hubsim) == ["qwen"], "one Hub search after the pause, not one per keystroke"
    shown = ids(shell)
    assert shown[:3] == local, "My Models first"
    hub_rows = shown[3:]
    assert hub_rows and all("qwen" in i.lower() for i in hub_rows)
    assert not set(hub_rows) & set(local)
    assert "on Hugging Face" in quick.footer.text()


def test_hub_results_settle_with_their_configs(qtbot: QtBot, shell: Any, hubsim: HubSim) -> None:
    quick = open_with_shortcut(qtbot, shell)
    qtbot.keyClicks(quick.field, "gemma")
    qtbot.waitUntil(lambda: quick.settled, timeout=15_000)
    hub = [e for e in quick.results.all_entries() if e.source is Source.HUB]
    assert hub, quick.footer.text()
    assert all(e.config_status is not ConfigStatus.PENDING for e in hub)
    assert any(e.config_status is ConfigStatus.OK for e in hub)
    fetched = {r.path.split("/resolve/")[0].lstrip("/") for r in hubsim.requests(r"/resolve/main/config\.json$")}
    assert {e.id for e in hub if e.config_status is ConfigStatus.OK} <= fetched, "through the window's fetcher"


def test_a_new_query_cancels_the_previous_hub_search(qtbot: QtBot, shell: Any, hubsim: HubSim) -> None:
    quick = open_with_shortcut(qtbot, shell)
    hubsim.faults.latency = 0.6
    qtbot.keyClicks(quick.field, "llama")
    qtbot.waitUntil(lambda: quick._hub_task is not None, timeout=5_000)
    first = quick._hub_task
    quick.field.clear()
    qtbot.keyClicks(quick.field, "gemma")
    qtbot.waitUntil(first.done, timeout=5_000)
    assert first.cancelled()
    hubsim.faults.latency = 0
    qtbot.waitUntil(lambda: quick._hub_query == "gemma", timeout=10_000)
    assert all("gemma" in i.lower() for i in ids(shell)), ids(shell)


def test_up_down_copy_and_return_open_the_model_in_the_window(qtbot: QtBot, shell: Any) -> None:
    window = shell.window
    window.set_view("hub")
    window.set_view("my")
    quick = open_with_shortcut(qtbot, shell)
    qtbot.keyClicks(quick.field, "llama")
    rows = ids(shell)
    assert set(rows[:2]) == {"mlx-community/Llama-3.2-3B-Instruct-8bit", "meta-llama/Llama-3.1-8B-Instruct"}
    first = quick.current_entry().id
    qtbot.keyClick(quick.field, Qt.Key.Key_Down)
    second = quick.current_entry().id
    assert second != first
    qtbot.keyClick(quick.field, Qt.Key.Key_Up)
    assert quick.current_entry().id == first
    qtbot.keyClick(quick.field, Qt.Key.Key_Down)
    quick.field.deselect()
    qtbot.keyClick(quick.field, Qt.Key.Key_C, CTRL)
    assert QGuiApplication.clipboard().text() == second
    assert quick.field.text() == "llama", "⌘C did not touch the typed text"
    qtbot.keyClick(quick.field, Qt.Key.Key_Return)
    assert not quick.isVisible()
    assert window.isVisible() and window.view == "my"
    selected = window.selected_entry()
    assert selected is not None and selected.id == second
    assert window.local_model.is_expanded(second), "its specs are open"
    assert window.local_view.visualRect(window.local_view.currentIndex()).intersects(
        window.local_view.viewport().rect()), "scrolled into view"


def test_return_on_a_hub_result_opens_it_in_the_hugging_face_view(qtbot: QtBot, shell: Any) -> None:
    window = shell.window
    quick = open_with_shortcut(qtbot, shell)
    qtbot.keyClicks(quick.field, "gemma")
    qtbot.waitUntil(lambda: quick._hub_query == "gemma", timeout=10_000)
    hub = [e.id for e in quick.results.all_entries() if e.source is Source.HUB]
    assert hub
    target = hub[min(2, len(hub) - 1)]
    while quick.current_entry().id != target:
        qtbot.keyClick(quick.field, Qt.Key.Key_Down)
    qtbot.keyClick(quick.field, Qt.Key.Key_Return)
    assert window.view == "hub"
    qtbot.waitUntil(lambda: (e := window.selected_entry()) is not None and e.id == target, timeout=10_000)
    assert window.hub_model.is_expanded(target)


def test_cmd_return_opens_hugging_face_and_escape_hides(qtbot: QtBot, shell: Any, hubsim: HubSim) -> None:
    quick = open_with_shortcut(qtbot, shell)
    qtbot.keyClicks(quick.field, "qwen3-8b")
    target = quick.current_entry().id
    qtbot.keyClick(quick.field, Qt.Key.Key_Return, CTRL)
    assert not quick.isVisible()
    assert [u.toString() for u in shell.window.opened_urls] == [f"{hubsim.url}/{target}"]
    quick = open_with_shortcut(qtbot, shell)
    assert quick.field.selectedText() == "qwen3-8b", "reopens with the last query selected, ready to retype"
    qtbot.keyClick(quick.field, Qt.Key.Key_Escape)
    assert not quick.isVisible()


def test_losing_focus_hides_the_popup(qtbot: QtBot, shell: Any) -> None:
    quick = open_with_shortcut(qtbot, shell)
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is quick.windowHandle(), timeout=2_000)
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not quick.isVisible(), timeout=2_000)


def test_placed_under_the_icon_inside_the_screen(qtbot: QtBot, shell: Any) -> None:
    screen = QGuiApplication.primaryScreen().availableGeometry()
    icon = QRect(screen.right() - 30, screen.top(), 22, 22)
    shell.quick.popup(icon)
    geometry = shell.quick.geometry()
    assert screen.contains(geometry)
    assert geometry.top() >= icon.bottom()
    assert geometry.right() == screen.right()
    shell.quick.hide()


def test_my_models_changing_while_open_shows_at_once(qtbot: QtBot, shell: Any) -> None:
    quick = open_with_shortcut(qtbot, shell)
    qtbot.keyClicks(quick.field, "gemma")
    gone = "mlx-community/gemma-3-4b-it-4bit"
    assert ids(shell)[:1] == [gone]
    shell.window.local_model.remove_ids([gone])  # deleted from the cache while the popup is open
    qtbot.waitUntil(lambda: gone not in ids(shell), timeout=2_000)
    assert quick.field.text() == "gemma"


def test_opening_a_model_hidden_by_the_window_search_and_filters_shows_it(qtbot: QtBot, shell: Any) -> None:
    from app.core.filters import FilterState

    window = shell.window
    window.toolbar.search.setText("llama")
    window.set_filter_state(FilterState(moe_only=True))
    target = "mlx-community/Qwen3-8B-4bit"
    assert window.local_model.row_of(target) is None, "hidden in the window"
    quick = open_with_shortcut(qtbot, shell)
    qtbot.keyClicks(quick.field, "qwen3-8b")
    assert quick.current_entry().id == target, "the quick search ignores the window's filters"
    qtbot.keyClick(quick.field, Qt.Key.Key_Return)
    assert window.selected_entry() is not None and window.selected_entry().id == target
    assert window.filter_state.is_empty and window.toolbar.search.text() == ""
    assert "Filters cleared" in window.status.currentMessage()

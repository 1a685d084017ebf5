"""The window on a real cache: views, local search, sort, keys, context actions, empty state, settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.sorting import natural
from app.ui.roles import ENTRY_ROLE
from tests.cachebuilder import CacheBuilder, llama_config

SAMPLE_IDS = {
    "mlx-community/Qwen3-8B-4bit", "mlx-community/Llama-3.2-3B-Instruct-8bit",
    "mlx-community/Qwen2.5-VL-7B-Instruct-4bit", "lmstudio-community/Qwen3-30B-A3B-MLX-4bit",
    "meta-llama/Llama-3.1-8B-Instruct", "mlx-community/gemma-3-4b-it-4bit",
}


def wait_local(qtbot: QtBot, window: Any) -> None:
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)


def test_my_models_is_the_default_view_and_lists_the_cache(qtbot: QtBot, hf_cache: CacheBuilder,
                                                         make_window: Any) -> None:
    window = make_window()
    assert window.view == "my"
    assert window.toolbar.my_button.isChecked() and not window.toolbar.hub_button.isChecked()
    assert window.stack.currentWidget() is window.local_view
    qtbot.waitUntil(lambda: window.controller.local_scanned, timeout=10_000)
    assert {e.id for e in window.local_model.all_entries()} == SAMPLE_IDS
    wait_local(qtbot, window)
    sizes = {e.id: e.size_on_disk for e in window.local_model.all_entries()}
    assert sizes["mlx-community/Qwen3-8B-4bit"] is not None and sizes["mlx-community/Qwen3-8B-4bit"] >= 4000
    assert window.status.count_label.text() == "6 models"
    assert window.width() >= 1000 and window.height() >= 700
    assert not window.controller.fetcher is not None  # the Hub side is not created for My Models


def test_toggle_switches_views_with_separate_models_and_scroll(qtbot: QtBot, hf_cache: CacheBuilder,
                                                              make_window: Any) -> None:
    window = make_window(start=False)  # no Hub traffic: only the switching is under test
    assert window.local_view.model() is not window.hub_view.model()
    qtbot.mouseClick(window.toolbar.hub_button, Qt.MouseButton.LeftButton)
    assert window.view == "hub" and window.stack.currentWidget() is window.hub_view
    sort_keys = [a.data() for a in window.toolbar.sort_menu.actions() if a.data()]
    assert sort_keys == ["downloads", "likes", "trending", "updated", "created", "parameters", "context",
                         "size", "name"]
    assert not window.toolbar.reverse_action.isEnabled()  # the Hub's own order cannot be turned around here
    window.my_action.trigger()
    assert window.view == "my" and window.stack.currentWidget() is window.local_view
    assert [a.data() for a in window.toolbar.sort_menu.actions() if a.data()] == [
        "name", "size", "last_used", "parameters", "context"]
    assert window.toolbar.reverse_action.isEnabled()
    window.hub_action.trigger()
    assert window.view == "hub"
    assert window.hub_action.shortcut() == QKeySequence("Ctrl+2")
    assert window.my_action.shortcut() == QKeySequence("Ctrl+1")


def test_local_search_filters_instantly(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    qtbot.keyClicks(window.toolbar.search, "qwen3")
    # No waiting: local filtering happens on the keystroke.
    shown = {window.local_model.entry_at(r).id for r in range(window.local_model.rowCount())}
    assert shown == {"mlx-community/Qwen3-8B-4bit", "lmstudio-community/Qwen3-30B-A3B-MLX-4bit"}
    assert window.status.count_label.text() == "Showing 2 of 6 models"
    window.toolbar.search.setText("no-such-model-anywhere")
    assert window.local_model.rowCount() == 0
    assert "No models match" in window.local_empty.text
    window.local_empty.button.click()
    assert window.toolbar.search.text() == ""
    assert window.local_model.rowCount() == 6
    assert not window.local_empty.isVisible()


def test_sort_menu_orders_local_models(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    window.toolbar.sort_actions["size"].trigger()
    assert window.toolbar.sort_button.text().startswith("Sort: Size")
    sizes = [window.local_model.entry_at(r).size_on_disk or 0 for r in range(window.local_model.rowCount())]
    assert sizes == sorted(sizes, reverse=True)
    assert window.local_model.entry_at(0).id == "meta-llama/Llama-3.1-8B-Instruct"  # the biggest blob
    window.toolbar.sort_actions["name"].trigger()
    names = [window.local_model.entry_at(r).name.lower() for r in range(window.local_model.rowCount())]
    assert names.index("qwen3-8b-4bit") < names.index("qwen3-30b-a3b-mlx-4bit")  # numbers as numbers
    assert names == sorted(names, key=natural)


def test_space_and_enter_toggle_specs_of_the_selected_card(qtbot: QtBot, hf_cache: CacheBuilder,
                                                          make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    view = window.local_view
    view.setFocus()
    view.setCurrentIndex(window.local_model.index(1, 0))
    entry = window.local_model.entry_at(1)
    assert not window.local_model.is_expanded(entry.id)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert window.local_model.is_expanded(entry.id)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert not window.local_model.is_expanded(entry.id)
    # In the search field Space is just a space.
    qtbot.keyClicks(window.toolbar.search, "a b")
    assert window.toolbar.search.text() == "a b"


def test_copy_open_and_reveal_the_selected_model(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any,
                                                monkeypatch: Any) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.example")
    window = make_window()
    wait_local(qtbot, window)
    view = window.local_view
    view.setFocus()
    row = window.local_model.row_of("mlx-community/Qwen3-8B-4bit")
    view.setCurrentIndex(window.local_model.index(row, 0))
    QGuiApplication.clipboard().clear()
    qtbot.keySequence(view, QKeySequence.StandardKey.Copy)
    assert QGuiApplication.clipboard().text() == "mlx-community/Qwen3-8B-4bit"
    window.open_action.trigger()
    assert window.opened_urls == [QUrl("https://hub.example/mlx-community/Qwen3-8B-4bit")]
    window.reveal_action.trigger()
    assert window.revealed == [str(hf_cache.root / "models--mlx-community--Qwen3-8B-4bit")]
    assert Path(window.revealed[0]).is_dir()


def test_refresh_and_find_shortcuts(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    window.local_view.setFocus()
    window.find_action.trigger()
    assert QApplication.focusWidget() is window.toolbar.search or window.toolbar.search.hasFocus()
    assert QKeySequence("Ctrl+R") in window.refresh_action.shortcuts()
    hf_cache.add_model("someone/Fresh-Model-4bit", {"config.json": llama_config(bits=4)})
    window.refresh_action.trigger()
    qtbot.waitUntil(lambda: window.local_model.row_of("someone/Fresh-Model-4bit") is not None, timeout=10_000)


def test_empty_cache_says_what_to_do(qtbot: QtBot, tmp_path: Path, monkeypatch: Any, make_window: Any) -> None:
    empty = tmp_path / "empty-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(empty))
    window = make_window(start=False)
    window.controller.refresh_local()  # only the scan: the button's Hub view is not started
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)
    assert window.local_empty.isVisible()
    # No folder at all: said so, with where it was looked for.
    assert "Your Hugging Face cache folder does not exist yet" in window.local_empty.text
    assert str(empty) in window.local_empty.text and "HF_HUB_CACHE" in window.local_empty.text
    empty.mkdir()
    window.controller.refresh_local()
    qtbot.waitUntil(lambda: "No models in your Hugging Face cache yet" in window.local_empty.text, timeout=10_000)
    assert str(empty) in window.local_empty.text
    assert window.local_empty.button.text() == "Browse Hugging Face"
    window.local_empty.button.click()
    assert window.view == "hub"


def test_cache_watcher_follows_downloads_and_deletions(qtbot: QtBot, hf_cache: CacheBuilder,
                                                      make_window: Any) -> None:
    import shutil

    window = make_window(watch_poll_ms=150)
    wait_local(qtbot, window)
    view = window.local_view
    row = window.local_model.row_of("mlx-community/Qwen3-8B-4bit")
    view.setCurrentIndex(window.local_model.index(row, 0))
    qtbot.waitUntil(lambda: window.watcher._signature is not None, timeout=5_000)
    hf_cache.add_model("another-tool/Downloaded-Model-4bit", {"config.json": llama_config(bits=4)})
    qtbot.waitUntil(lambda: window.local_model.row_of("another-tool/Downloaded-Model-4bit") is not None,
                    timeout=10_000)
    shutil.rmtree(hf_cache.root / "models--meta-llama--Llama-3.1-8B-Instruct")
    qtbot.waitUntil(lambda: window.local_model.row_of("meta-llama/Llama-3.1-8B-Instruct") is None, timeout=10_000)
    # The selection survived both rescans.
    assert view.currentIndex().data(ENTRY_ROLE).id == "mlx-community/Qwen3-8B-4bit"
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)


def test_background_error_is_shown_not_lost(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any,
                                           caplog: Any) -> None:
    window = make_window(start=False)

    async def broken() -> None:
        raise ValueError("the disk said no")

    with caplog.at_level("ERROR", logger="mlx_manager.ui"):
        task = window.reporter.spawn(broken(), name="a test job")
        qtbot.waitUntil(task.done)
        qtbot.waitUntil(window.banner.isVisible)
    assert "the disk said no" in window.banner.label.text()
    assert "a test job" in window.banner.label.text()
    assert any("the disk said no" in r.getMessage() for r in caplog.records)
    # The loop's own handler routes to the same place, and the window keeps working.
    window.banner.hide()
    window.reporter.handle_loop_exception(None, {"message": "callback failed", "exception": OSError("EIO")})
    assert window.banner.isVisible() and "EIO" in window.banner.label.text()
    window.controller.refresh_local()
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)


def test_settings_persist_across_a_restart(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    first = make_window(start=False)
    first.resize(1234, 777)
    first.toolbar.sort_actions["last_used"].trigger()
    first.set_view("hub")
    geometry = first.saveGeometry()
    first.close()
    second = make_window(start=False)
    assert second.view == "hub"
    assert second.toolbar.hub_button.isChecked()
    # The offscreen screen is small, so Qt fits the restored frame to it; the saved bytes are what matter.
    assert second.settings.geometry() == geometry
    second.set_view("my")
    assert second.toolbar.sort == "last_used"
    assert second.local_model.sort_key == "last_used"


def test_clean_shutdown_leaves_nothing_running(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    import asyncio

    from tests.ui.conftest import run

    window = make_window(watch_poll_ms=100)
    window.controller.refresh_local()  # one scan in flight while closing
    run(qtbot, window.aclose())
    assert not [t for t in asyncio.all_tasks() if not t.done() and t is not asyncio.current_task()]
    assert not window.watcher._poll.isActive()


def test_context_menu_offers_the_card_actions(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    from PySide6.QtWidgets import QMenu

    window = make_window()
    wait_local(qtbot, window)
    view = window.local_view
    rect = view.visualRect(window.local_model.index(2, 0))
    view.customContextMenuRequested.emit(rect.center())  # what a right click on that card sends
    menu = view.findChild(QMenu)
    assert menu is not None
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:3] == ["Copy Model ID", "Open on Hugging Face", window.reveal_action.text()]
    assert "Show Specs" in texts and "Refresh" in texts
    assert view.currentIndex().row() == 2  # the card under the pointer is the one acted on
    menu.close()

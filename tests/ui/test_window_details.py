"""Details a person notices: a Hub card for a model already downloaded says so, a narrow window still
shows whole cards, and a link or folder that cannot be opened is said in the window."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.core.describe import spec_items
from app.core.model_entry import Source
from app.core.window_size import MIN_WIDTH
from app.ui.card_layout import stats_text
from app.ui.download_progress import action_for
from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim, SimModel

LOCAL_ID = "mlx-community/Qwen3-8B-4bit"  # in the sample cache (hf_cache)


def wait_local(qtbot: QtBot, window: Any) -> None:
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)


def test_a_hub_card_for_a_downloaded_model_says_downloaded(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                                           make_window: Any) -> None:
    config = {"model_type": "qwen3", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
    hubsim.add_model(SimModel(id=LOCAL_ID, files={"config.json": json.dumps(config).encode()}, tags=("mlx",),
                              downloads=5))
    window = make_window(hub_endpoint=hubsim.url, initial_view="hub")
    wait_local(qtbot, window)
    window.toolbar.search.setText("Qwen3-8B-4bit")
    window.controller.search_hub("Qwen3-8B-4bit")
    qtbot.waitUntil(lambda: window.hub_model.entry(LOCAL_ID) is not None, timeout=10_000)
    qtbot.waitUntil(lambda: window.hub_model.entry(LOCAL_ID).source is Source.BOTH, timeout=10_000)
    entry = window.hub_model.entry(LOCAL_ID)
    assert action_for(entry, None, offer_download=True) == "done"  # "✓ Downloaded", not "Download"
    assert any(item.label == "On this Mac" and item.value == "Downloaded" for item in spec_items(entry))
    assert "↓ 5" in stats_text(entry)  # still a Hub card: its Hub figures, not "… on disk"
    # Deleted by another tool: the card goes back to offering the download.
    window.local_model.remove_ids([LOCAL_ID])
    qtbot.waitUntil(lambda: window.hub_model.entry(LOCAL_ID).source is Source.HUB, timeout=5_000)


def test_cards_work_in_a_narrow_window(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    window.resize(MIN_WIDTH, 500)
    qtbot.waitUntil(lambda: window.width() == MIN_WIDTH, timeout=5_000)
    tb = window.toolbar
    # The view switch keeps its words; the search field is what gives way.
    for button in (tb.my_button, tb.hub_button):
        assert button.width() >= button.fontMetrics().horizontalAdvance(button.text())
    assert tb.search.width() >= tb.search.minimumWidth() > 0
    view = window.local_view
    rect = view.visualRect(window.local_model.index(0, 0))
    assert rect.right() <= view.viewport().width(), "no card is cut off on the right"


def test_a_repo_without_an_organisation_names_no_publisher(qtbot: QtBot, hf_cache: CacheBuilder,
                                                           make_window: Any) -> None:
    from tests.cachebuilder import qwen_config

    hf_cache.add_model("loner", {"config.json": qwen_config(bits=4)})
    window = make_window()
    wait_local(qtbot, window)
    entry = window.local_model.entry("loner")
    assert entry is not None
    assert not stats_text(entry).startswith("local"), stats_text(entry)


def test_a_folder_or_page_that_cannot_be_opened_is_said_in_the_window(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                      make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    window.reveal_path = lambda _path: False  # no file manager on this machine
    window.open_url = lambda _url: False  # no browser
    window.local_view.setCurrentIndex(window.local_model.index(0, 0))
    entry = window.selected_entry()
    window.reveal_action.trigger()
    assert window.banner.isVisible() and "could not show the folder" in window.banner.label.text()
    assert entry.id.replace("/", "--") in QGuiApplication.clipboard().text()
    window.open_action.trigger()
    assert "No web browser opened" in window.banner.label.text()
    assert QGuiApplication.clipboard().text().endswith(entry.id)


def test_escape_clears_the_search_field(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    window = make_window()
    wait_local(qtbot, window)
    field = window.toolbar.search
    field.setFocus()
    qtbot.keyClicks(field, "qwen")
    assert window.local_model.rowCount() < window.local_model.total_count()
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == "" and window.local_model.rowCount() == window.local_model.total_count()

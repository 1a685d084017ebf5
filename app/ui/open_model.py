"""Showing one model in the main window, by id: the quick search's Return, a second launch's request.

The card is selected, scrolled to and its specs opened. A model on disk opens in My Models (the search
text or the filters are cleared when they hide it); any other opens in Hugging Face, searched by its id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractItemView, QListView

from app.core.filters import FilterState
from app.core.model_entry import ModelEntry
from app.ui.lifecycle import show_window
from app.ui.model_list import ModelListModel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def select_card(view: QListView, model: ModelListModel, repo_id: str) -> bool:
    row = model.row_of(repo_id)
    if row is None:
        return False
    index = model.index(row, 0)
    view.setCurrentIndex(index)
    model.set_expanded(repo_id, True)
    view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
    view.setFocus()
    return True


def _has(model: ModelListModel, repo_id: str) -> bool:
    return any(e.id == repo_id for e in model.all_entries())


def open_in_window(window: MainWindow, repo_id: str, entry: ModelEntry | None = None) -> None:
    show_window(window)
    if _has(window.local_model, repo_id):
        window.set_view("my")
        model = window.local_model
        if model.row_of(repo_id) is None and window.toolbar.search.text():
            window.toolbar.search.clear()
        if model.row_of(repo_id) is None and not window.filter_state.is_empty:
            window.set_filter_state(FilterState())
            window.status.showMessage(f"Filters cleared to show {repo_id}", 4000)
        select_card(window.local_view, model, repo_id)
        return
    window.set_view("hub")
    if select_card(window.hub_view, window.hub_model, repo_id):
        return
    controller = window.controller
    window.toolbar.search.setText(repo_id)
    controller.search_hub(repo_id, window.hub_sort)

    def landed() -> None:
        if controller.hub_state in ("idle", "searching"):
            return
        controller.hub_state_changed.disconnect(landed)
        if window.hub_model.row_of(repo_id) is None and entry is not None and controller.hub_query == repo_id:
            window.hub_model.append_entries([entry])  # the Hub's search did not list it: show what we know
        select_card(window.hub_view, window.hub_model, repo_id)

    controller.hub_state_changed.connect(landed)

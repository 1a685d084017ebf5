"""The list says when it has painted (a public signal): the startup measurement waits on it, not on a hook."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.ui.application import report_first_paint
from app.ui.card_delegate import CardDelegate
from app.ui.card_list_view import CardListView
from app.ui.model_list import ModelListModel
from tests.ui.cardsamples import samples


def test_the_first_paint_is_reported_once_the_list_is_ready(qtbot: QtBot, capsys) -> None:  # type: ignore[no-untyped-def]
    view = CardListView()
    qtbot.addWidget(view)
    model = ModelListModel(view)
    view.setModel(model)
    view.setItemDelegate(CardDelegate(view))
    view.resize(600, 400)
    ready: list[bool] = []
    done: list[str] = []
    report_first_paint(view, lambda: bool(ready), lambda: done.append("done"))
    with qtbot.waitSignal(view.painted, timeout=5_000):
        view.show()  # painted, but the first pass is not there yet: nothing reported
    assert done == []
    model.set_entries(samples())
    ready.append(True)
    with qtbot.waitSignal(view.painted, timeout=5_000):
        view.viewport().update()
    qtbot.waitUntil(lambda: done == ["done"], timeout=5_000)
    assert capsys.readouterr().out.startswith("first-paint ")
    view.viewport().repaint()
    assert done == ["done"]  # once

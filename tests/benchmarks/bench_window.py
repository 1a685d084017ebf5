"""Benchmark: the card list (our model + painted delegate) against widgets per row, and paint/scroll cost.

Run: .venv/bin/python tests/benchmarks/bench_window.py [--rows N]

  list_populate_ratio          10,000 entries shown in a QListView with ModelListModel + CardDelegate
                               (set_entries, then the first paint of the viewport) against the obvious
                               alternative: a QListWidget with one card QWidget per row (QLabels for the
                               name, stats and every badge, in layouts) via setItemWidget. The alternative is
                               timed on fewer rows and scaled linearly (the output says so). Target >= 20.
  viewport_paint_ms            a full 1100×760 viewport of cards painted into a QImage at device pixel
                               ratio 2: the first paint (empty caches) and the median of later ones.
  scroll_frame_over_budget_pct scroll through all rows (scroll bar set step by step, a synchronous repaint
                               each step, each frame timed): share of frames over 16.7 ms. Target < 5%.

Each figure is a function called from `main()`, so more (e.g. a startup ratio) can be added alongside.
Runs offscreen (QT_QPA_PLATFORM=offscreen) unless a platform is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.describe import card_badges  # noqa: E402
from app.core.model_entry import ModelEntry  # noqa: E402
from app.ui.card_delegate import CardDelegate  # noqa: E402
from app.ui.card_layout import stats_text  # noqa: E402
from app.ui.model_list import ModelListModel  # noqa: E402
from app.ui.theme import light_palette  # noqa: E402
from tests.ui.cardsamples import many  # noqa: E402

VIEW_W, VIEW_H = 1100, 760
FRAME_BUDGET_MS = 1000 / 60


def bench(name: str, value: float, note: str = "") -> None:
    print(f"BENCH {name} {value:.2f}" + (f"  # {note}" if note else ""), flush=True)


def _app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setPalette(light_palette())
    return app


def card_view() -> tuple[QListView, ModelListModel, CardDelegate]:
    view = QListView()
    view.setUniformItemSizes(False)
    view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
    model = ModelListModel(view)
    model.set_sort("downloads")  # the server's order: the kinds of card stay mixed, as in a real list
    view.setModel(model)
    delegate = CardDelegate(view)
    view.setItemDelegate(delegate)
    view.resize(VIEW_W, VIEW_H)
    view.show()
    QApplication.processEvents()
    return view, model, delegate


def _ours(entries: list[ModelEntry]) -> float:
    view, model, _ = card_view()
    start = time.perf_counter()
    model.set_entries(entries)
    QApplication.processEvents()
    view.grab()  # the first paint of the viewport
    elapsed = time.perf_counter() - start
    view.close()
    view.deleteLater()
    QApplication.processEvents()
    return elapsed


def _widget_card(entry: ModelEntry) -> QWidget:
    """What a card looks like built from widgets: the straightforward way to do it."""
    card = QFrame()
    card.setFrameShape(QFrame.Shape.StyledPanel)
    row = QHBoxLayout(card)
    avatar = QLabel((entry.author[:1] or "?").upper())
    avatar.setFixedSize(40, 40)
    avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
    avatar.setStyleSheet("background: #6366f1; color: white; border-radius: 8px; font-weight: bold;")
    row.addWidget(avatar, 0, Qt.AlignmentFlag.AlignTop)
    column = QVBoxLayout()
    name = QLabel(f"<b>{entry.name}</b>")
    column.addWidget(name)
    column.addWidget(QLabel(stats_text(entry)))
    badges = QHBoxLayout()
    for badge in card_badges(entry):
        label = QLabel(badge.text)
        label.setToolTip(badge.tooltip)
        style = "dashed" if badge.guess else "solid"
        label.setStyleSheet(f"background: #dbe7fd; border: 1px {style} #1e3a8a; border-radius: 6px; padding: 2px 6px;")
        badges.addWidget(label)
    badges.addStretch(1)
    column.addLayout(badges)
    row.addLayout(column, 1)
    specs = QLabel("Show specs ▾")
    row.addWidget(specs, 0, Qt.AlignmentFlag.AlignTop)
    return card


def _widgets(entries: list[ModelEntry]) -> float:
    widget = QListWidget()
    widget.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
    widget.resize(VIEW_W, VIEW_H)
    widget.show()
    QApplication.processEvents()
    start = time.perf_counter()
    for entry in entries:
        item = QListWidgetItem(widget)
        card = _widget_card(entry)
        item.setSizeHint(card.sizeHint())
        widget.setItemWidget(item, card)
    QApplication.processEvents()
    widget.grab()
    elapsed = time.perf_counter() - start
    widget.close()
    widget.deleteLater()
    QApplication.processEvents()
    return elapsed


def list_populate_ratio(rows: int, alternative_rows: int) -> float:
    _app()
    entries = many(rows)
    ours = _ours(entries)
    theirs_sample = _widgets(entries[:alternative_rows])
    theirs = theirs_sample * rows / alternative_rows
    print(f"# ours: {rows} rows in {ours * 1000:.0f} ms; widgets per row: {alternative_rows} rows in "
          f"{theirs_sample * 1000:.0f} ms, scaled linearly to {rows} rows = {theirs * 1000:.0f} ms")
    ratio = theirs / ours
    bench("list_populate_ratio", ratio, f"target >= 20; alternative timed on {alternative_rows} rows, scaled")
    return ratio


def _paint_viewport(view: QListView, dpr: float) -> float:
    image = QImage(round(VIEW_W * dpr), round(VIEW_H * dpr), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    start = time.perf_counter()
    painter = QPainter(image)
    try:
        view.viewport().render(painter, QPoint())
    finally:
        painter.end()
    return (time.perf_counter() - start) * 1000


def viewport_paint_ms(rows: int) -> float:
    _app()
    view, model, _ = card_view()
    model.set_entries(many(rows))
    QApplication.processEvents()
    first = _paint_viewport(view, 2.0)
    later = statistics.median(_paint_viewport(view, 2.0) for _ in range(20))
    print(f"# viewport {VIEW_W}x{VIEW_H} at dpr 2: first paint {first:.1f} ms (empty caches), "
          f"then median {later:.1f} ms")
    bench("viewport_paint_ms", later, f"first paint {first:.1f} ms")
    view.close()
    return later


def scroll_frame_over_budget_pct(rows: int, step: int = 240) -> float:
    _app()
    view, model, _ = card_view()
    model.set_entries(many(rows))
    QApplication.processEvents()
    bar = view.verticalScrollBar()
    frames: list[float] = []
    value = 0
    while value <= bar.maximum():
        start = time.perf_counter()
        bar.setValue(value)
        view.viewport().repaint()
        frames.append((time.perf_counter() - start) * 1000)
        value += step
    over = sum(1 for f in frames if f > FRAME_BUDGET_MS)
    pct = 100 * over / len(frames)
    print(f"# scrolled {bar.maximum()} px in {len(frames)} frames of {step} px at dpr "
          f"{view.devicePixelRatioF():g}: median "
          f"{statistics.median(frames):.2f} ms, p95 {sorted(frames)[int(len(frames) * 0.95)]:.2f} ms, "
          f"max {max(frames):.1f} ms")
    bench("scroll_frame_over_budget_pct", pct, "target < 5")
    view.close()
    return pct


def startup_ratio(models: int = 1_000, runs: int = 7) -> float:
    """Launch to the first painted window against a bare QMainWindow: see bench_startup.py (which also has
    the first launch after install, cold_startup_ratio)."""
    from tests.benchmarks.bench_startup import startup_ratio as measure

    return measure(models, runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--alternative-rows", type=int, default=1_000)
    args = parser.parse_args(argv)
    list_populate_ratio(args.rows, min(args.alternative_rows, args.rows))
    viewport_paint_ms(args.rows)
    scroll_frame_over_budget_pct(args.rows)
    startup_ratio()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

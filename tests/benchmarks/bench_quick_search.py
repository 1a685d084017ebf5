"""Benchmark: the quick search, from ⌘K to the first results painted, with 1,000 models in My Models.

Run: .venv/bin/python tests/benchmarks/bench_quick_search.py [--models N] [--runs R]

  quick_search_open_ms        ⌘K pressed in the real main window (a key event through Qt's shortcut
                              system) until the popup's result list has painted rows. Each run first
                              changes My Models (one entry updated), so the popup copies the entries again:
                              the worst case, not a warm reopen. Median of R runs. Target < 100.
  quick_search_cold_open_ms   the very first open, when the popup builds its index of My Models (normally
                              built in the background before anyone presses ⌘K).
  quick_search_type_ms        one more letter typed in the field until the narrowed list has painted.
  quick_search_open_ratio     quick_search_open_ms over a baseline measured in the same process: a bare
                              frameless popup with a line edit and an empty list, shown and painted the
                              same way (what any popup costs on this machine, today).

Runs offscreen (QT_QPA_PLATFORM=offscreen) unless a platform is set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here may reach a network

from PySide6.QtCore import QEvent, QObject, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QFrame, QLineEdit, QListView, QVBoxLayout, QWidget  # noqa: E402

from app.ui.app_preferences import AppPreferences  # noqa: E402
from app.ui.errors import ErrorReporter  # noqa: E402
from app.ui.theme import light_palette  # noqa: E402
from tests.ui.cardsamples import many  # noqa: E402


def bench(name: str, value: float, note: str = "") -> None:
    print(f"BENCH {name} {value:.2f}" + (f"  # {note}" if note else ""), flush=True)


class Painted(QObject):
    """The moment a viewport paints while `ready()` holds."""

    def __init__(self, viewport: QWidget, ready: object) -> None:
        super().__init__(viewport)
        self.ready = ready
        self.at: float | None = None
        viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at is None and self.ready():  # type: ignore[operator]
            # Paint events arrive before the paint itself: measured once the handler has run.
            self._pending = True
        return False

    def wait(self, start: float, timeout: float = 5.0) -> float:
        self.at = None
        self._pending = False
        while time.perf_counter() - start < timeout:
            QApplication.processEvents()
            if self._pending:
                self.at = time.perf_counter()
                return (self.at - start) * 1000
        raise RuntimeError("the list never painted")


def baseline(runs: int) -> float:
    popup = QFrame(None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint)
    layout = QVBoxLayout(popup)
    field = QLineEdit(popup)
    view = QListView(popup)
    layout.addWidget(field)
    layout.addWidget(view)
    popup.resize(640, 440)
    probe = Painted(view.viewport(), lambda: True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        popup.show()
        field.setFocus()
        times.append(probe.wait(start))
        popup.hide()
        QApplication.processEvents()
    popup.deleteLater()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setPalette(light_palette())
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.run_until_complete(_measure(app, args.models, args.runs))
    loop.close()


async def _measure(app: QApplication, models: int, runs: int) -> None:
    from app.ui.main_window import MainWindow
    from app.ui.shell import Shell

    tmp = Path(tempfile.mkdtemp(prefix="bench-quick-"))
    window = MainWindow(ErrorReporter(), cache_dir=str(tmp / "empty-cache"), store_path=tmp / "configs.sqlite3")
    window.resize(1100, 760)
    entries = many(models)
    window.local_model.set_entries(entries)
    window.show()
    shell = Shell(app, window, AppPreferences(window.settings.qsettings), quit=lambda: None, tray=False)
    quick = shell.quick
    probe = Painted(quick.list.viewport(), lambda: quick.results.rowCount() > 0)
    base = baseline(runs)
    # The very first open, before the popup has ever indexed My Models (it does so in the background
    # once My Models settles, so a person rarely meets this one).
    window.activateWindow()
    while not window.isActiveWindow():
        QApplication.processEvents()
    window.local_view.setFocus()
    QApplication.processEvents()
    start = time.perf_counter()
    QTest.keyClick(window.local_view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    cold = probe.wait(start)
    quick.hide()
    QApplication.processEvents()
    opens, types = [], []
    for n in range(runs):
        # My Models changed since the last open: the popup copies the entries again.
        entry = entries[n % len(entries)]
        window.local_model.update_entry(entry.with_changes(likes=(entry.likes or 0) + n + 1))
        window.activateWindow()
        window.local_view.setFocus()
        QApplication.processEvents()
        start = time.perf_counter()
        QTest.keyClick(window.local_view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        opens.append(probe.wait(start))
        start = time.perf_counter()
        QTest.keyClick(quick.field, "qwen"[n % 4])
        types.append(probe.wait(start))
        quick.field.clear()
        quick.hide()
        QApplication.processEvents()
    assert quick.results.rowCount() == min(models, 50), "the empty query lists My Models"
    open_ms = statistics.median(opens)
    bench("quick_search_open_ms", open_ms, f"{models} local models, median of {runs}; target < 100")
    bench("quick_search_cold_open_ms", cold, "the first open ever: the popup indexes My Models then")
    bench("quick_search_type_ms", statistics.median(types), "one letter typed until the list repainted")
    bench("quick_search_open_ratio", open_ms / base, f"over a bare popup shown and painted: {base:.2f} ms")
    shell.close()
    window.hide()
    await window.aclose()
    window.deleteLater()


if __name__ == "__main__":
    main()

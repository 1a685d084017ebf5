"""Help: the README, rendered in a window of its own (it travels with the source and the bundle)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QTextBrowser, QWidget

FALLBACK = ("# MLX Manager\n\nThe README could not be found next to the app. "
            "Press ⌘K anywhere in the app to search models; ⌘1 and ⌘2 switch views; ⇧⌘F opens the filters.")


def readme_path() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base / "README.md"


class HelpWindow(QTextBrowser):
    def __init__(self, parent: QWidget | None = None, path: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("MLX Manager Help")
        self.setOpenLinks(False)
        self.anchorClicked.connect(lambda url: QDesktopServices.openUrl(url))
        self.resize(820, 760)
        path = path or readme_path()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = FALLBACK
        else:
            self.setSearchPaths([str(path.parent)])
            self.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
        self.setMarkdown(text)

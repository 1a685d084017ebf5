"""Render the SVG app icon into a macOS .iconset (every size iconutil expects)."""

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer


def main(svg: str, out: str) -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - painting needs an application object
    renderer = QSvgRenderer(svg)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 128, 256, 512):
        for scale in (1, 2):
            px = size * scale
            image = QImage(px, px, QImage.Format.Format_ARGB32)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            renderer.render(painter)
            painter.end()
            suffix = "" if scale == 1 else "@2x"
            image.save(str(folder / f"icon_{size}x{size}{suffix}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

"""Named item roles shared by the list model, the delegate and the window.

`ENTRY_ROLE` returns the `ModelEntry` dataclass itself; the others return small derived values so a
`dataChanged` can name exactly what changed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # ModelEntry
EXPANDED_ROLE = Qt.ItemDataRole.UserRole + 2  # bool: specs section open
CHARACTERISTICS_ROLE = Qt.ItemDataRole.UserRole + 3  # ModelCharacteristics | None (changes when a config lands)
STATUS_ROLE = Qt.ItemDataRole.UserRole + 4  # ConfigStatus (pending / ok / unavailable)
STATS_ROLE = Qt.ItemDataRole.UserRole + 5  # size on disk, downloads, likes... (changes when sizes land)
PENDING_ROLE = Qt.ItemDataRole.UserRole + 6  # bool: shown dimmed because a filter cannot decide yet

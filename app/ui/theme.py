"""Colours of a card, light and dark, derived from the palette so dark mode comes for free.

Badge colours are fixed per kind (architecture blue, multimodal green, quantization purple...) with one
variant for light and one for dark windows; everything else (card, border, text) blends palette roles.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtGui import QColor, QPalette

# kind -> (fill, text) for light windows, then for dark windows, as hex.
_BADGES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "family": (("#dbe7fd", "#1e3a8a"), ("#1f2f4f", "#93b8fb")),
    "modality": (("#d7f5df", "#14622f"), ("#183a26", "#7fe0a0")),
    "quant": (("#efe3fb", "#6b21a8"), ("#3a2450", "#d6b1f7")),
    "moe": (("#fde4cc", "#8a3b0a"), ("#4a2c17", "#fbb57a")),
    "params": (("#e9edf2", "#334155"), ("#343a44", "#d3d9e2")),
    "context": (("#cdf5ee", "#0f5e55"), ("#163f3b", "#6ee6d4")),
    "gated": (("#fde0e0", "#9b1c1c"), ("#4a1f22", "#f7a1a1")),
    "config": (("#eceef1", "#6b7280"), ("#33363b", "#9aa1ab")),
    "pending": (("#eceef1", "#9aa1ab"), ("#303338", "#7d848e")),
    "mlx": (("#e1e6fc", "#2b3a8f"), ("#2a2f52", "#a9b4fa")),
    "other": (("#eceef1", "#4b5563"), ("#33363b", "#b4bac3")),
}
BADGE_KINDS = tuple(_BADGES)

# Stable avatar colours (by publisher name): saturated enough for white initials in both themes.
_AVATARS = ("#6366f1", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6",
            "#f97316", "#3b82f6", "#84cc16", "#a855f7")


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved `t` of the way towards `b`."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t, 1.0)


def palette_key(palette: QPalette) -> tuple[int, ...]:
    """What the caches key on: the colours a card is painted with (cheap, and changes with the theme)."""
    roles = (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.Text,
             QPalette.ColorRole.Highlight)
    return tuple(palette.color(r).rgba() for r in roles)


@dataclass(frozen=True)
class BadgeColors:
    fill: QColor
    text: QColor
    border: QColor  # the dashed outline of a guess


@dataclass(frozen=True)
class CardTheme:
    dark: bool
    card: QColor
    card_hover: QColor
    card_selected: QColor
    border: QColor
    border_hover: QColor
    border_selected: QColor
    text: QColor
    secondary: QColor
    tertiary: QColor  # source words, separators' text
    separator: QColor
    warning: QColor
    link: QColor
    focus_ring: QColor  # around the current card while the list has keyboard focus

    def badge(self, kind: str, guess: bool = False) -> BadgeColors:
        return _badge_colors(kind, self.dark, guess, self.card.rgba())


@lru_cache(maxsize=256)
def _badge_colors(kind: str, dark: bool, guess: bool, card_rgba: int) -> BadgeColors:
    light_pair, dark_pair = _BADGES.get(kind, _BADGES["other"])
    fill_hex, text_hex = dark_pair if dark else light_pair
    fill, text = QColor(fill_hex), QColor(text_hex)
    if guess:
        # A guess: lighter fill (halfway to the card) and an outline in the text colour, drawn dashed.
        card = QColor.fromRgba(card_rgba)
        return BadgeColors(blend(fill, card, 0.6), text, blend(text, card, 0.25))
    return BadgeColors(fill, text, fill)


_BY_CACHE_KEY: dict[int, CardTheme] = {}


def card_theme(palette: QPalette) -> CardTheme:
    # cacheKey is shared by copies of one palette: paint gets a copy per row, this avoids re-reading colours.
    found = _BY_CACHE_KEY.get(palette.cacheKey())
    if found is None:
        found = _card_theme(palette_key(palette), palette)
        if len(_BY_CACHE_KEY) > 64:
            _BY_CACHE_KEY.clear()
        _BY_CACHE_KEY[palette.cacheKey()] = found
    return found


_THEMES: dict[tuple[int, ...], CardTheme] = {}


def _card_theme(key: tuple[int, ...], palette: QPalette) -> CardTheme:
    theme = _THEMES.get(key)
    if theme is not None:
        return theme
    dark = is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base)
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.Text)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    # Cards lift off the window: white on light grey, a lighter grey on dark.
    card = blend(window, QColor("#ffffff"), 0.05) if dark else base
    theme = CardTheme(
        dark=dark,
        card=card,
        card_hover=blend(card, text, 0.03),
        card_selected=blend(card, highlight, 0.12 if dark else 0.08),
        border=blend(card, text, 0.16 if dark else 0.13),
        border_hover=blend(card, text, 0.30),
        border_selected=highlight,
        text=text,
        secondary=blend(text, card, 0.38),
        tertiary=blend(text, card, 0.55),
        separator=blend(card, text, 0.12),
        warning=QColor("#f0a43a") if dark else QColor("#b45309"),
        link=QColor(palette.color(QPalette.ColorRole.Link)) if not dark else QColor("#7fb0ff"),
        focus_ring=focus_ring(palette),
    )
    _THEMES[key] = theme
    return theme


def control_outline(palette: QPalette, enabled: bool = True) -> QColor:
    """The edge of an unchecked box, a radio button or a text field: halfway between the window and its
    text, so it reads on a dark window as on a light one (Fusion's own edge is the window a shade darker,
    which vanishes on dark grey)."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return blend(window, text, 0.5 if enabled else 0.38)


def scrollbar_handle(palette: QPalette, active: bool = False) -> QColor:
    """A scroll bar's handle: a mid grey that stands off the white of a light list and the grey of a dark
    one alike; darker (or lighter) while pointed at or dragged."""
    base = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return blend(base, text, 0.65 if active else 0.5)  # 3:1 against the groove (WCAG's bar for controls)


def focus_ring(palette: QPalette) -> QColor:
    """The keyboard focus ring: the accent colour, slightly see-through as on macOS."""
    color = QColor(palette.color(QPalette.ColorRole.Highlight))
    color.setAlphaF(0.85)
    return color


def avatar_color(publisher: str) -> QColor:
    """The same colour for a publisher on every run (crc32, not the salted `hash`)."""
    return QColor(_AVATARS[zlib.crc32(publisher.lower().encode()) % len(_AVATARS)])


def _palette(colors: dict[QPalette.ColorRole, str], disabled_text: str) -> QPalette:
    palette = QPalette()
    for role, value in colors.items():
        palette.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled_text))
    accent = getattr(QPalette.ColorRole, "Accent", None)  # Qt 6.6+: controls take their tint from it
    if accent is not None:
        palette.setColor(accent, palette.color(QPalette.ColorRole.Highlight))
    return palette


def dark_palette() -> QPalette:
    """A dark palette close to macOS's dark appearance (for `--dark` and tests)."""
    R = QPalette.ColorRole
    return _palette({
        R.Window: "#1e1f22", R.WindowText: "#e6e6e8", R.Base: "#26272b", R.AlternateBase: "#2c2d31",
        R.Text: "#e6e6e8", R.Button: "#2f3034", R.ButtonText: "#e6e6e8", R.BrightText: "#ffffff",
        R.Highlight: "#3d7bfd", R.HighlightedText: "#ffffff", R.ToolTipBase: "#2f3034",
        R.ToolTipText: "#e6e6e8", R.PlaceholderText: "#8b8d93", R.Link: "#7fb0ff", R.Light: "#3a3b40",
        R.Midlight: "#333438", R.Mid: "#2a2b2f", R.Dark: "#151618", R.Shadow: "#000000",
    }, "#6c6e74")


def light_palette() -> QPalette:
    """The light counterpart (tests paint with it so they do not depend on the platform's default)."""
    R = QPalette.ColorRole
    return _palette({
        R.Window: "#f3f4f6", R.WindowText: "#1a1a1c", R.Base: "#ffffff", R.AlternateBase: "#f6f7f9",
        R.Text: "#1a1a1c", R.Button: "#f7f7f8", R.ButtonText: "#1a1a1c", R.BrightText: "#000000",
        R.Highlight: "#2f6fed", R.HighlightedText: "#ffffff", R.ToolTipBase: "#ffffff",
        R.ToolTipText: "#1a1a1c", R.PlaceholderText: "#8a8d93", R.Link: "#1f5fd6", R.Light: "#ffffff",
        R.Midlight: "#eceef1", R.Mid: "#c9ccd1", R.Dark: "#9ea2a8", R.Shadow: "#4a4a4a",
    }, "#a0a3a8")

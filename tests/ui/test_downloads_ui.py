"""Downloads and deletion from the window's parts: a click on a Hub card's Download button, progress
painted on the card, Cancel on the card and Resume in the Downloads list, errors in words, Delete and
Clean Up with one confirmation that says the space freed. The Hub is the simulator over real HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core import formatting
from app.services.downloads import RESUME_NOTE, DownloadState
from app.ui.cache_actions import CacheActions
from app.ui.download_center import DownloadCenter
from app.ui.download_progress import BAR_HEIGHT, DownloadOverlay
from app.ui.downloads_panel import DownloadsPanel
from app.ui.theme import card_theme
from tests.cachebuilder import CacheBuilder
from tests.hubsim import Fault, HubSim, SimModel
from tests.ui.cardsamples import hub, make_view, render_row

WEIGHTS = hashlib.sha256(b"w").digest() * (4 * 1024 * 1024 // 32)
FILES = {"config.json": json.dumps({"model_type": "qwen3", "quantization": {"bits": 4, "group_size": 64}}).encode(),
         "tokenizer.json": b"{}", "model.safetensors": WEIGHTS}
SLOW = hashlib.sha256(WEIGHTS).hexdigest()
REPO = "org/model-4bit"


@pytest.fixture
def sim() -> Iterator[HubSim]:
    hub_sim = HubSim(corpus=False).start()
    hub_sim.add_model(SimModel(id=REPO, files=FILES))
    hub_sim.add_model(SimModel(id="meta-llama/Locked", files=FILES, gated="manual"))
    try:
        yield hub_sim
    finally:
        hub_sim.stop()
    assert not hub_sim.errors


@pytest.fixture
def center(sim: HubSim, tmp_path: Path, qapp: QApplication) -> Iterator[DownloadCenter]:
    found = DownloadCenter(cache_dir=str(tmp_path / "hub"), endpoint=sim.url, token=False)
    try:
        yield found
    finally:
        found.shutdown()
        assert not [t for t in found.manager._threads.values() if t.is_alive()]


@pytest.fixture
def card(center: DownloadCenter) -> Iterator[tuple[Any, Any, DownloadOverlay]]:
    view, _model, delegate = make_view([hub(REPO)])
    overlay = DownloadOverlay(center, view, offer_download=True)
    delegate.overlay = overlay
    overlay.download_requested.connect(center.start)
    overlay.cancel_requested.connect(center.cancel)
    overlay.resume_requested.connect(center.resume)
    try:
        yield view, delegate, overlay
    finally:
        view.close()


def button_point(view: Any, delegate: Any, overlay: DownloadOverlay, action: str) -> QPoint:
    index = view.model().index(0, 0)
    rect = view.visualRect(index)
    layout = delegate.layout_at(index)
    r = overlay._button(layout, delegate.metrics(), action)
    point = QPoint(rect.x() + r.x + r.w // 2, rect.y() + r.y + r.h // 2)
    assert overlay.hit(layout, point.x() - rect.x(), point.y() - rect.y(), delegate.metrics()) == action
    return point


def click(qtbot: QtBot, view: Any, point: QPoint) -> None:
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def bar_pixel(view: Any, delegate: Any) -> QColor:
    image = render_row(view, delegate, 0)
    card = delegate.layout_at(view.model().index(0, 0)).card
    x = card.x + int(delegate.metrics().radius) + 1
    y = card.y + card.h - BAR_HEIGHT - 2 + BAR_HEIGHT // 2
    return image.pixelColor(x, y)


def snapshot(tmp_path: Path, repo_id: str = REPO) -> dict[str, bytes]:
    root = tmp_path / "hub" / ("models--" + repo_id.replace("/", "--")) / "snapshots"
    return {p.name: p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def test_download_button_on_a_hub_card_paints_progress_then_downloaded(
        qtbot: QtBot, sim: HubSim, center: DownloadCenter, card: Any, tmp_path: Path) -> None:
    view, delegate, overlay = card
    sim.faults.add(Fault("slow_drip", origin="cdn", path=SLOW, seconds=1.5))
    theme = card_theme(view.palette())
    assert bar_pixel(view, delegate) != theme.link  # no bar before anything started

    with qtbot.waitSignal(center.finished, timeout=30_000) as finished:
        click(qtbot, view, button_point(view, delegate, overlay, "download"))
        qtbot.waitUntil(lambda: (s := center.status(REPO)) is not None and s.state is DownloadState.DOWNLOADING
                        and 0 < s.done_bytes < s.total_bytes, timeout=10_000)
        # While it runs: the card has a Cancel button and the bar is filling in the accent colour.
        button_point(view, delegate, overlay, "cancel")
        assert bar_pixel(view, delegate) == theme.link
    assert finished.args == [REPO]
    assert snapshot(tmp_path)["model.safetensors"] == WEIGHTS
    status = center.status(REPO)
    assert status is not None and status.done_bytes == status.total_bytes
    # Done: no button to press any more, and no bar.
    layout = delegate.layout_at(view.model().index(0, 0))
    assert overlay.hit(layout, layout.sub.x + layout.sub.w - 5, layout.sub.y + 5, delegate.metrics()) is None
    assert bar_pixel(view, delegate) != theme.link


def test_cancel_on_the_card_then_resume_from_the_downloads_list(
        qtbot: QtBot, sim: HubSim, center: DownloadCenter, card: Any, tmp_path: Path) -> None:
    view, delegate, overlay = card
    sim.faults.add(Fault("slow_drip", origin="cdn", path=SLOW, seconds=30))
    panel = DownloadsPanel(center)
    panel.show()
    assert panel.note.text() == RESUME_NOTE and panel.empty.isVisible()

    click(qtbot, view, button_point(view, delegate, overlay, "download"))
    qtbot.waitUntil(lambda: (s := center.status(REPO)) is not None and s.done_bytes > 0
                    and s.state is DownloadState.DOWNLOADING, timeout=10_000)
    row = panel.rows[REPO]
    assert row.cancel_button.isVisible() and not row.resume_button.isVisible()
    assert " of " in row.text.text() and "%" in row.text.text()

    cancelled_at = time.monotonic()
    click(qtbot, view, button_point(view, delegate, overlay, "cancel"))
    qtbot.waitUntil(lambda: center.status(REPO).state is DownloadState.CANCELLED, timeout=10_000)  # type: ignore[union-attr]
    assert time.monotonic() - cancelled_at < 10  # not the 30 s the file would have taken
    assert row.resume_button.isVisible() and not row.cancel_button.isVisible()
    assert "Resume skips finished files" in row.text.text()
    assert "model.safetensors" not in snapshot(tmp_path) and "config.json" in snapshot(tmp_path)
    button_point(view, delegate, overlay, "resume")  # the card offers it too

    sim.clear_log()
    with qtbot.waitSignal(center.finished, timeout=30_000):
        qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    gets = [r for r in sim.requests() if r.method == "GET" and ("resolve" in r.path or r.origin == "cdn")]
    assert [r.path.rsplit("/", 1)[-1] for r in gets] == [SLOW]  # only the weights: finished files skipped
    assert snapshot(tmp_path)["model.safetensors"] == WEIGHTS
    assert row.text.text().startswith("Downloaded")
    panel.close()


def test_a_gated_model_says_why_in_the_list_with_its_page(qtbot: QtBot, sim: HubSim,
                                                         center: DownloadCenter) -> None:
    panel = DownloadsPanel(center)
    opened: list[QUrl] = []
    panel.open_url = opened.append  # type: ignore[assignment]
    panel.show()
    center.start("meta-llama/Locked")
    qtbot.waitUntil(lambda: center.status("meta-llama/Locked").state is DownloadState.FAILED,  # type: ignore[union-attr]
                    timeout=15_000)
    row = panel.rows["meta-llama/Locked"]
    assert "is gated: sign in" in row.text.text()
    assert row.link_button.isVisible() and not row.cancel_button.isVisible()
    qtbot.mouseClick(row.link_button, Qt.MouseButton.LeftButton)
    assert opened == [QUrl(f"{sim.url}/meta-llama/Locked")]
    panel.close()


@pytest.fixture
def filled(tmp_path: Path) -> CacheBuilder:
    builder = CacheBuilder(tmp_path / "hub")
    builder.add_model("org/a", {"config.json": {"model_type": "llama"}, "model.safetensors": b"A" * 40_000})
    builder.add_model("org/b", {"config.json": {"model_type": "qwen3"}, "model.safetensors": b"B" * 90_000})
    builder.add_revision("org/b", {"config.json": {"model_type": "qwen3", "v": 0}, "model.safetensors": b"B" * 90_000})
    builder.add_incomplete("org/a", 1, size=5000)
    old = time.time() - 3600
    for partial in (tmp_path / "hub").rglob("*.incomplete"):
        os.utime(partial, (old, old))
    return builder


def cached_ids(tmp_path: Path) -> set[str]:
    from huggingface_hub import scan_cache_dir

    return {r.repo_id for r in scan_cache_dir(tmp_path / "hub").repos}


def test_delete_several_asks_once_with_the_space_freed(qtbot: QtBot, tmp_path: Path,
                                                       filled: CacheBuilder) -> None:
    actions = CacheActions(None, cache_dir=str(tmp_path / "hub"))
    asked: list[tuple[str, str, str]] = []
    actions.confirm = lambda *args: asked.append(args) is None and len(asked) > 1  # no, then yes
    freed = filled.repos[("model", "org/a")].blob_bytes + filled.repos[("model", "org/b")].blob_bytes

    actions.delete(["org/a", "org/b"])
    qtbot.waitUntil(lambda: len(asked) == 1 and not actions.working)
    assert asked[0][1] == f"Delete 2 models? This frees {formatting.size(freed)}."
    assert "org/a" in asked[0][2] and "org/b" in asked[0][2]
    assert cached_ids(tmp_path) == {"org/a", "org/b"}  # declined: nothing happened

    with qtbot.waitSignal(actions.deleted, timeout=10_000) as deleted:
        actions.delete(["org/a", "org/b"])
    assert deleted.args == [["org/a", "org/b"], freed]
    assert cached_ids(tmp_path) == set()


def test_a_model_being_downloaded_is_not_deleted(qtbot: QtBot, tmp_path: Path, filled: CacheBuilder) -> None:
    actions = CacheActions(None, cache_dir=str(tmp_path / "hub"), busy_ids=lambda: ["org/a"])
    told: list[str] = []
    actions.inform = lambda _title, text: told.append(text)
    actions.confirm = lambda *_args: True
    with qtbot.waitSignal(actions.deleted, timeout=10_000) as deleted:
        actions.delete(["org/a", "org/b"])
    assert deleted.args[0] == ["org/b"] and "org/a: cancel the download first" in told[0]
    assert cached_ids(tmp_path) == {"org/a"}


def test_clean_up_lists_each_item_with_its_size_then_frees_it(qtbot: QtBot, tmp_path: Path,
                                                              filled: CacheBuilder) -> None:
    actions = CacheActions(None, cache_dir=str(tmp_path / "hub"))
    asked: list[tuple[str, str, str]] = []
    actions.confirm = lambda *args: asked.append(args) is None
    with qtbot.waitSignal(actions.cleaned, timeout=10_000) as cleaned:
        actions.clean_up()
    assert asked[0][1].startswith("Remove 2 item(s) and free ")
    assert "org/b: detached revision" in asked[0][2] and "org/a: partial download  (5 KB)" in asked[0][2]
    assert cleaned.args[0] > 5000
    assert not list((tmp_path / "hub").rglob("*.incomplete")) and cached_ids(tmp_path) == {"org/a", "org/b"}

    told: list[str] = []
    actions.inform = lambda _title, text: told.append(text)
    actions.clean_up()
    qtbot.waitUntil(lambda: bool(told))
    assert told[0].startswith("Nothing to clean up")

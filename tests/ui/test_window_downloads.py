"""Filling and cleaning the cache from the window, like a person: search the Hub, press Download on a card,
watch it in the Downloads list, find the model in My Models with its badges; select two models and delete
them with the Delete key and one confirmation. The Hub is the simulator over real HTTP."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.core import formatting
from app.core.model_entry import ConfigStatus, Source
from app.services.downloads import DownloadState
from tests.cachebuilder import CacheBuilder
from tests.hubsim import Fault, HubSim, SimModel

REPO = "fresh-org/Fresh-Qwen3-4bit"
CONFIG = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 1024,
          "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 32000,
          "max_position_embeddings": 32768, "quantization": {"group_size": 64, "bits": 4}}
WEIGHTS = hashlib.sha256(b"fresh").digest() * (3 * 1024 * 1024 // 32)


def feature(window: Any) -> Any:
    found = getattr(window, "downloads", None)
    if found is None:  # not wired into the window (yet): install it the way the window does
        from app.ui.downloads_feature import DownloadsFeature

        found = window.downloads = DownloadsFeature(window)
    return found


def card_point(window: Any, repo_id: str, action: str) -> QPoint:
    view = window.current_list
    model = view.model()
    index = model.index(model.row_of(repo_id), 0)
    view.scrollTo(index)
    delegate = view.itemDelegateForIndex(index)
    overlay = delegate.overlay
    rect = view.visualRect(index)
    layout = delegate.layout_at(index)
    r = overlay._button(layout, delegate.metrics(), action)
    point = QPoint(rect.x() + r.x + r.w // 2, rect.y() + r.y + r.h // 2)
    assert overlay.hit(layout, point.x() - rect.x(), point.y() - rect.y(), delegate.metrics()) == action
    return point


def test_download_from_a_hub_card_then_find_it_in_my_models(qtbot: QtBot, hf_cache: CacheBuilder,
                                                             hubsim: HubSim, make_window: Any) -> None:
    hubsim.add_model(SimModel(id=REPO, tags=("mlx", "text-generation"), downloads=10**9, files={
        "config.json": json.dumps(CONFIG).encode(), "tokenizer.json": b"{}", "model.safetensors": WEIGHTS}))
    hubsim.faults.add(Fault("slow_drip", origin="cdn", path=hashlib.sha256(WEIGHTS).hexdigest(), seconds=1.0))
    window = make_window(hub_endpoint=hubsim.url, cache_dir=str(hf_cache.root))
    downloads = feature(window)
    assert window.local_model.row_of(REPO) is None

    window.set_view("hub")
    qtbot.keyClicks(window.toolbar.search, "Fresh-Qwen3")
    qtbot.waitUntil(lambda: window.hub_model.row_of(REPO) is not None, timeout=15_000)
    point = card_point(window, REPO, "download")
    qtbot.mouseClick(window.hub_view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: downloads.button.text().startswith("⤓ 1"), timeout=10_000)

    qtbot.mouseClick(downloads.button, Qt.MouseButton.LeftButton)
    panel = downloads.panel
    assert panel is not None and panel.isVisible() and REPO in panel.rows
    with qtbot.waitSignal(downloads.center.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: window.local_model.row_of(REPO) is not None, timeout=15_000)
    entry = window.local_model.entry_at(window.local_model.row_of(REPO))
    assert entry.source in (Source.LOCAL, Source.BOTH) and entry.config_status is ConfigStatus.OK
    assert entry.characteristics.quantization_bits == 4 and entry.characteristics.model_type == "qwen3"
    assert panel.rows[REPO].text.text().startswith("Downloaded")
    assert downloads.button.text() == "⤓" and downloads.button.accessibleName() == "Downloads"
    panel.close()


def test_select_two_models_and_delete_them_with_one_confirmation(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                make_window: Any) -> None:
    from huggingface_hub import scan_cache_dir

    window = make_window(cache_dir=str(hf_cache.root))
    downloads = feature(window)
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=15_000)
    repos = {r.repo_id: r for r in scan_cache_dir(hf_cache.root).repos}
    victims = sorted(repos)[:2]
    asked: list[tuple[str, str, str]] = []
    downloads.cache_actions.confirm = lambda *args: asked.append(args) is None

    view = window.local_view
    selection = view.selectionModel()
    for repo_id in victims:
        index = window.local_model.index(window.local_model.row_of(repo_id), 0)
        selection.select(index, QItemSelectionModel.SelectionFlag.Select)
        if repo_id == victims[0]:
            view.setCurrentIndex(index)
    view.setFocus()
    menu = QMenu()
    downloads.add_to_menu(menu, view, window.local_model.entry_at(window.local_model.row_of(victims[0])))
    assert "Delete 2 Models…" in [a.text() for a in menu.actions()]

    with qtbot.waitSignal(downloads.cache_actions.deleted, timeout=10_000):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    expected = sum(repos[r].size_on_disk for r in victims)  # nothing shared between two repos here
    assert asked and asked[0][1] == f"Delete 2 models? This frees {formatting.size(expected)}."
    assert all(window.local_model.row_of(r) is None for r in victims)  # gone at once
    assert not set(victims) & {r.repo_id for r in scan_cache_dir(hf_cache.root).repos}
    assert window.status.currentMessage().startswith("Deleted 2 models; freed")


def test_a_download_in_progress_is_cancelled_when_the_window_closes(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                    hubsim: HubSim, make_window: Any) -> None:
    hubsim.add_model(SimModel(id=REPO, files={"config.json": json.dumps(CONFIG).encode(),
                                              "model.safetensors": WEIGHTS}))
    hubsim.faults.add(Fault("slow_drip", origin="cdn", path=hashlib.sha256(WEIGHTS).hexdigest(), seconds=30))
    window = make_window(hub_endpoint=hubsim.url, cache_dir=str(hf_cache.root))
    downloads = feature(window)
    downloads.download(REPO)
    qtbot.waitUntil(lambda: (s := downloads.center.status(REPO)) is not None
                    and s.state is DownloadState.DOWNLOADING, timeout=10_000)
    downloads.shutdown()
    assert not any(t.is_alive() for t in downloads.center.manager._threads.values())
    assert downloads.center.manager.status(REPO).state is DownloadState.CANCELLED
    assert not list((hf_cache.root / "models--fresh-org--Fresh-Qwen3-4bit").rglob("*.incomplete"))

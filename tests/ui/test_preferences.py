"""Preferences apply at once and persist: default view, Hub scope (the next search uses it, in the window and
the quick search), fit context, request concurrency, store Clear, start at login (off by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ui.app_preferences import DEFAULT_CONCURRENCY, DEFAULT_CONTEXT, AppPreferences
from app.ui.settings import APPLICATION, ORGANISATION
from app.ui.shell import Shell
from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim


def fresh_settings() -> QSettings:
    return QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


@pytest.fixture
def shell(qtbot: QtBot, qapp: QApplication, hf_cache: CacheBuilder, hubsim: HubSim, make_window: Any,
          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    window = make_window(hub_endpoint=hubsim.url)
    shell = Shell(qapp, window, AppPreferences(window.settings.qsettings), quit=lambda: None, tray=False)
    shell.open_preferences()
    dialog = shell.preferences
    qtbot.waitUntil(lambda: "token" in dialog.token_label.text().lower(), timeout=10_000)
    yield shell
    shell.close()


def test_defaults(shell: Any, tmp_path: Path) -> None:
    prefs = shell.prefs
    assert (prefs.default_view, prefs.hub_scope, prefs.fit_context, prefs.concurrency, prefs.start_at_login) == (
        "last", "mlx", DEFAULT_CONTEXT, DEFAULT_CONCURRENCY, False)
    assert not shell.preferences.login_box.isChecked()
    assert not (tmp_path / "config" / "autostart").exists(), "nothing registered at login by default"
    assert "No Hugging Face token found" in shell.preferences.token_label.text()


def test_changes_persist(qtbot: QtBot, shell: Any) -> None:
    shell.window.set_view("hub")
    qtbot.waitUntil(lambda: shell.window.controller.fetcher is not None, timeout=10_000)
    dialog = shell.preferences
    dialog.view_box.setCurrentIndex(dialog.view_box.findData("hub"))
    dialog.context_box.setCurrentIndex(dialog.context_box.findData(32768))
    dialog.concurrency_box.setValue(3)
    again = AppPreferences(fresh_settings())
    assert again.default_view == "hub"
    assert again.start_view("my") == "hub"
    assert again.fit_context == 32768
    assert again.concurrency == 3
    assert shell.window.controller.concurrency == 3, "applied without a restart"
    assert shell.window.controller.fetcher.concurrency == 3, "to the fetcher already running too"


def test_hub_scope_applies_to_the_next_searches(qtbot: QtBot, shell: Any, hubsim: HubSim) -> None:
    window = shell.window
    window.set_view("hub")
    qtbot.waitUntil(lambda: window.controller.hub_state == "ready", timeout=10_000)
    hubsim.clear_log()
    dialog = shell.preferences
    dialog.scope_box.setCurrentIndex(dialog.scope_box.findData("mlx-community"))
    qtbot.waitUntil(lambda: bool(hubsim.requests(r"^/api/models$")), timeout=10_000)
    query = hubsim.requests(r"^/api/models$")[0].query
    assert query.get("author") == ["mlx-community"] and "filter" not in query
    qtbot.waitUntil(lambda: window.controller.hub_state in ("ready", "empty"), timeout=10_000)
    ids = [window.hub_model.entry_at(r).id for r in range(window.hub_model.rowCount())]
    assert ids and all(i.startswith("mlx-community/") for i in ids)
    assert AppPreferences(fresh_settings()).hub_scope == "mlx-community"
    hubsim.clear_log()
    shell.quick.popup()
    shell.quick.set_query("qwen")
    qtbot.waitUntil(lambda: shell.quick._hub_query == "qwen", timeout=10_000)
    query = hubsim.requests(r"^/api/models$")[0].query
    assert query.get("author") == ["mlx-community"], "the quick search follows the same scope"
    shell.quick.hide()


def test_start_at_login_turns_on_and_off(shell: Any, tmp_path: Path) -> None:
    box = shell.preferences.login_box
    box.setChecked(True)
    entry = tmp_path / "config" / "autostart" / "mlx-manager.desktop"
    assert entry.is_file() and shell.prefs.start_at_login
    box.setChecked(False)
    assert not entry.exists() and not AppPreferences(fresh_settings()).start_at_login


def test_clear_store_shows_the_new_size(qtbot: QtBot, shell: Any, tmp_path: Path) -> None:
    from app.services.config_store import ConfigStore, StoredKind

    dialog = shell.preferences
    with ConfigStore(dialog.store_path) as store:
        for n in range(50):
            store.put(f"org/m{n}", StoredKind.OK, config={"model_type": "llama"})
    dialog.clear_button.click()
    qtbot.waitUntil(lambda: "50 cleared" in dialog.store_label.text(), timeout=10_000)
    with ConfigStore(dialog.store_path) as store:
        assert len(store) == 0

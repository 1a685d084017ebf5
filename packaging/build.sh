#!/usr/bin/env bash
# Build MLX Manager with PyInstaller. On macOS: the .icns icon, the .app bundle and (when
# CODESIGN_IDENTITY is set) a hardened-runtime signature. Elsewhere: the same spec as a one-folder build,
# then `--self-test` to prove the bundle starts.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
mkdir -p build

if [[ "$(uname)" == "Darwin" ]]; then
  iconset=build/AppIcon.iconset
  rm -rf "$iconset" && mkdir -p "$iconset"
  "$PY" packaging/render_icons.py resources/icons/app-icon.svg "$iconset"
  iconutil -c icns "$iconset" -o build/AppIcon.icns
fi

"$PY" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/mlx_manager.spec

if [[ "$(uname)" == "Darwin" ]]; then
  app="dist/MLX Manager.app"
  if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --force --deep --options runtime --timestamp \
      --entitlements packaging/entitlements.plist --sign "$CODESIGN_IDENTITY" "$app"
    codesign --verify --strict --verbose=2 "$app"
  fi
  "$app/Contents/MacOS/MLX Manager" --self-test
else
  QT_QPA_PLATFORM=offscreen dist/mlx-manager/mlx-manager --self-test
fi

#!/usr/bin/env bash
# Build MLX Manager with PyInstaller (packaging/mlx_manager.spec), then prove the result starts.
#
# macOS (Apple Silicon): the .icns icon, `dist/MLX Manager.app`, its signature, its `--self-test`, then
# `dist/MLX-Manager-<version>-arm64.dmg` (the app and an Applications link), checked again from the mounted
# image. Signing: ad-hoc by default; with CODESIGN_IDENTITY ("Developer ID Application: …") the hardened
# runtime and packaging/entitlements.plist. Notarization (needs CODESIGN_IDENTITY) when NOTARY_PROFILE (a
# `xcrun notarytool store-credentials` profile) or NOTARY_APPLE_ID + NOTARY_TEAM_ID + NOTARY_PASSWORD are set:
# the app and then the .dmg are notarized and stapled.
# Elsewhere: the same spec as a one-folder build in dist/mlx-manager, its `--self-test --json`, and its size.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
VERSION=$("$PY" -c 'from app import __version__; print(__version__)')
mkdir -p build dist

say() { printf '\n== %s\n' "$*"; }

if [[ "$(uname)" == "Darwin" ]]; then
  if [[ "$(uname -m)" != "arm64" ]]; then
    echo "build.sh: MLX Manager.app is built for Apple Silicon (arm64); this Mac is $(uname -m)." >&2
    exit 2
  fi
  say "icon"
  iconset=build/AppIcon.iconset
  rm -rf "$iconset" && mkdir -p "$iconset"
  QT_QPA_PLATFORM=offscreen "$PY" packaging/render_icons.py resources/icons/app-icon.svg "$iconset"
  iconutil -c icns "$iconset" -o build/AppIcon.icns
fi

say "PyInstaller"
# At low priority (the build takes the machine's cores for a minute or more); PYINSTALLER_LOG_LEVEL=INFO to see
# every step.
nice -n 10 "$PY" -m PyInstaller --noconfirm --clean --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}" \
  --distpath dist --workpath build/pyinstaller packaging/mlx_manager.spec

if [[ "$(uname)" != "Darwin" ]]; then
  say "self-test of dist/mlx-manager"
  # Bounded: a self-test that hangs must fail the build, not stall it (CI has 90 minutes in all).
  QT_QPA_PLATFORM=offscreen timeout 600 dist/mlx-manager/mlx-manager --self-test --json
  "$PY" tests/benchmarks/bench_bundle.py dist/mlx-manager
  exit 0
fi

app="dist/MLX Manager.app"
dmg="dist/MLX-Manager-$VERSION-arm64.dmg"
identity=${CODESIGN_IDENTITY:-}

notarize() {  # notarize one file (.zip or .dmg) and wait for Apple's verdict
  if [[ -n "${NOTARY_PROFILE:-}" ]]; then
    xcrun notarytool submit "$1" --keychain-profile "$NOTARY_PROFILE" --wait
  else
    xcrun notarytool submit "$1" --apple-id "$NOTARY_APPLE_ID" --team-id "$NOTARY_TEAM_ID" \
      --password "$NOTARY_PASSWORD" --wait
  fi
}
notary=""
if [[ -n "${NOTARY_PROFILE:-}" || ( -n "${NOTARY_APPLE_ID:-}" && -n "${NOTARY_TEAM_ID:-}" && -n "${NOTARY_PASSWORD:-}" ) ]]; then
  if [[ -z "$identity" ]]; then
    echo "build.sh: notarization needs a Developer ID signature: set CODESIGN_IDENTITY too." >&2
    exit 2
  fi
  notary=yes
fi

say "mlx.metallib beside every libmlx.dylib"
"$PY" packaging/metallib_links.py "$app"

say "signature"
if [[ -n "$identity" ]]; then
  codesign --force --deep --options runtime --timestamp \
    --entitlements packaging/entitlements.plist --sign "$identity" "$app"
else
  # Ad-hoc: enough for this Mac and for a person who opens it with right-click → Open the first time.
  codesign --force --deep --sign - "$app"
fi
codesign --verify --deep --strict --verbose=2 "$app"

say "self-test of the app"
"$app/Contents/MacOS/MLX Manager" --self-test --json

if [[ -n "$notary" ]]; then
  say "notarization of the app"
  ditto -c -k --keepParent "$app" build/MLX-Manager-notarize.zip
  notarize build/MLX-Manager-notarize.zip
  xcrun stapler staple "$app"
  spctl --assess --type execute --verbose=2 "$app"
fi

say "disk image"
staging=build/dmg
rm -rf "$staging" "$dmg" && mkdir -p "$staging"
ditto "$app" "$staging/MLX Manager.app"  # ditto keeps the bundle's symlinks and modes
ln -s /Applications "$staging/Applications"
hdiutil create -volname "MLX Manager" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
if [[ -n "$identity" ]]; then
  codesign --force --timestamp --sign "$identity" "$dmg"
fi
if [[ -n "$notary" ]]; then
  say "notarization of the disk image"
  notarize "$dmg"
  xcrun stapler staple "$dmg"
  spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
fi
hdiutil verify "$dmg"

say "the app as a person gets it: from the mounted disk image"
mount=$(mktemp -d /tmp/mlx-manager-dmg.XXXXXX)
hdiutil attach -nobrowse -readonly -mountpoint "$mount" "$dmg" >/dev/null
trap 'hdiutil detach "$mount" -quiet || true' EXIT
test -L "$mount/Applications"
codesign --verify --deep --strict --verbose=2 "$mount/MLX Manager.app"
"$mount/MLX Manager.app/Contents/MacOS/MLX Manager" --self-test
du -sh "$app" "$dmg"
echo "built $dmg"

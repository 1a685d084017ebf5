"""Size on disk and times of a cached repo, counted the way `huggingface_hub.scan_cache_dir` counts them.

For each file under `snapshots/<rev>/**`: the first link hop gives the blob (a real file, as on Windows,
is its own blob); each unique blob is stat'ed once; times are the newest blob's, else the repo folder's.
Links that leave the cache are counted as such, never followed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from app.services.cache_layout import IGNORED_FILES, LINK_PREFIXES, blobs_prefix, files_phrase, isabs

_S_IFMT, _S_IFREG = 0o170000, stat.S_IFREG


@dataclass(frozen=True)
class Sizes:
    size_on_disk: int | None  # None: the repo folder could not be read (or leads outside the cache)
    last_modified: float  # POSIX time; 0.0 when unknown
    last_accessed: float
    incomplete_files: int
    problems: tuple[str, ...]


def measure(path: str, prefixes: tuple[str, ...]) -> Sizes:
    """Walk the repo folder `path`; `prefixes` are the cache root's spellings (see `cache_prefixes`)."""
    tally = _Tally()
    try:
        repo_stat: os.stat_result | None = os.lstat(path)
    except OSError:
        repo_stat = None
    if repo_stat is not None and stat.S_ISLNK(repo_stat.st_mode):
        # A repo folder that is a link: measured only when it stays inside the cache.
        try:
            repo_stat = os.stat(path) if _inside(os.path.realpath(path) + os.sep, prefixes) else None
        except OSError:
            repo_stat = None
    readable = repo_stat is not None and stat.S_ISDIR(repo_stat.st_mode)
    incomplete = 0
    if readable:
        snapshots = path + os.sep + "snapshots"
        blobs = blobs_prefix(path, prefixes, [])
        if _is_real_dir(snapshots):
            _walk_snapshots(snapshots, prefixes, tally, blobs)
        if blobs is not None:
            incomplete = _count_incomplete(blobs[:-1])
    if tally.seen:
        mtime, atime = tally.mtime, tally.atime
    elif repo_stat is not None:
        mtime, atime = repo_stat.st_mtime, repo_stat.st_atime
    else:
        mtime = atime = 0.0
    problems: list[str] = []
    if tally.broken:
        verb = "is a broken link" if tally.broken == 1 else "are broken links"
        problems.append(f"{files_phrase(tally.broken)} in snapshots/ {verb} (blob missing from blobs/)")
    if tally.outside:
        problems.append(
            f"{files_phrase(tally.outside)} {'links' if tally.outside == 1 else 'link'} outside the cache"
            f"{' (' + tally.outside_example + ')' if tally.outside_example else ''}; not followed or counted"
        )
    if tally.stray:
        problems.append(f"{files_phrase(tally.stray)} directly in snapshots/ (not in any snapshot folder)")
    if incomplete:
        problems.append(f"download incomplete: {files_phrase(incomplete)} still downloading")
    return Sizes(tally.size if readable else None, mtime, atime, incomplete, tuple(problems))


class _Tally:
    __slots__ = ("atime", "broken", "mtime", "outside", "outside_example", "seen", "size", "stray")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.size = 0
        self.mtime = 0.0
        self.atime = 0.0
        self.broken = 0
        self.outside = 0
        self.outside_example = ""
        self.stray = 0


def _inside(path: str, prefixes: tuple[str, ...]) -> bool:
    return path.startswith(prefixes)


def _is_real_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _walk_snapshots(snapshots: str, prefixes: tuple[str, ...], tally: _Tally, blobs: str | None) -> None:
    try:
        with os.scandir(snapshots) as it:
            revisions = list(it)
    except OSError:
        return
    for entry in revisions:
        if entry.name in IGNORED_FILES:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                _walk_snapshot(entry.path, prefixes, tally, 0, blobs)
            elif entry.is_symlink():
                real = os.path.realpath(entry.path)
                if not _inside(real + os.sep, prefixes):
                    tally.outside += 1
                    tally.outside_example = tally.outside_example or real
            else:
                tally.stray += 1
        except OSError:
            continue


def _walk_snapshot(
    folder: str, prefixes: tuple[str, ...], tally: _Tally, depth: int, blobs: str | None
) -> None:
    """Tally the unique blobs under one snapshot folder; `blobs` is the repo's blobs folder + separator
    (None: it leads outside the cache, so nothing is followed through it)."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:
        return
    seen = tally.seen
    expected = LINK_PREFIXES[depth]
    cut = len(expected)
    # Locals, written back once: this loop runs once per file in the cache.
    size, mtime, atime = tally.size, tally.mtime, tally.atime
    readlink, lstat = os.readlink, os.lstat
    for entry in entries:
        try:
            if entry.is_symlink():
                link = readlink(entry.path)
                if blobs is not None and link.startswith(expected) and link[cut:].isalnum():
                    # The usual layout: an etag (no separator, no dot) in this repo's blobs/, inside by
                    # construction; no normpath or prefix test needed.
                    blob = blobs + link[cut:]
                else:
                    # Anything else: resolve every link on the way before deciding (rare: cost is fine).
                    blob = os.path.realpath(link if isabs(link) else folder + os.sep + link)
                    if not blob.startswith(prefixes):
                        tally.outside += 1
                        tally.outside_example = tally.outside_example or blob
                        continue
                if blob in seen:
                    continue
                try:
                    st = lstat(blob)
                except FileNotFoundError:
                    tally.broken += 1
                    continue
                if st.st_mode & _S_IFMT != _S_IFREG:
                    if stat.S_ISLNK(st.st_mode):
                        # A blob that is a link (the shared blob store): stat through it only inside.
                        real = os.path.realpath(blob)
                        if not real.startswith(prefixes):
                            tally.outside += 1
                            tally.outside_example = tally.outside_example or real
                            continue
                        st = os.stat(real)
                    if stat.S_ISDIR(st.st_mode):
                        continue
                seen.add(blob)
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 < len(LINK_PREFIXES):
                    tally.size, tally.mtime, tally.atime = size, mtime, atime
                    _walk_snapshot(entry.path, prefixes, tally, depth + 1, blobs)
                    size, mtime, atime = tally.size, tally.mtime, tally.atime
                continue
            else:
                # A real file (symlinks unsupported, e.g. Windows): it is its own blob.
                st = entry.stat(follow_symlinks=False)
                seen.add(entry.path)
        except FileNotFoundError:
            tally.broken += 1
            continue
        except OSError:
            continue
        size += st.st_size
        if st.st_mtime > mtime:
            mtime = st.st_mtime
        if st.st_atime > atime:
            atime = st.st_atime
    tally.size, tally.mtime, tally.atime = size, mtime, atime


def _count_incomplete(blobs: str) -> int:
    try:
        names = os.listdir(blobs)  # names only: cheaper than DirEntry objects
    except OSError:
        return 0
    return sum(1 for name in names if name.endswith(".incomplete"))

"""The Hugging Face cache layout, read defensively: the shared helpers of the local cache scan.

Facts (shared/reference/hub-wire-facts.md §5): repos are `models--org--name` folders holding `blobs/`,
`refs/` (`refs/main`, `refs/refs/pr/1`, ...) and `snapshots/<commit>/<path>` links to `../../blobs/<etag>`.
Everything here works on `str` paths with `os` calls (no pathlib: these run once per repo or per file), and
reports damage as sentences in a `problems` list instead of raising.
"""

from __future__ import annotations

import errno
import os
import stat

from app.core.model_id import MODEL_FOLDER_PREFIX

MODEL_PREFIX = MODEL_FOLDER_PREFIX  # the one definition is in app.core.model_id

# Top-level entries that are never model repos (huggingface_hub skips the same ones).
IGNORED_TOP = frozenset({".locks", "CACHEDIR.TAG", "blobs", ".DS_Store", "Thumbs.db", "desktop.ini"})
IGNORED_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})

# O_NOFOLLOW: a config that is itself a link we did not vet is refused, not followed.
# O_NONBLOCK: opening a FIFO planted in the cache must not hang the scan.
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)

_REF_MAX_BYTES = 256

# What huggingface_hub writes at snapshots/<commit>/<depth * dir>/<file>: ../../(depth * ../)blobs/<etag>.
LINK_PREFIXES = tuple("../" * (depth + 2) + "blobs/" for depth in range(33))

STANDARD_LINK = LINK_PREFIXES[0]
STANDARD_LINK_LEN = len(STANDARD_LINK)


def is_model_entry(name: str) -> bool:
    return name.startswith(MODEL_PREFIX) and name not in IGNORED_TOP


def repo_id_from_folder(name: str) -> str:
    """`models--org--name` -> `org/name`; bytes that are not UTF-8 show as U+FFFD."""
    rest = name[len(MODEL_PREFIX) :] if name.startswith(MODEL_PREFIX) else name
    repo_id = rest.replace("--", "/")
    try:
        repo_id.encode("utf-8")
    except UnicodeEncodeError:
        # os.scandir gives undecodable bytes as lone surrogates; make the id printable.
        repo_id = repo_id.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return repo_id


def cache_prefixes(root: str) -> tuple[str, ...]:
    # The cache may itself sit behind a link (e.g. on an external disk): both spellings are inside.
    real = os.path.realpath(root)
    return tuple({root.rstrip(os.sep) + os.sep, real.rstrip(os.sep) + os.sep})


def blobs_prefix(repo: str, prefixes: tuple[str, ...], problems: list[str]) -> str | None:
    """The repo's blobs folder + separator, or None (and a problem) when it is a link leaving the cache."""
    blobs = repo + os.sep + "blobs"
    if entry_kind(blobs) == "link":
        real = os.path.realpath(blobs)
        if not (real + os.sep).startswith(prefixes):
            problems.append(f"blobs/ is a link to {real}, outside the cache; not followed")
            return None
    return blobs + os.sep


def entry_kind(path: str) -> str | None:
    """None (missing), "dir", "file", "link" or "unreadable"."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except PermissionError:
        return "unreadable"
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        return "dir"
    return "link" if stat.S_ISLNK(mode) else "file"


def read_refs(repo: str, kind: str | None, problems: list[str]) -> dict[str, str]:
    """Every ref of a repo, {"main": commit, "refs/pr/1": commit, ...}; `kind` is what `entry_kind` said
    of `refs/`."""
    refs: dict[str, str] = {}
    if kind is None:
        return refs
    if kind == "link":
        problems.append("refs/ is a link; not followed")
        return refs
    if kind != "dir":
        problems.append("refs/ is a file, not a folder")
        return refs
    _walk_refs(repo + os.sep + "refs", "", refs, problems)
    return refs


def _walk_refs(folder: str, prefix: str, refs: dict[str, str], problems: list[str]) -> None:
    # Names only (no DirEntry objects): nearly every refs/ holds just "main"; a sub-folder shows up
    # as EISDIR when read, and only then is it walked.
    try:
        names = os.listdir(folder)
    except OSError as exc:
        problems.append(f"refs/{prefix} cannot be read ({reason(exc)})")
        return
    for entry_name in names:
        if entry_name in IGNORED_FILES:
            continue
        name = prefix + entry_name
        path = folder + os.sep + entry_name
        commit = _read_ref(path, name, problems)
        if commit is _IS_DIR:
            if prefix.count("/") < 8:  # refs are shallow; a deep tree is not worth walking
                _walk_refs(path, name + "/", refs, problems)
        elif commit is not None:
            refs[name] = commit


_IS_DIR = "\0dir"  # _read_ref's answer for a folder (refs/refs/pr/1 lives in folders)


def _read_ref(path: str, name: str, problems: list[str]) -> str | None:
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            problems.append(f"refs/{name} is a link; not followed")
        elif isinstance(exc, IsADirectoryError | PermissionError) and os.path.isdir(path):
            return _IS_DIR  # Windows cannot open folders
        else:
            problems.append(f"refs/{name} cannot be read ({reason(exc)})")
        return None
    try:
        raw = os.read(fd, _REF_MAX_BYTES)  # one call: a ref is 40 bytes
    except IsADirectoryError:
        return _IS_DIR
    except OSError as exc:
        problems.append(f"refs/{name} cannot be read ({reason(exc)})")
        return None
    finally:
        os.close(fd)
    # A trailing newline (hand-written refs) is harmless here, unlike in huggingface_hub itself.
    commit = raw.decode("ascii", "replace").strip()
    if not commit:
        problems.append(f"refs/{name} is empty")
        return None
    if not is_safe_name(commit):
        problems.append(f"refs/{name} does not hold a commit hash")
        return None
    return commit


_HEX = frozenset("0123456789abcdef")
_UNSAFE = frozenset("/\\\0\n\r\ufffd")


def is_safe_name(commit: str) -> bool:
    # A ref names a folder inside snapshots/: it must not be able to climb out of it.
    if len(commit) == 40 and _HEX.issuperset(commit):
        return True  # the usual commit hash
    return len(commit) <= 128 and commit not in (".", "..") and _UNSAFE.isdisjoint(commit)


def _posix_isabs(path: str) -> bool:
    return path[:1] == "/"


# os.path.isabs costs more than the syscall next to it on the hot path; on POSIX a leading / is all it checks.
isabs = _posix_isabs if os.name == "posix" else os.path.isabs


def read_upto(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def newest_snapshot(snapshots: str, problems: list[str]) -> tuple[str | None, str | None]:
    best: tuple[float, str, str] | None = None
    try:
        with os.scandir(snapshots) as it:
            for entry in it:
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        continue
                    mtime = entry.stat(follow_symlinks=False).st_mtime
                except OSError:
                    continue
                if best is None or (mtime, entry.name) > best[:2]:
                    best = (mtime, entry.name, entry.path)
    except OSError as exc:
        problems.append(f"snapshots/ cannot be read ({reason(exc)})")
        return None, None
    return (None, None) if best is None else (best[1], best[2])


def short(commit: str) -> str:
    return commit[:12] + "…" if len(commit) > 12 else commit


def reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower() if exc.errno != errno.EACCES else "permission denied"


def printable(text: str | None) -> str | None:
    """Paths from os.scandir carry undecodable bytes as lone surrogates, which no UTF-8 output accepts."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def files_phrase(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"

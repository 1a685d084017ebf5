"""My Models: a fast, faithful reader of the local Hugging Face cache.

Two speeds, so a window can show the list at once and fill in sizes later:

- `scan_first_pass(cache_dir)` reads, per model repo, only its refs, its main snapshot's `config.json`
  and (when the config does not already say MLX) the head of `README.md`. Sizes and times are None.
- `fill_sizes(models)` walks the snapshots and stats each unique blob, the way
  `huggingface_hub.scan_cache_dir` counts (first symlink hop to the blob, then stat; real files in
  snapshots count themselves), and notes partial downloads. `scan_full` is both in one call.

Both are blocking file-system code meant for a worker thread (`asyncio.to_thread`); the `*_async`
helpers do exactly that. Nothing raises for a broken cache: each damaged repo is still listed, with
`problem` saying what is wrong in words. Nothing outside the cache folder is read: a link that leaves it
is reported, not followed. Hot paths use `os.scandir`/`os.open` on `str` paths (no pathlib) and avoid
redundant stats: this runs over thousands of repos.

Layout helpers live in `cache_layout`, the size walk in `cache_sizes`, the MLX signals in `mlx_signals`.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.config_parse import MAX_CONFIG_BYTES, ConfigError, parse_config_object
from app.core.model_entry import ConfigStatus, ModelEntry, Source, Tier
from app.core.model_id import author_of, name_of
from app.core.parameter_figure import reconcile
from app.core.sorting import natural
from app.services import characteristics_memo, mlx_signals, weight_count
from app.services.cache_layout import (
    MODEL_PREFIX,
    OPEN_FLAGS,
    STANDARD_LINK,
    STANDARD_LINK_LEN,
    blobs_prefix,
    cache_prefixes,
    entry_kind,
    is_model_entry,
    isabs,
    newest_snapshot,
    printable,
    read_refs,
    read_upto,
    reason,
    repo_id_from_folder,
    short,
)
from app.services.cache_sizes import Sizes, measure

log = logging.getLogger(__name__)


def default_cache_dir() -> str:
    """The hub cache folder, read from the environment now.

    Mirrors `huggingface_hub.constants.HF_HUB_CACHE` (HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then
    HF_HOME/hub, then $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub, with `~` and
    `$VARS` expanded). Those constants are frozen when huggingface_hub is imported, and importing it costs
    a third of a second; this reads the same variables at call time instead.
    """
    # Same precedence and expansion as huggingface_hub, including that a variable set to "" counts as set.
    env = os.environ
    xdg = env.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache"))
    home = os.path.expandvars(os.path.expanduser(env.get("HF_HOME", os.path.join(xdg, "huggingface"))))
    legacy = env.get("HUGGINGFACE_HUB_CACHE", os.path.join(home, "hub"))
    return os.path.expandvars(os.path.expanduser(env.get("HF_HUB_CACHE", legacy)))


@dataclass(frozen=True)
class LocalModel:
    """One model repo in the cache, as far as it could be read.

    `refs` holds the refs other than main (e.g. {"refs/pr/1": "<commit>"}); `revision` is the commit
    `refs/main` points to, or the newest snapshot's when there is no main. Paths are `str`.
    `size_on_disk`, `last_modified` and `last_accessed` are None until `fill_sizes` has run
    (`sizes_known`); `incomplete` is only known then too.
    """

    id: str
    repo_path: str
    revision: str | None = None
    refs: Mapping[str, str] = field(default_factory=dict)
    snapshot_path: str | None = None
    size_on_disk: int | None = None
    last_modified: datetime | None = None
    last_accessed: datetime | None = None
    is_mlx: bool = False
    mlx_signal: str | None = None
    incomplete: bool = False
    incomplete_files: int = 0
    problems: tuple[str, ...] = ()
    characteristics: ModelCharacteristics | None = None
    config_error: str | None = None
    sizes_known: bool = False
    # Problems found by fill_sizes, kept apart so filling twice does not repeat them.
    size_problems: tuple[str, ...] = ()
    # Known by its folder name only: the launch reads it after the first screen (see scan_first_pass_in_steps).
    pending: bool = False

    @property
    def problem(self) -> str | None:
        """Everything wrong with this repo, as one sentence a person can act on (None when healthy)."""
        every = self.problems + self.size_problems
        return "; ".join(every) if every else None

    @property
    def author(self) -> str:
        return author_of(self.id)

    @property
    def name(self) -> str:
        return name_of(self.id)

    def to_model_entry(self) -> ModelEntry:
        """The card's view of this model: every known characteristic comes from its own config.json."""
        c = self.characteristics
        provenance: tuple[tuple[str, Tier], ...] = ()
        if c is not None:
            provenance = tuple((name, Tier.CONFIG) for name in c.known_fields())
        if self.pending:
            status, error = ConfigStatus.PENDING, None
        elif c is not None:
            status, error = ConfigStatus.OK, None
        else:
            status, error = ConfigStatus.UNAVAILABLE, self.config_error or self.problem or "no config.json"
        return ModelEntry(
            id=self.id,
            source=Source.LOCAL,
            characteristics=c,
            provenance=provenance,
            config_status=status,
            config_error=error,
            last_modified=self.last_modified,
            size_on_disk=self.size_on_disk,
            last_accessed=self.last_accessed,
            is_mlx=None if self.pending else self.is_mlx,  # not known before its config and README are read
            problem=self.problem,
            extra=(("revision", self.revision), ("snapshot_path", self.snapshot_path),
                   ("mlx_signal", self.mlx_signal), ("incomplete", self.incomplete)),
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The `scan --json` object (keys documented in app/commands/scan.py). Paths in it are for reading:
        undecodable bytes show as U+FFFD; use `snapshot_path` itself for file access."""
        return {
            "id": self.id,
            "revision": self.revision,
            "refs": dict(self.refs),
            "snapshot_path": printable(self.snapshot_path),
            "size_on_disk": self.size_on_disk,
            "last_modified": _iso(self.last_modified),
            "last_accessed": _iso(self.last_accessed),
            "is_mlx": self.is_mlx,
            "mlx_signal": self.mlx_signal,
            "incomplete": self.incomplete,
            "problem": printable(self.problem),
            "characteristics": None if self.characteristics is None else self.characteristics.to_dict(),
        }


JSON_KEYS = (
    "id", "revision", "refs", "snapshot_path", "size_on_disk", "last_modified", "last_accessed",
    "is_mlx", "mlx_signal", "incomplete", "problem", "characteristics",
)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# --- the first pass ---------------------------------------------------------------------------------


def scan_first_pass(cache_dir: str | os.PathLike[str] | None = None) -> list[LocalModel]:
    """Every model repo in the cache, sorted by id, without sizes. A missing cache is an empty list."""
    root = _root(cache_dir)
    try:
        with os.scandir(root) as it:
            entries = list(it)
    except OSError:
        return []
    memo = characteristics_memo.shared()
    scanner = _Scanner(root, memo)
    models = [scanner.safe_repo(entry) for entry in entries if is_model_entry(entry.name)]
    models.sort(key=lambda m: (m.id.lower(), m.id))
    if memo is not None:
        memo.flush()
    return models


FIRST_SCREEN = 32  # cards read first, from each end of each order the list can start in: a tall screen and more


def scan_first_pass_in_steps(
    cache_dir: str | os.PathLike[str] | None = None, *, first: int = FIRST_SCREEN
) -> Iterator[list[LocalModel]]:
    """The first pass in two answers, both every repo sorted by id as `scan_first_pass` gives them.

    The first has read only the repos a first screen can show before sizes are known (the first and last
    `first` in name order and in id order: My Models sorted by name either way, or by size or last used
    with no sizes yet); every other repo is known by its folder name only (`pending`). On a first launch
    reading a config costs ~0.25 ms, so thousands would hold the window back. The second has read them all.
    """
    root = _root(cache_dir)
    try:
        with os.scandir(root) as it:
            entries = [entry for entry in it if is_model_entry(entry.name)]
    except OSError:
        yield []
        return
    ids = [repo_id_from_folder(entry.name) for entry in entries]
    order = sorted(range(len(ids)), key=lambda i: (ids[i].lower(), ids[i]))
    entries = [entries[i] for i in order]
    ids = [ids[i] for i in order]
    memo = characteristics_memo.shared()
    scanner = _Scanner(root, memo)
    read = {i: scanner.safe_repo(entries[i]) for i in _first_screen(ids, first)}
    yield [read.get(i) or LocalModel(id=ids[i], repo_path=entries[i].path, pending=True) for i in range(len(ids))]
    models = [read.get(i) or scanner.safe_repo(entries[i]) for i in range(len(ids))]
    if memo is not None:
        memo.flush()
    yield models


def _first_screen(ids: Sequence[str], first: int) -> set[int]:
    by_name = sorted(range(len(ids)), key=lambda i: (natural(name_of(ids[i])), natural(ids[i])))
    by_id = sorted(range(len(ids)), key=lambda i: natural(ids[i]))
    return {*by_name[:first], *by_name[-first:], *by_id[:first], *by_id[-first:]} if first > 0 else set()


def _root(cache_dir: str | os.PathLike[str] | None) -> str:
    path = default_cache_dir() if cache_dir is None else os.fspath(cache_dir)
    return os.path.abspath(path)


class _Scanner:
    """Reads one cache; holds the root in the forms needed to tell inside from outside."""

    def __init__(self, root: str, memo: characteristics_memo.CharacteristicsMemo | None = None) -> None:
        self.root = root
        self.prefixes = cache_prefixes(root)
        self.memo = memo

    def inside(self, path: str) -> bool:
        return path.startswith(self.prefixes)

    def safe_repo(self, entry: os.DirEntry[str]) -> LocalModel:
        try:
            return self.repo(entry)
        except Exception as exc:  # one odd repo must not hide the others
            # The repo carries the sentence; the traceback is for whoever debugs the reader.
            log.debug("reading %s failed", entry.path, exc_info=True)
            return LocalModel(id=repo_id_from_folder(entry.name), repo_path=entry.path,
                              problems=(f"could not be read ({type(exc).__name__}: {exc})",))

    def repo(self, entry: os.DirEntry[str]) -> LocalModel:
        name = entry.name
        repo_id = repo_id_from_folder(name)
        path = entry.path
        problems: list[str] = []
        if not repo_id.replace("/", ""):
            problems.append(f"the folder name {name!r} holds no model id")
        if repo_id != name[len(MODEL_PREFIX):].replace("--", "/"):
            problems.append("the folder name is not valid UTF-8 (bad bytes are shown as \ufffd)")
        try:
            if entry.is_symlink():
                target = os.path.realpath(path)
                if not self.inside(target + os.sep):
                    problems.append(f"the repo folder is a link to {target}, outside the cache; not followed")
                    return LocalModel(id=repo_id, repo_path=path, problems=tuple(problems))
            if not entry.is_dir():
                problems.append(f"{name} is a file, not a folder")
                return LocalModel(id=repo_id, repo_path=path, problems=tuple(problems))
        except OSError as exc:
            problems.append(f"the repo folder cannot be read ({reason(exc)})")
            return LocalModel(id=repo_id, repo_path=path, problems=tuple(problems))
        return self._read_repo(repo_id, path, problems)

    def _read_repo(self, repo_id: str, path: str, problems: list[str]) -> LocalModel:
        # Two lstats rather than listing the repo folder: cheaper, and they tell a link from a folder.
        refs_kind = entry_kind(path + os.sep + "refs")
        snapshots_kind = entry_kind(path + os.sep + "snapshots")
        if refs_kind == "unreadable" or snapshots_kind == "unreadable":
            problems.append("the repo folder cannot be read (permission denied)")
            return LocalModel(id=repo_id, repo_path=path, problems=tuple(problems))
        refs = read_refs(path, refs_kind, problems)
        main = refs.pop("main", None)
        snapshots = path + os.sep + "snapshots"
        revision: str | None = None
        snapshot: str | None = None
        if snapshots_kind is None:
            problems.append("no snapshots/ folder: nothing of this model has been downloaded")
        elif snapshots_kind == "link":
            problems.append("snapshots/ is a link; not followed")
        elif snapshots_kind != "dir":
            problems.append("snapshots/ is a file, not a folder")
        elif main is not None:
            revision = main
            snapshot = self._snapshot_dir(snapshots, main, "refs/main", problems)
        else:
            revision, snapshot = newest_snapshot(snapshots, problems)
            if revision is None and not problems:
                problems.append("no snapshot downloaded (snapshots/ is empty)")
        if snapshot is None and main is not None:
            revision = main
        characteristics: ModelCharacteristics | None = None
        config_error: str | None = None
        signal: str | None = None
        if snapshot is not None:
            blobs = blobs_prefix(path, self.prefixes, problems)
            characteristics, signal, config_error = self._config(snapshot, problems, blobs)
            if characteristics is not None:
                characteristics = reconcile(characteristics, name=repo_id)  # a name contradicting the size
            if signal is None:
                signal = self._readme_signal(snapshot, problems, blobs)
        if signal is None:
            signal = mlx_signals.publisher_signal(repo_id)
        return LocalModel(
            id=repo_id,
            repo_path=path,
            revision=revision,
            refs=refs,
            snapshot_path=snapshot,
            is_mlx=signal is not None,
            mlx_signal=signal,
            problems=tuple(problems),
            characteristics=characteristics,
            config_error=config_error,
        )

    def _snapshot_dir(self, snapshots: str, commit: str, ref: str, problems: list[str]) -> str | None:
        snap = snapshots + os.sep + commit
        try:
            st = os.lstat(snap)
        except FileNotFoundError:
            problems.append(f"{ref} points to commit {short(commit)} which is not in snapshots/")
            return None
        except OSError as exc:
            problems.append(f"snapshot {short(commit)} cannot be read ({reason(exc)})")
            return None
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(snap)
            if not self.inside(target + os.sep):
                problems.append(
                    f"snapshot {short(commit)} is a link to {target}, outside the cache; not followed"
                )
                return None
        elif not stat.S_ISDIR(st.st_mode):
            problems.append(f"snapshot {short(commit)} is a file, not a folder")
            return None
        return snap

    def _locate(
        self, folder: str, name: str, problems: list[str], blobs: str | None
    ) -> tuple[str, os.stat_result] | str:
        """Where the bytes of a file at the top of a snapshot are, vetted: (path, lstat) or an error.

        `blobs` is the repo's blobs folder + separator, or None when that folder may not be followed.
        A missing file is the error "no <name> in the snapshot" and adds no problem; anything broken
        adds a problem sentence.
        """
        path = folder + os.sep + name
        try:
            link = os.readlink(path)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return f"no {name} in the snapshot"
            if exc.errno != errno.EINVAL:  # EINVAL: a real file (a Windows-style copy)
                problems.append(f"{name} cannot be read ({reason(exc)})")
                return f"cannot be read ({reason(exc)})"
            target = path
        else:
            if link.startswith(STANDARD_LINK) and link[STANDARD_LINK_LEN:].isalnum():
                if blobs is None:  # blobs/ itself leads outside; already reported
                    return "links outside the cache"
                target = blobs + link[STANDARD_LINK_LEN:]
            else:
                # Not the usual layout: resolve every link on the way before deciding.
                target = os.path.realpath(link if isabs(link) else folder + os.sep + link)
                if not self.inside(target):
                    problems.append(f"{name} links to {target}, outside the cache; not followed")
                    return "links outside the cache"
        try:
            st = os.lstat(target)
            if stat.S_ISLNK(st.st_mode):
                # The blob is itself a link: the 2.x shared blob store. Follow it only if it stays inside.
                real = os.path.realpath(target)
                if not self.inside(real):
                    problems.append(f"{name} links to {real}, outside the cache; not followed")
                    return "links outside the cache"
                target, st = real, os.stat(real)
        except FileNotFoundError:
            problems.append(f"{name} is a broken link: its blob is missing from blobs/")
            return "broken link: the blob is missing"
        except OSError as exc:
            problems.append(f"{name} cannot be read ({reason(exc)})")
            return f"cannot be read ({reason(exc)})"
        if stat.S_ISDIR(st.st_mode):
            problems.append(f"{name} is a folder, not a file")
            return "is a folder, not a file"
        if not stat.S_ISREG(st.st_mode):
            problems.append(f"{name} is not a regular file")
            return "not a regular file"
        return target, st

    @staticmethod
    def _read_located(target: str, size: int, name: str, problems: list[str]) -> bytes | str:
        """Up to `size` bytes of a vetted file, or an error (and a problem sentence)."""
        try:
            # O_NOFOLLOW: had the file been swapped for a link since it was vetted, this fails.
            fd = _open_without_touching(target)
        except OSError as exc:
            problems.append(f"{name} cannot be read ({reason(exc)})")
            return f"cannot be read ({reason(exc)})"
        try:
            return read_upto(fd, size)
        except OSError as exc:
            problems.append(f"{name} cannot be read ({reason(exc)})")
            return f"cannot be read ({reason(exc)})"
        finally:
            os.close(fd)

    def _config(
        self, snapshot: str, problems: list[str], blobs: str | None
    ) -> tuple[ModelCharacteristics | None, str | None, str | None]:
        """(characteristics, MLX signal from the config, config error) of a snapshot's config.json."""
        located = self._locate(snapshot, "config.json", problems, blobs)
        if isinstance(located, str):
            return None, None, located
        target, st = located
        # Keyed by where the blob is and its size and mtime: a rescan neither reads nor parses an unchanged
        # config, and a config edited in place gets a new key.
        key = (target, st.st_size, st.st_mtime_ns)
        hit = _CONFIG_MEMO.get(key)
        if hit is not None:
            return hit[0], hit[1], None
        # Blobs are named by their content's hash: what the engine made of one holds across launches.
        lasting = None
        if self.memo is not None and blobs is not None and target.startswith(blobs):
            lasting = f"{target[len(blobs):]}:{st.st_size}:{st.st_mtime_ns}"
            remembered = self.memo.get(lasting)
            if remembered is not None:
                _remember(_CONFIG_MEMO, key, remembered)
                return remembered[0], remembered[1], None
        if st.st_size > MAX_CONFIG_BYTES:
            error = f"too large ({st.st_size:,} bytes; a config is at most {MAX_CONFIG_BYTES:,})"
            problems.append(_config_sentence(error))
            return None, None, error
        data = self._read_located(target, st.st_size, "config.json", problems)
        if isinstance(data, str):
            return None, None, data
        try:
            config = parse_config_object(data)
        except ConfigError as exc:
            problems.append(_config_sentence(str(exc)))
            return None, None, str(exc)
        found = (extract_characteristics(config), mlx_signals.config_signal(config))
        _remember(_CONFIG_MEMO, key, found)
        if lasting is not None and self.memo is not None:
            self.memo.put(lasting, *found)
        return found[0], found[1], None

    def _readme_signal(self, snapshot: str, problems: list[str], blobs: str | None) -> str | None:
        located = self._locate(snapshot, "README.md", problems, blobs)
        if isinstance(located, str):
            return None
        target, st = located
        key = (target, st.st_size, st.st_mtime_ns)
        if key in _README_MEMO:
            return _README_MEMO[key]
        lasting = None
        if self.memo is not None and blobs is not None and target.startswith(blobs):
            lasting = f"{target[len(blobs):]}:{st.st_size}:{st.st_mtime_ns}"
            remembered = self.memo.get_signal(lasting)
            if remembered is not None:
                _remember(_README_MEMO, key, remembered[0])
                return remembered[0]
        size = min(st.st_size, mlx_signals.README_HEAD_BYTES)
        head = self._read_located(target, size, "README.md", problems)
        if isinstance(head, str):
            return None
        signal = mlx_signals.readme_signal(head)
        _remember(_README_MEMO, key, signal)
        if lasting is not None and self.memo is not None:
            self.memo.put_signal(lasting, signal)
        return signal


def _open_without_touching(path: str) -> int:
    """Open for reading without updating the access time where the OS allows it: "last used" is the
    blobs' access time, and our own scan reading config.json must not make every model look used today."""
    if _NOATIME:
        try:
            return os.open(path, OPEN_FLAGS | _NOATIME)
        except PermissionError:
            pass  # O_NOATIME needs the file's owner (or root); read normally then
    return os.open(path, OPEN_FLAGS)


_NOATIME = getattr(os, "O_NOATIME", 0)
_MemoKey = tuple[str, int, int]
_CONFIG_MEMO: dict[_MemoKey, tuple[ModelCharacteristics, str | None]] = {}
_README_MEMO: dict[_MemoKey, str | None] = {}


def _remember(memo: dict[_MemoKey, Any], key: _MemoKey, value: Any) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()  # crude, but a cache this size is rare and a full rescan is cheap
    memo[key] = value


_MEMO_LIMIT = 8192


def clear_memo(*, lasting: bool = False) -> None:
    """Forget what earlier scans read in this process (a relaunch); `lasting` also empties the memo kept
    across launches (a first launch). Benchmarks measure both."""
    _CONFIG_MEMO.clear()
    _README_MEMO.clear()
    if lasting:
        memo = characteristics_memo.shared()
        if memo is not None:
            memo.clear()
    characteristics_memo.forget_shared()  # the next scan loads the lasting memo afresh, as a new process would


def _config_sentence(error: str) -> str:
    if error == "empty file":
        return "config.json is empty"
    return f"config.json is {error}"


# --- sizes and times --------------------------------------------------------------------------------


def fill_sizes(
    models: Iterable[LocalModel], cache_dir: str | os.PathLike[str] | None = None
) -> list[LocalModel]:
    """The same models with size on disk, last modified/accessed and partial downloads filled in.

    `cache_dir` bounds what may be followed; by default it is each model's parent folder.
    """
    result: list[LocalModel] = []
    for model, prefixes in _with_prefixes(models, cache_dir):
        try:
            result.append(_sized(model, measure(model.repo_path, prefixes)))
        except Exception as exc:  # one odd repo must not hide the others
            log.debug("measuring %s failed", model.repo_path, exc_info=True)
            problem = f"size could not be measured ({type(exc).__name__}: {exc})"
            result.append(replace(model, sizes_known=True, size_problems=(problem,)))
    return result


def fill_weights(
    models: Iterable[LocalModel], cache_dir: str | os.PathLike[str] | None = None
) -> list[LocalModel]:
    """The same models with the parameter count read from their weight files' headers where they can all be
    read (measured beats estimated). A pass of its own, after the sizes: those are what a person waits for."""
    result: list[LocalModel] = []
    for model, prefixes in _with_prefixes(models, cache_dir):
        try:
            result.append(_measured(model, prefixes))
        except Exception:
            log.debug("counting the weights of %s failed", model.repo_path, exc_info=True)
            result.append(model)
    return result


def _with_prefixes(
    models: Iterable[LocalModel], cache_dir: str | os.PathLike[str] | None
) -> Iterator[tuple[LocalModel, tuple[str, ...]]]:
    """Each model with the folders its links may lead into (its cache root's, computed once per root)."""
    prefixes_by_root: dict[str, tuple[str, ...]] = {}
    for model in models:
        root = _root(cache_dir) if cache_dir is not None else os.path.dirname(model.repo_path)
        prefixes = prefixes_by_root.get(root)
        if prefixes is None:
            prefixes = prefixes_by_root[root] = cache_prefixes(root)
        yield model, prefixes


def scan_full(cache_dir: str | os.PathLike[str] | None = None) -> list[LocalModel]:
    """The first pass and the sizes, in one call."""
    root = _root(cache_dir)
    return fill_sizes(scan_first_pass(root), root)


async def scan_first_pass_async(cache_dir: str | os.PathLike[str] | None = None) -> list[LocalModel]:
    import asyncio  # here, not at the top: the launch's first pass runs before anything needs asyncio

    return await asyncio.to_thread(scan_first_pass, cache_dir)


async def fill_weights_async(
    models: Sequence[LocalModel], cache_dir: str | os.PathLike[str] | None = None
) -> list[LocalModel]:
    import asyncio

    return await asyncio.to_thread(fill_weights, list(models), cache_dir)


async def fill_sizes_async(
    models: Sequence[LocalModel], cache_dir: str | os.PathLike[str] | None = None
) -> list[LocalModel]:
    import asyncio

    return await asyncio.to_thread(fill_sizes, list(models), cache_dir)


def _sized(model: LocalModel, sizes: Sizes) -> LocalModel:
    return _with(
        model,
        size_on_disk=sizes.size_on_disk,
        last_modified=_utc(sizes.last_modified),
        last_accessed=_utc(sizes.last_accessed),
        incomplete=sizes.incomplete_files > 0,
        incomplete_files=sizes.incomplete_files,
        size_problems=sizes.problems,
        sizes_known=True,
    )


def _measured(model: LocalModel, prefixes: tuple[str, ...]) -> LocalModel:
    """Measured beats estimated: the parameter count from the weight files' headers, when they can be read."""
    c = model.characteristics
    if c is None or model.snapshot_path is None or model.incomplete:
        return model
    counted = weight_count.count_snapshot(model.snapshot_path, c, opener=_open_without_touching,
                                          inside=lambda path: (path + os.sep).startswith(prefixes))
    if counted is None:
        return model
    return _with(model, characteristics=reconcile(c, measured=counted, name=model.id))


def _with(model: LocalModel, **changes: Any) -> LocalModel:
    """`dataclasses.replace` without its per-call introspection (it cost more than the stats of a repo)."""
    copy = object.__new__(LocalModel)
    copy.__dict__.update(model.__dict__)
    copy.__dict__.update(changes)
    return copy


def _utc(ts: float) -> datetime | None:
    if ts <= 0:
        return None
    try:
        return datetime.fromtimestamp(ts, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- change detection -------------------------------------------------------------------------------


def cache_signature(cache_dir: str | os.PathLike[str] | None = None) -> tuple[object, ...]:
    """A cheap fingerprint of the cache: equal signatures mean no repo was added, removed, re-pointed
    or finished downloading, and no config.json was edited. From the mtimes of the top level and, per
    repo, of its folder, refs/, refs/main, snapshots/ and blobs/ (a finished download renames a blob,
    touching blobs/), plus the mtime and size of each snapshot's config.json (see `config_stats`)."""
    root = _root(cache_dir)
    try:
        top = os.stat(root).st_mtime_ns
        entries = sorted(name for name in os.listdir(root) if is_model_entry(name))
    except OSError:
        return ("missing", root)
    parts: list[object] = [root, top]
    for name in entries:
        base = root + os.sep + name + os.sep
        parts.append((name, *(_mtime_ns(base + sub) for sub in _SIGNATURE_PARTS), config_stats(base + "snapshots")))
    return tuple(parts)


def config_stats(snapshots: str) -> tuple[tuple[str, int, int], ...]:
    """(revision, mtime, size) of each snapshot's config.json, through its link to the blob.

    A config edited in place touches no folder the rest of the signature reads: written through the link
    it changes the blob, replaced by a plain file it changes only snapshots/<rev>/. One listdir and one
    stat per revision (a repo usually has one), -1 when there is no file."""
    try:
        revisions = sorted(os.listdir(snapshots))
    except OSError:
        return ()
    found: list[tuple[str, int, int]] = []
    for rev in revisions:
        try:
            st = os.stat(snapshots + os.sep + rev + os.sep + "config.json")
        except OSError:
            found.append((rev, -1, -1))
        else:
            found.append((rev, st.st_mtime_ns, st.st_size))
    return tuple(found)


_SIGNATURE_PARTS = ("", "refs", "refs/main", "snapshots", "blobs")


def _mtime_ns(path: str) -> int:
    try:
        return os.lstat(path).st_mtime_ns
    except OSError:
        return -1

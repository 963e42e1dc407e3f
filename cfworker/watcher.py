"""Watch a Worker's source tree: what to watch, which changes count, debounced batches (I/O).

Shared by the redeploy loop (`cfworker.watch`) and any other rebuild-on-save loop:
  * `targets_for()` says what a project's session observes: the entry's folder and the
    `[build] watch_dir` folders with all their subfolders, imported files outside them, and
    worker.toml; the bundle output folder, node_modules, VCS folders and editor files never count.
  * `classify()` turns raw `(kind, path)` events into one `ChangeSet` or None.
  * `ChangeFeed` runs a `Watcher` (watchfiles in a thread by default) and returns coalesced
    ChangeSets from `wait(timeout)`; everything that happened while the caller was busy comes
    back as one set. `stamps()`/`changed_since()` let a caller see files that changed mid-build.
Folders are watched one by one (not recursively), so node_modules is never walked; a new
subfolder re-arms the watcher and its files count as added.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cfworker.config.model import Project

log = logging.getLogger(__name__)

# watchfiles yields a batch once no new event arrived for STEP_MS (the quiet gap), or after
# DEBOUNCE_MS of continuous events. One editor save is a burst of 1-5 events within ~6 ms (vim
# measured: swap file, then the file), so a 20 ms gap groups a save into one batch while a single
# write reaches us ~30 ms after it hit the disk; the 200 ms cap only matters for long bursts such
# as `git checkout`. Saves that land while a build or deploy runs are coalesced by ChangeFeed.
DEBOUNCE_MS = 200
STEP_MS = 20

ADDED, MODIFIED, DELETED = 1, 2, 3  # the values of watchfiles.Change
RawChange = tuple[int, str]
Stamp = tuple[int, int] | None  # (mtime_ns, size), or None when the file does not exist
# A file modified this shortly before a snapshot may change again within the same timestamp
# tick (1-10 ms on Linux) without its stamp changing (git's "racily clean" problem). Such
# entries are recorded as RACY, which equals no real stamp: the file counts as changed.
RACY_NS = 20_000_000
RACY: Stamp = (-1, -1)

IGNORED_DIRS = frozenset({
    "node_modules", ".git", ".hg", ".svn", ".wrangler", ".cfworker", "__pycache__", ".venv", ".idea",
    ".vscode", ".cache", ".mypy_cache", ".pytest_cache", ".turbo", "coverage",
})
# Editor swap, backup, lock and safe-write temporaries: vim .swp/.swx/~ and its 4913 probe,
# emacs .#lock and #autosave#, JetBrains ___jb_tmp___, gedit .goutputstream-, Kate .kate-swp.
_EDITOR_FILE = re.compile(
    r"(\.sw.|~|\.kate-swp|\.crswap|\.tmp|___jb_(tmp|old|bak)___)$"
    r"|^(\.#|#.*#$|\.goutputstream-|flycheck_|\.DS_Store$|Thumbs\.db$)"
)


def is_editor_file(name: str) -> bool:
    """True for editor swap/backup/temporary files (a file *name*, not a path)."""
    if name.isdigit() and int(name) >= 4913 and (int(name) - 4913) % 123 == 0:
        return True  # vim writes 4913 (then 5036, ...) to test whether it may create files
    return bool(_EDITOR_FILE.search(name))


@dataclass(frozen=True, slots=True)
class WatchTargets:
    """What one watch session observes (see `targets_for`)."""

    config_path: Path
    trees: tuple[Path, ...] = ()  # folders watched with every subfolder
    files: frozenset[Path] = frozenset()  # single files outside the trees (imports, watch_dir files)
    ignored: tuple[Path, ...] = ()  # folders whose changes never count (the bundle output)

    def is_ignored(self, path: Path) -> bool:
        """True for paths no change of which should trigger anything.

        Folder names are checked below the tree (or worker.toml's folder) the path is in, so a
        project that itself lives under, say, ~/.cache is still watched.
        """
        if is_editor_file(path.name) or any(_under(path, folder) for folder in self.ignored):
            return True
        base = next((b for b in (*self.trees, self.config_path.parent) if _under(path, b)), None)
        inner = path.relative_to(base).parts if base is not None else (path.name,)
        return any(part in IGNORED_DIRS for part in inner)

    def describe(self, root: Path) -> str:
        """`src/, worker.toml` for the "watching ..." line."""
        shown = [_show(t, root) + "/" for t in self.trees] + [_show(f, root) for f in sorted(self.files)]
        return ", ".join([*dict.fromkeys(shown), _show(self.config_path, root)])


def targets_for(config_path: Path, project: Project | None = None, inputs: Iterable[Path] = (),
                outdir: Path | None = None) -> WatchTargets:
    """The targets of a session: only worker.toml while the project does not load.

    `inputs` are the files the last build read (`Bundle.inputs`); those under node_modules or
    already inside a tree are covered otherwise (dependencies change through npm, not saves).
    """
    config_path = _real(config_path)
    if project is None:
        return WatchTargets(config_path)
    out = _real(outdir or project.root / "dist")
    trees: list[Path] = [_real(project.main.parent)] if project.main is not None else []
    if project.assets is not None:  # a changed file in the folder is a new deploy of the assets
        trees.append(_real(project.assets.directory))
    files: set[Path] = set()
    for extra in map(_real, project.build.watch_dirs):
        if extra.is_file():
            files.add(extra)
        else:
            trees.append(extra)
    trees = [t for t in dict.fromkeys(trees) if not any(_under(t, o) and t != o for o in trees)]
    for path in map(_real, inputs):
        if "node_modules" not in path.parts and not any(_under(path, t) for t in trees):
            files.add(path)
    files.discard(config_path)
    # The bundle's own output is ignored, unless it is where the assets are (an assets-only
    # Worker writes no bundle, and a site in dist/ is the thing to watch).
    ignored = () if project.main is None or (project.assets is not None and _under(
        _real(project.assets.directory), out)) else (out,)
    return WatchTargets(config_path, tuple(trees), frozenset(files), ignored)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Changes that matter, merged over one or more batches."""

    config: bool = False  # worker.toml changed (reload it and replan everything)
    paths: tuple[Path, ...] = ()  # changed source files, sorted

    def __bool__(self) -> bool:
        return self.config or bool(self.paths)

    def merge(self, other: ChangeSet | None) -> ChangeSet:
        """Both change sets as one."""
        if other is None:
            return self
        return ChangeSet(self.config or other.config, tuple(sorted({*self.paths, *other.paths})))

    def describe(self, root: Path, config_path: Path | None = None) -> str:
        """`src/index.js`, `worker.toml and src/a.js`, `src/a.js and 3 more` (for one-line reports)."""
        names = ([_show(config_path, root) if config_path else "worker.toml"] if self.config else [])
        names += [_show(p, root) for p in self.paths]
        if len(names) <= 2:
            return " and ".join(names) or "nothing"
        return f"{names[0]} and {len(names) - 1} more"


def classify(raw: Iterable[RawChange], targets: WatchTargets) -> ChangeSet | None:
    """The ChangeSet a batch of raw watcher events amounts to, or None when nothing counts."""
    config = False
    paths: set[Path] = set()
    for _kind, name in raw:
        path = _real(Path(name))
        if path == targets.config_path:
            config = True
        elif targets.is_ignored(path):
            continue
        elif path in targets.files or any(_under(path, tree) for tree in targets.trees):
            paths.add(path)
    change = ChangeSet(config, tuple(sorted(paths)))
    return change if change else None


def folders_to_watch(targets: WatchTargets) -> tuple[Path, ...]:
    """Every existing folder the targets need, walked here so ignored folders are never entered."""
    found: dict[Path, None] = {}
    for tree in targets.trees:
        for folder, subdirs, _files in os.walk(tree):
            here = Path(folder)
            if targets.is_ignored(here):
                subdirs[:] = []
                continue
            found[here] = None
            subdirs[:] = sorted(d for d in subdirs if d not in IGNORED_DIRS and not d.startswith("."))
    for path in (targets.config_path, *sorted(targets.files)):
        if path.parent.is_dir():
            found.setdefault(path.parent)
    return tuple(found)


def stamp(path: Path) -> Stamp:
    """(mtime_ns, size) of a file, or None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def stamps(paths: Iterable[Path]) -> dict[Path, Stamp]:
    """A snapshot of many files (before a build, to see what changed while it ran); see RACY."""
    now = time.time_ns()
    return {p: _settle(stamp(p), now) for p in paths}


def _settle(value: Stamp, now: int) -> Stamp:
    return RACY if value is not None and now - value[0] < RACY_NS else value


def changed_since(before: Mapping[Path, Stamp]) -> list[Path]:
    """The files whose stamp differs now (changed, created or deleted since `before`)."""
    return [p for p, old in before.items() if stamp(p) != old]


def unsettled(change: ChangeSet, settled: Mapping[Path, Stamp], config_path: Path | None = None) -> ChangeSet | None:
    """`change` without the files that still look as they did in `settled` (a snapshot taken
    after the last build): duplicate events, and files the build itself wrote, do not count."""
    paths = tuple(p for p in change.paths if p not in settled or stamp(p) != settled[p])
    config = change.config and (config_path is None or config_path not in settled
                                or stamp(config_path) != settled[config_path])
    rest = ChangeSet(config, paths)
    return rest if rest else None


# -- watchers ---------------------------------------------------------------------------------
class ChangeSource(Protocol):
    """A running watcher over fixed folders."""

    def get(self, timeout: float | None) -> set[RawChange] | None:
        """Every batch since the last call, merged; None after `timeout` s or once stopped
        (with timeout=None, None means the watcher ended: it is re-armed)."""

    def close(self) -> None:
        """Stop watching."""


Watcher = Callable[[Sequence[Path], threading.Event], ChangeSource]


def watchfiles_watcher(debounce_ms: int = DEBOUNCE_MS, step_ms: int = STEP_MS) -> Watcher:
    """The real Watcher: watchfiles in a thread (cfworker.fswatch), with the debounce above."""
    from cfworker.fswatch import WatchfilesWatcher

    return WatchfilesWatcher(debounce_ms, step_ms)


@dataclass
class ChangeFeed:
    """Coalesced, classified changes for the current targets; `retarget()` when they change."""

    targets: WatchTargets
    watcher: Watcher = field(default_factory=watchfiles_watcher)
    stop: threading.Event = field(default_factory=threading.Event)
    _source: ChangeSource | None = field(default=None, init=False)
    _folders: tuple[Path, ...] = field(default=(), init=False)
    _carry: set[RawChange] = field(default_factory=set, init=False)  # left over by a replaced watcher

    @property
    def folders(self) -> tuple[Path, ...]:
        """The folders being watched now."""
        return self._folders

    def snapshot(self, extra: Iterable[Path] = ()) -> dict[Path, Stamp]:
        """Stamps of every file in the watched folders, plus `extra` (see `unsettled`)."""
        found: dict[Path, Stamp] = {}
        now = time.time_ns()
        for folder in self._folders or folders_to_watch(self.targets):
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                path = Path(entry.path)
                if entry.is_file() and not self.targets.is_ignored(path):
                    found[path] = _settle(stamp(path), now)
        for path in extra:
            found[_real(path)] = _settle(stamp(path), now)
        return found

    def start(self) -> None:
        """Start watching now (before the first build, so no save is missed)."""
        if self._source is None:
            self._arm(folders_to_watch(self.targets))

    def retarget(self, targets: WatchTargets) -> None:
        """Watch these targets from now on (re-arms the watcher only if the folders differ)."""
        self.targets = targets
        folders = folders_to_watch(targets)
        if self._source is None or folders != self._folders:
            self._arm(folders)

    def wait(self, timeout: float | None = None) -> ChangeSet | None:
        """The next changes that count, all merged; None on timeout or when stopped."""
        self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        failures = 0
        while not self.stop.is_set():
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            assert self._source is not None
            try:
                raw = self._source.get(0 if self._carry else remaining)
            except OSError as exc:  # a watched folder vanished before the watcher started
                failures += 1
                if failures > 2:
                    raise
                log.debug("watcher failed (%s); re-arming", exc)
                self._arm(folders_to_watch(self.targets))
                continue
            if self._carry:
                raw, self._carry = (raw or set()) | self._carry, set()
            if raw is None:
                if self.stop.is_set() or deadline is not None:
                    return None  # stopped, or timed out
                self._arm(folders_to_watch(self.targets))  # the watcher ended on its own
                continue
            change = _without_folders(classify(raw, self.targets))
            new_folders = self._created_folders(raw)
            if new_folders:
                # Re-arm so the new folders are watched, and count the files already in them:
                # they may have been written before the watcher saw the folder.
                self._arm(folders_to_watch(self.targets))
                found = [p for f in new_folders for p in _files_under(f, self.targets)]
                change = ChangeSet(paths=tuple(sorted(found))).merge(change)
            if change:
                return change
        return None

    def close(self) -> None:
        """Stop the watcher."""
        if self._source is not None:
            self._source.close()
            self._source = None

    def _arm(self, folders: tuple[Path, ...]) -> None:
        """Start a watcher on `folders`, then stop the old one and keep what it still held."""
        log.debug("watching %d folder(s): %s", len(folders), ", ".join(map(str, folders)))
        old, self._folders = self._source, folders
        self._source = self.watcher(folders, self.stop)
        if old is not None:
            old.close()
            self._carry |= old.get(0) or set()

    def _created_folders(self, raw: Iterable[RawChange]) -> list[Path]:
        """Folders a batch created (or re-created) inside a tree: they must be (re-)watched."""
        found = []
        for kind, name in raw:
            path = _real(Path(name))
            if (kind == ADDED and any(_under(path, t) for t in self.targets.trees)
                    and not self.targets.is_ignored(path) and path.is_dir()):
                found.append(path)
        return found


def _without_folders(change: ChangeSet | None) -> ChangeSet | None:
    """A folder's own events (created, mtime) are not source changes; its files' events are."""
    if change is None:
        return None
    rest = ChangeSet(change.config, tuple(p for p in change.paths if not p.is_dir()))
    return rest if rest else None


def _files_under(folder: Path, targets: WatchTargets) -> list[Path]:
    """Files in a folder and its subfolders, skipping ignored ones."""
    out = []
    for here, subdirs, files in os.walk(folder):
        subdirs[:] = [d for d in subdirs if d not in IGNORED_DIRS and not d.startswith(".")]
        out += [p for name in files if not targets.is_ignored(p := Path(here) / name)]
    return out


def _real(path: Path) -> Path:
    """The path with symlinks resolved: some platforms report events under the real path."""
    return Path(os.path.realpath(path))


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _show(path: Path, root: Path) -> str:
    for base in (root, _real(root)):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)

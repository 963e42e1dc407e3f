"""The watch core: targets, which changes count, coalescing, new folders, settled snapshots (no real watcher)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import BuildSpec, Project
from cfworker.watcher import (
    ADDED,
    DELETED,
    MODIFIED,
    RACY,
    ChangeFeed,
    ChangeSet,
    WatchTargets,
    classify,
    folders_to_watch,
    is_editor_file,
    stamps,
    targets_for,
    unsettled,
)
from tests.fakes.watcher import FakeWatcher

OLD = 1_600_000_000  # a fixed past mtime: stamps are then never "racy"


def write(path: Path, text: str, *, age: int = 0) -> Path:
    """Write a file and give it an old, distinct mtime (stamps stay deterministic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (OLD + age, OLD + age))
    return path


def project(root: Path, **build: object) -> Project:
    write(root / "worker.toml", 'name = "w"\n')
    write(root / "src" / "index.js", "export default {}\n")
    return Project(config_path=root / "worker.toml", root=root, name="w", main=root / "src" / "index.js",
                   compatibility_date="2025-01-01", build=BuildSpec(**build))  # type: ignore[arg-type]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return Path(os.path.realpath(tmp_path))


@pytest.mark.parametrize("name", [".index.js.swp", ".index.js.swx", "index.js~", ".#index.js", "#index.js#", "4913",
                                  "5036", "index.js___jb_tmp___", ".goutputstream-ABC123", "index.js.tmp", ".DS_Store"])
def test_is_editor_file_swap_backup_and_probe_files(name: str) -> None:
    """Editor swap, backup, lock and safe-write temporaries are recognised."""
    assert is_editor_file(name)


@pytest.mark.parametrize("name", ["index.js", "4914", "banner.txt", "swap.js", "util.ts"])
def test_is_editor_file_real_sources_are_not(name: str) -> None:
    """Ordinary source names (and numbers outside vim's probe sequence) are not editor files."""
    assert not is_editor_file(name)


def test_targets_for_entry_folder_watch_dirs_and_outside_imports(root: Path) -> None:
    """The entry's folder and watch_dir are trees; an import outside them is a file; node_modules is not."""
    shared = write(root / "shared" / "util.js", "")
    extra = write(root / "schema.json", "{}")
    (root / "lib").mkdir()
    p = project(root, watch_dirs=(root / "lib", extra))
    inputs = [root / "src" / "index.js", shared, root / "node_modules" / "x" / "index.js"]
    targets = targets_for(p.config_path, p, inputs)
    assert targets.trees == (root / "src", root / "lib")
    assert targets.files == frozenset({shared, extra})
    assert targets.ignored == (root / "dist",)
    assert targets.describe(root) == "src/, lib/, schema.json, shared/util.js, worker.toml"


def test_targets_for_without_a_project_is_only_worker_toml(root: Path) -> None:
    """While worker.toml does not load, only worker.toml is watched."""
    targets = targets_for(root / "worker.toml")
    assert targets == WatchTargets(root / "worker.toml")


def test_classify_keeps_sources_config_and_drops_noise(root: Path) -> None:
    """Sources and worker.toml count; dist/, node_modules, .git, editor files and strangers do not."""
    p = project(root)
    targets = targets_for(p.config_path, p)
    raw = {(MODIFIED, str(root / "src" / "index.js")), (ADDED, str(root / "src" / ".index.js.swp")),
           (ADDED, str(root / "src" / "4913")), (MODIFIED, str(root / "dist" / "index.js")),
           (MODIFIED, str(root / "src" / "node_modules" / "a.js")), (MODIFIED, str(root / "README.md")),
           (MODIFIED, str(root / "worker.toml")), (DELETED, str(root / "src" / "old.js"))}
    change = classify(raw, targets)
    assert change == ChangeSet(config=True, paths=(root / "src" / "index.js", root / "src" / "old.js"))
    assert change.describe(root, p.config_path) == "worker.toml and 2 more"
    assert classify({(MODIFIED, str(root / "dist" / "meta.json"))}, targets) is None


def test_folders_to_watch_walks_trees_but_never_ignored_folders(root: Path) -> None:
    """Each folder of the trees is listed; node_modules, dist and hidden folders are not entered."""
    p = project(root)
    write(root / "src" / "lib" / "a.js", "")
    write(root / "src" / "node_modules" / "x" / "i.js", "")
    write(root / "src" / ".cache" / "c", "")
    assert folders_to_watch(targets_for(p.config_path, p)) == (root / "src", root / "src" / "lib", root)


def test_feed_coalesces_events_pushed_while_busy_into_one_change(root: Path) -> None:
    """Everything that happened while the caller was busy comes back as one ChangeSet."""
    p = project(root)
    a, b = write(root / "src" / "a.js", ""), write(root / "src" / "b.js", "")
    watcher = FakeWatcher()
    feed = ChangeFeed(targets_for(p.config_path, p), watcher=watcher)
    feed.start()
    watcher.push((MODIFIED, str(a)), (MODIFIED, str(b)), (MODIFIED, str(a)))
    assert feed.wait() == ChangeSet(paths=(a, b))
    assert feed.wait() is None and feed.stop.is_set()  # the script ran out: the session stops


def test_feed_new_folder_rearms_and_counts_files_already_inside(root: Path) -> None:
    """A folder created under a tree is watched from then on, and its files count as added."""
    p = project(root)
    feed_watcher = FakeWatcher()
    feed = ChangeFeed(targets_for(p.config_path, p), watcher=feed_watcher)
    feed.start()
    util = write(root / "src" / "lib" / "util.js", "export const x = 1\n")
    feed_watcher.push((ADDED, str(root / "src" / "lib")))  # the file event came before the watch
    assert feed.wait() == ChangeSet(paths=(util,))
    assert root / "src" / "lib" in feed_watcher.armed[-1]
    assert len(feed_watcher.armed) == 2


def test_feed_timeout_returns_none_without_stopping(root: Path) -> None:
    """A wait with a timeout returns None when nothing counts, and the session goes on."""
    p = project(root)
    watcher = FakeWatcher([None, {(MODIFIED, str(root / "dist" / "index.js"))}])
    feed = ChangeFeed(targets_for(p.config_path, p), watcher=watcher)
    assert feed.wait(timeout=0.0) is None
    assert not feed.stop.is_set()


def test_feed_retarget_rearms_only_when_folders_change(root: Path) -> None:
    """Re-targeting to the same folders keeps the running watcher."""
    p = project(root)
    watcher = FakeWatcher()
    feed = ChangeFeed(targets_for(p.config_path, p), watcher=watcher)
    feed.start()
    feed.retarget(targets_for(p.config_path, p, [root / "src" / "index.js"]))
    assert len(watcher.armed) == 1
    outside = write(root / "shared" / "u.js", "")
    feed.retarget(targets_for(p.config_path, p, [outside]))
    assert len(watcher.armed) == 2 and root / "shared" in watcher.armed[-1]


def test_unsettled_drops_files_unchanged_since_the_snapshot(root: Path) -> None:
    """A duplicate event (the file looks as the last build saw it) does not count; a real edit does."""
    p = project(root)
    feed = ChangeFeed(targets_for(p.config_path, p), watcher=FakeWatcher())
    feed.start()
    index = root / "src" / "index.js"
    settled = feed.snapshot([p.config_path])
    assert unsettled(ChangeSet(True, (index,)), settled, p.config_path) is None
    write(index, "export default { changed: 1 }\n", age=5)
    assert unsettled(ChangeSet(True, (index,)), settled, p.config_path) == ChangeSet(paths=(index,))


def test_stamps_of_files_written_just_now_are_racy(root: Path) -> None:
    """A file modified within the timestamp tick before a snapshot is recorded as RACY (always changed)."""
    fresh = root / "fresh.js"
    fresh.write_text("x")
    old = write(root / "old.js", "x")
    snap = stamps([fresh, old, root / "missing.js"])
    assert snap[fresh] == RACY
    assert snap[old] == (OLD * 10**9, 1)
    assert snap[root / "missing.js"] is None


def test_feed_with_real_watchfiles_sees_a_write(root: Path) -> None:
    """The default watcher (watchfiles in a thread) reports a save and stops on the stop event."""
    p = project(root)
    feed = ChangeFeed(targets_for(p.config_path, p))
    feed.start()
    try:
        index = root / "src" / "index.js"
        change = None
        for attempt in range(50):  # the Rust watcher arms in a thread: write until it sees one
            write(index, f"export default {{ n: {attempt} }}\n", age=attempt + 1)
            change = feed.wait(timeout=0.2)
            if change:
                break
        assert change == ChangeSet(paths=(index,))
        stopper = threading.Timer(0.05, feed.stop.set)
        stopper.start()
        assert feed.wait() is None
    finally:
        feed.close()


def test_bundle_inputs_outside_trees_become_watched_files(root: Path) -> None:
    """Bundle.inputs outside the entry folder are watched one by one (their folder is armed)."""
    p = project(root)
    shared = write(root / "shared" / "strings.txt", "hi")
    bundle = Bundle("index.js", (Module("index.js", b"x", "esm"),), None, root / "dist",
                    inputs=(root / "src" / "index.js", shared))
    targets = targets_for(p.config_path, p, bundle.inputs, bundle.outdir)
    assert shared in targets.files and root / "shared" in folders_to_watch(targets)
    assert classify({(MODIFIED, str(shared)), (MODIFIED, str(root / "shared" / "other.txt"))}, targets) \
        == ChangeSet(paths=(shared,))

"""The dev session with [assets]: a change inside the folder re-reads it without rebuilding the code."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cfworker.assets.manifest import build_manifest
from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import AssetsSpec, Project
from cfworker.dev.config import ASSETS_CONFIG_NAME
from cfworker.dev.session import _only_assets
from cfworker.watcher import ChangeSet
from tests.unit.bundle.helpers import make_project
from tests.unit.dev.test_session import FakeBuilder, session_for


class AssetsBuilder(FakeBuilder):
    def build(self, project: Project, outdir: Path) -> Bundle:
        self.builds.append(outdir)
        assert project.assets is not None
        src = project.root / "src" / "index.js"
        return Bundle("index.js", (Module("index.js", self.code, "esm"),), None, outdir, inputs=(src,),
                      assets=build_manifest(project.assets.directory))


def test_a_change_in_the_assets_folder_rereads_it_without_building(tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_text("one")
    builder = AssetsBuilder(make_project(tmp_path, assets=AssetsSpec(public)))
    session, _ = session_for(tmp_path, builder)
    first = session.prepare(builder.project)
    real = Path(os.path.realpath(public))
    src = Path(os.path.realpath(tmp_path / "src" / "index.js"))
    assert _only_assets(ChangeSet(paths=(real / "index.html", real / "new.txt")), first)
    assert not _only_assets(ChangeSet(paths=(real / "index.html", src)), first)
    assert not _only_assets(ChangeSet(config=True, paths=(real / "index.html",)), first)

    (public / "index.html").write_text("two")
    (public / "_redirects").write_text("/a /b\n")
    second = session.prepare(builder.project, reuse=first.bundle)
    assert len(builder.builds) == 1  # the code was not built again
    assert second.key != first.key
    data = json.loads(second.config.files[ASSETS_CONFIG_NAME])
    assert data["files"]["/index.html"][0] != json.loads(first.config.files[ASSETS_CONFIG_NAME])["files"]["/index.html"][0]
    assert list(data["redirects"]["staticRules"]) == ["/a"]
    assert second.config.notes == ("Parsed 1 valid redirect rule.",)

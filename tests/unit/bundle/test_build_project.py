"""build_project() orchestration with a fake esbuild: command first, errors, modules, stale files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cfworker.bundle import build_project
from cfworker.bundle.runner import RunResult
from cfworker.config.model import BuildSpec, ModuleRule
from cfworker.errors import BundleError
from tests.unit.bundle.helpers import FakeRunner, make_project, ok

MAIN = b'import t from "./hello-AAAA.txt";\nimport w from "./tiny-BBBB.wasm?module";\nexport default { fetch() {} };\n'


def fake_esbuild(
    assets: dict[str, tuple[str, bytes]] | None = None,
    *,
    main: bytes = MAIN,
    exports: tuple[str, ...] = ("default",),
    input_imports: list[dict[str, Any]] | None = None,
    entry_imports: list[dict[str, Any]] | None = None,
    stderr: bytes = b"",
) -> FakeRunner:
    """A runner that writes what esbuild would: bundle, map, copied assets and the metafile."""
    assets = assets if assets is not None else {
        "hello-AAAA.txt": ("src/hello.txt", b"hi"), "tiny-BBBB.wasm": ("src/tiny.wasm?module", b"\0asm\1\0\0\0"),
    }

    def handle(argv: list[str], cwd: Path) -> RunResult:
        if argv[0] == "/bin/sh":
            return ok(b"generated\n")
        outdir = Path(next(a for a in argv if a.startswith("--outdir="))[len("--outdir="):])
        key = outdir.relative_to(cwd).as_posix()
        (outdir / "index.js").write_bytes(main)
        (outdir / "index.js.map").write_text("{}")
        outputs: dict[str, Any] = {
            f"{key}/index.js": {
                "imports": entry_imports if entry_imports is not None else [
                    {"path": f"{key}/hello-AAAA.txt", "kind": "import-statement"},
                    {"path": f"{key}/tiny-BBBB.wasm?module", "kind": "import-statement"},
                ],
                "exports": list(exports), "entryPoint": "src/index.js",
                "inputs": {"src/index.js": {"bytesInOutput": 10}}, "bytes": len(main),
            },
            f"{key}/index.js.map": {"imports": [], "exports": [], "inputs": {}, "bytes": 2},
        }
        for name, (source, data) in assets.items():
            (outdir / name).write_bytes(data)
            outputs[f"{key}/{name}"] = {
                "imports": [], "exports": [], "inputs": {source: {"bytesInOutput": 1}}, "bytes": 1,
            }
        inputs = {"src/index.js": {"bytes": 10, "imports": input_imports or []}}
        (outdir / "meta.json").write_text(json.dumps({"inputs": inputs, "outputs": outputs}))
        return ok(stderr=stderr)

    return FakeRunner(handle)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text('import { Buffer } from "node:buffer";\n')
    return tmp_path


def test_build_collects_main_rule_modules_and_map(root: Path) -> None:
    """Main module first, rule-matched files typed by rule, map kept apart, bytes from outdir."""
    bundle = build_project(make_project(root), runner=fake_esbuild(), esbuild_path="esbuild")
    assert bundle.outdir == root / "dist"
    assert [(m.name, m.type) for m in bundle.modules] == [
        ("index.js", "esm"), ("hello-AAAA.txt", "text"), ("tiny-BBBB.wasm", "wasm"),
    ]
    assert bundle.modules[1].content == b"hi"
    assert bundle.sourcemap is not None and bundle.sourcemap.name == "index.js.map"
    assert bundle.inputs == (root / "src" / "index.js",)
    assert bundle.warnings == ()


def test_module_query_is_stripped_in_the_uploaded_and_written_bundle(root: Path) -> None:
    """`./x.wasm?module` becomes `./x.wasm` (padded), both in the Bundle and in dist/index.js."""
    bundle = build_project(make_project(root), runner=fake_esbuild(), esbuild_path="esbuild")
    assert b'"./tiny-BBBB.wasm"       ;' in bundle.main.content
    assert (root / "dist" / "index.js").read_bytes() == bundle.main.content


def test_build_command_runs_first_in_its_cwd(root: Path) -> None:
    """[build] command runs through the shell, in [build] cwd, before esbuild; its output is shown."""
    project = make_project(root, build=BuildSpec(command="make gen", cwd=root / "src"))
    runner, shown = fake_esbuild(), []
    bundle = build_project(project, runner=runner, esbuild_path="esbuild", log=shown.append)
    assert runner.calls[0] == (["/bin/sh", "-c", "make gen"], root / "src")
    assert runner.calls[1][0][0] == "esbuild"
    assert shown == ["generated"]
    assert bundle.command_ms is not None


def test_failing_build_command_reports_exit_code_and_tail(root: Path) -> None:
    """A failing command stops the build with its exit code and its last lines; esbuild never runs."""
    lines = "\n".join(f"line {i}" for i in range(30)).encode()
    runner = FakeRunner(lambda argv, cwd: ok(stdout=lines, stderr=b"boom", code=2))
    project = make_project(root, build=BuildSpec(command="npm run gen"))
    with pytest.raises(BundleError, match="exit code 2: npm run gen") as info:
        build_project(project, runner=runner, esbuild_path="esbuild")
    assert info.value.notes[-1] == "boom" and info.value.notes[0] == "line 11"
    assert info.value.exit_code == 1
    assert len(runner.calls) == 1


def test_esbuild_errors_pass_through_verbatim_then_one_line(root: Path) -> None:
    """esbuild's stderr goes to `log` exactly; the BundleError adds one cfworker line."""
    err = b'\xe2\x9c\x98 [ERROR] Expected ")" but found "}"\n\n    src/index.js:2:36:\n'
    runner = FakeRunner(lambda argv, cwd: ok(stderr=err, code=1))
    shown: list[str] = []
    with pytest.raises(BundleError) as info:
        build_project(make_project(root), runner=runner, esbuild_path="esbuild", log=shown.append)
    assert shown == [err.decode().rstrip("\n")]
    assert info.value.message == "esbuild could not bundle src/index.js (exit 1)"
    assert info.value.notes == ()


def test_esbuild_errors_go_to_notes_without_a_log(root: Path) -> None:
    """Library callers without a log still get esbuild's message, in the error's notes."""
    runner = FakeRunner(lambda argv, cwd: ok(stderr=b"X [ERROR] bad\n", code=1))
    with pytest.raises(BundleError) as info:
        build_project(make_project(root), runner=runner, esbuild_path="esbuild")
    assert info.value.notes == ("X [ERROR] bad",)


def test_esbuild_warnings_are_shown_on_success(root: Path) -> None:
    """Warnings esbuild prints on a successful build reach the log."""
    shown: list[str] = []
    runner = fake_esbuild(stderr=b"W [WARNING] x\n")
    build_project(make_project(root), runner=runner, esbuild_path="esbuild", log=shown.append)
    assert shown == ["W [WARNING] x"]


def test_node_import_without_nodejs_compat_names_file_line_and_flag(root: Path) -> None:
    """A node:* import without nodejs_compat fails with file:line:col and the flag to add."""
    runner = fake_esbuild({}, entry_imports=[], input_imports=[
        {"path": "node:buffer", "kind": "import-statement", "external": True}])
    with pytest.raises(BundleError) as info:
        build_project(make_project(root), runner=runner, esbuild_path="esbuild")
    assert info.value.message == (
        'src/index.js:1:24: imports "node:buffer", a Node.js built-in module, but nodejs_compat is not enabled'
    )
    assert info.value.hint == 'add compatibility_flags = ["nodejs_compat"] to worker.toml'


def test_node_import_with_nodejs_compat_builds(root: Path) -> None:
    """The same import builds when nodejs_compat is on."""
    runner = fake_esbuild({}, entry_imports=[], input_imports=[
        {"path": "node:buffer", "kind": "import-statement", "external": True}])
    project = make_project(root, compatibility_flags=("nodejs_compat",))
    assert build_project(project, runner=runner, esbuild_path="esbuild").main_module == "index.js"


def test_missing_default_export_warns_about_service_worker_format(root: Path) -> None:
    """An entry without a default export builds, with a warning that only modules format is supported."""
    bundle = build_project(make_project(root), runner=fake_esbuild(exports=()), esbuild_path="esbuild")
    assert len(bundle.warnings) == 1 and "service-worker format is not supported" in bundle.warnings[0]


def test_copied_file_matching_no_rule_is_an_error(root: Path) -> None:
    """A file copied by extension whose path matches no rule glob is refused with a hint."""
    project = make_project(root, build=BuildSpec(rules=(ModuleRule("text", ("templates/*.html",)),)))
    runner = fake_esbuild({"page-CCCC.html": ("src/page.html", b"<p>")}, entry_imports=[])
    with pytest.raises(BundleError, match="matches no module rule"):
        build_project(project, runner=runner, esbuild_path="esbuild")


def test_stale_outputs_of_the_previous_build_are_removed(root: Path) -> None:
    """Files the last build wrote and this one did not are deleted; other files in outdir are kept."""
    project = make_project(root)
    build_project(project, runner=fake_esbuild(), esbuild_path="esbuild")
    (root / "dist" / "keep.me").write_text("mine")
    runner = fake_esbuild({"hello-DDDD.txt": ("src/hello.txt", b"hi!")}, entry_imports=[])
    bundle = build_project(project, runner=runner, esbuild_path="esbuild")
    names = sorted(p.name for p in (root / "dist").iterdir())
    assert names == ["hello-DDDD.txt", "index.js", "index.js.map", "keep.me", "meta.json"]
    assert [m.name for m in bundle.modules] == ["index.js", "hello-DDDD.txt"]


def test_relative_outdir_is_taken_from_the_root_and_sourcemap_off_skips_the_map(root: Path) -> None:
    """outdir="out" lands in <root>/out; with sourcemap off the Bundle has no map."""
    project = replace(make_project(root), build=BuildSpec(sourcemap=False))
    bundle = build_project(project, outdir=Path("out"), runner=fake_esbuild(), esbuild_path="esbuild")
    assert bundle.outdir == root / "out" and bundle.sourcemap is None


@pytest.mark.parametrize(("directory", "moved"), [("dist", True), ("dist/client", True), ("public", False)])
def test_bundle_moves_out_of_an_assets_folder_that_holds_dist(directory: str, moved: bool) -> None:
    """A bundle written into the [assets] folder would be uploaded as a public file: it goes to .cfworker/dist."""
    from cfworker.bundle import output_folder
    from cfworker.config.model import AssetsSpec

    project = make_project(Path("/p"), assets=AssetsSpec(directory=Path("/p") / directory))
    where, note = output_folder(project, None)
    assert (where == Path("/p") / ".cfworker" / "dist") is moved and (note is not None) is moved

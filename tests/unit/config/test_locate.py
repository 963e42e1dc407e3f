"""locate.LineIndex: the line of each dotted key path in TOML text."""

from __future__ import annotations

import pytest

from cfworker.config.locate import LineIndex, parent_path

SOURCE = '''\
name = "app"            # 1
[build]                 # 2
command = "make"        # 3
define = { "a.b" = "1", c = "2" }  # 4
[[kv_namespaces]]       # 5
binding = "A"           # 6
[[kv_namespaces]]       # 7
binding = "B"           # 8
routes = [              # 9
  "x.com/*",            # 10
  { pattern = "y.com/*", zone_name = "y.com" },  # 11
]                       # 12
text = """              # 13
[not.a.header]          # 14
"""                     # 15
[ env . staging ]       # 16
build.cwd = "app"       # 17
[env.staging.vars]      # 18
"X Y" = 1               # 19
[[env.staging.dns]]     # 20
type = 'A'              # 21
[[fruits]]              # 22
[[fruits.kinds]]        # 23
name = "k"              # 24
'''


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("name", 1),
        ("build", 2),
        ("build.command", 3),
        ('build.define."a.b"', 4),
        ("build.define.c", 4),
        ("kv_namespaces[0]", 5),
        ("kv_namespaces[1].binding", 8),
        ("kv_namespaces[1].routes[0]", 10),
        ("kv_namespaces[1].routes[1].zone_name", 11),
        ("kv_namespaces[1].text", 13),
        ("env.staging", 16),
        ("env.staging.build.cwd", 17),
        ('env.staging.vars."X Y"', 19),
        ("env.staging.dns[0].type", 21),
        ("fruits[0].kinds[0].name", 24),
    ],
)
def test_locate_finds_line_of_key_path(path: str, line: int) -> None:
    """Headers, array-of-tables indices, dotted, quoted and inline keys all map to their line."""
    assert LineIndex(SOURCE).line_of(path) == line


def test_locate_multiline_string_does_not_create_headers() -> None:
    """A [header] inside a multi-line string is text, not a table."""
    assert "not.a.header" not in LineIndex(SOURCE).lines


def test_locate_unknown_path_falls_back_to_parent() -> None:
    """A key that is not written (a missing required key) gets its table's line."""
    index = LineIndex(SOURCE)
    assert index.line_of("kv_namespaces[0].id") == 5
    assert index.line_of("env.staging.routes[3].pattern") == 16
    assert index.line_of("missing") is None


def test_locate_without_text_knows_nothing() -> None:
    """No source text: every lookup is None."""
    assert LineIndex(None).line_of("name") is None


def test_locate_stops_quietly_on_text_it_cannot_read() -> None:
    """Broken text keeps the lines found before the problem and never raises."""
    index = LineIndex('a = 1\nb = "open\nc = 2\n')
    assert index.line_of("a") == 1


@pytest.mark.parametrize(
    ("path", "parent"),
    [("a.b[2].c", "a.b[2]"), ("a.b[2]", "a.b"), ('define."x.y"', "define"), ("a", ""), ("", "")],
)
def test_locate_parent_path_strips_one_step(path: str, parent: str) -> None:
    """parent_path removes the last key or index, respecting quoted keys."""
    assert parent_path(path) == parent

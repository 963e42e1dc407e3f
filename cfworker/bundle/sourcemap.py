"""Reading source maps (pure): which source line a position in the bundle came from.

Only what cfworker needs to point an error at the user's file: decode the `mappings`
(base64 VLQ, source map v3) and find the segment at or before a generated line and column.
"""

from __future__ import annotations

import json
import posixpath
import re

_DIGITS = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_POSITION = re.compile(r"(?<![\w./-])([\w.-]+\.m?js):(\d+):(\d+)")


def _vlq(segment: str) -> list[int]:
    out, value, shift = [], 0, 0
    for ch in segment:
        digit = _DIGITS[ch]
        value += (digit & 31) << shift
        shift += 5
        if not digit & 32:
            out.append(-(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    return out


def original_position(smap: bytes | str, line: int, column: int) -> tuple[str, int, int] | None:
    """(source, line, column), 1-based like a stack trace, for a 1-based generated position; None
    when the map has nothing there (or is not a map)."""
    try:
        data = json.loads(smap)
        groups = str(data["mappings"]).split(";")
        sources = list(data["sources"])
    except (ValueError, KeyError, TypeError):
        return None
    src = src_line = src_col = 0
    best: tuple[int, int, int] | None = None
    for index, group in enumerate(groups):
        if index >= line:
            break
        gen_col = 0
        for segment in filter(None, group.split(",")):
            try:
                nums = _vlq(segment)
            except KeyError:
                return None
            gen_col += nums[0]
            if len(nums) >= 4:
                src, src_line, src_col = src + nums[1], src_line + nums[2], src_col + nums[3]
                if index == line - 1 and gen_col <= column - 1:
                    best = (src, src_line, src_col)
    if best is None or not 0 <= best[0] < len(sources):
        return None
    return str(sources[best[0]]), best[1] + 1, best[2] + 1


def map_positions(text: str, module: str, smap: bytes | str | None, base: str = ".") -> str:
    """`text` with each `module:line:col` followed by the source position it came from (sources
    joined to `base`, the folder they are relative to, e.g. the entry module's)."""
    if smap is None:
        return text

    def replace(found: re.Match[str]) -> str:
        if found.group(1) != module:
            return found.group(0)
        where = original_position(smap, int(found.group(2)), int(found.group(3)))
        if where is None:
            return found.group(0)
        source = posixpath.normpath(posixpath.join(base, where[0])) if "://" not in where[0] else where[0]
        return f"{found.group(0)} ({source}:{where[1]}:{where[2]})"

    return _POSITION.sub(replace, text)

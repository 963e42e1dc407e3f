"""original_position / map_positions: a bundle position back to the user's file (pure)."""

from __future__ import annotations

import json

from cfworker.bundle.sourcemap import map_positions, original_position

# Generated line 1: nothing; line 2: col 0 -> a.ts line 1 col 0, col 6 -> a.ts line 3 col 4;
# line 3: col 2 -> b.ts line 10 col 0  (VLQ: AAAA = 0,0,0,0; MAEI = 6,0,+2,+4; ECOJ = 2,+1,+7,-4)
MAP = json.dumps({"version": 3, "sources": ["a.ts", "b.ts"], "mappings": ";AAAA,MAEI;ECOJ"})


def test_position_is_the_segment_at_or_before_the_column() -> None:
    assert original_position(MAP, 2, 1) == ("a.ts", 1, 1)
    assert original_position(MAP, 2, 6) == ("a.ts", 1, 1)
    assert original_position(MAP, 2, 7) == ("a.ts", 3, 5)
    assert original_position(MAP, 3, 3) == ("b.ts", 10, 1)
    assert original_position(MAP, 1, 1) is None
    assert original_position("not json", 1, 1) is None


def test_map_positions_annotates_only_the_main_module() -> None:
    text = "Error: x\n    at index.js:2:7\n    at other.js:2:7"
    out = map_positions(text, "index.js", MAP, base="src")
    assert out == "Error: x\n    at index.js:2:7 (src/a.ts:3:5)\n    at other.js:2:7"
    assert map_positions(text, "index.js", None) == text

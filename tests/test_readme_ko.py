"""README.ko.md stays a faithful translation of README.md: the same headings, byte-identical code
blocks, the language links under the title, the same configuration keys and working anchor links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stacks.config_doc import END, START

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE_LINKS = "[English](README.md) | [한국어](README.ko.md)"
FENCE = "```"
HEADING = re.compile(r"^(#{1,6}) +(\S.*?)\s*$")
CONFIG_KEY = re.compile(r"^\|\s*`([^`]+)`\s*\|")
ANCHOR_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def fenced_blocks(text: str) -> list[str]:
    """Every fenced code block, fences and indentation included, in document order."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if current is None:
            if line.lstrip().startswith(FENCE):
                current = [line]
        else:
            current.append(line)
            if line.strip() == FENCE:
                blocks.append("\n".join(current))
                current = None
    assert current is None, "unclosed code fence"
    return blocks


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `#` inside a fence is a comment, not a heading)."""
    lines: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if in_fence:
            in_fence = line.strip() != FENCE
        elif line.lstrip().startswith(FENCE):
            in_fence = True
        else:
            lines.append(line)
    return lines


def headings(text: str) -> list[tuple[int, str]]:
    return [
        (len(match.group(1)), match.group(2)) for line in prose_lines(text) if (match := HEADING.match(line))
    ]


def config_table_keys(text: str) -> list[str]:
    assert text.count(START) == 1, "configuration table start marker missing or repeated"
    assert text.count(END) == 1, "configuration table end marker missing or repeated"
    table = text[text.index(START) + len(START) : text.index(END)]
    return [match.group(1) for line in table.splitlines() if (match := CONFIG_KEY.match(line))]


def github_slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens; letters of any
    script (Hangul too) stay."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def heading_anchors(text: str) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, title in headings(text):
        slug = github_slug(title)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


@pytest.fixture(scope="module")
def english() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def korean() -> str:
    return (ROOT / "README.ko.md").read_text(encoding="utf-8")


def test_korean_readme_has_the_same_heading_levels_in_the_same_order(english: str, korean: str) -> None:
    english_levels = [level for level, _ in headings(english)]
    korean_levels = [level for level, _ in headings(korean)]
    assert english_levels, "README.md has no headings"
    assert len(korean_levels) == len(english_levels)
    assert korean_levels == english_levels


def test_korean_readme_code_blocks_are_identical_to_the_english_ones(english: str, korean: str) -> None:
    english_blocks = fenced_blocks(english)
    assert english_blocks, "README.md has no code blocks"
    assert fenced_blocks(korean) == english_blocks


def test_korean_readme_shows_the_language_links_right_after_the_title(english: str, korean: str) -> None:
    for text in (english, korean):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert lines[0].startswith("# ")
        assert lines[1] == LANGUAGE_LINKS


def test_korean_readme_configuration_table_has_the_same_keys(english: str, korean: str) -> None:
    english_keys = config_table_keys(english)
    assert english_keys, "README.md's configuration table has no rows"
    assert config_table_keys(korean) == english_keys


def test_korean_readme_anchor_links_point_at_its_own_headings(korean: str) -> None:
    anchors = heading_anchors(korean)
    broken = [target for target in ANCHOR_LINK.findall(korean) if target not in anchors]
    assert broken == []

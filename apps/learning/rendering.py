"""Markdown of stems and explanations to HTML. Raw HTML in the source is escaped, not
passed through (markdown-it-py's commonmark preset with html off), and markdown-it refuses
javascript:/vbscript:/data: links, so a teacher's item cannot inject script into a page."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def markdown(text: str) -> str:
    return _md().render(text or "")

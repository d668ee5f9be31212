"""The command palette (ctrl+p): the app's own commands only (the action table's, in the app's language, each with
its key), found with or without Vietnamese diacritics: "lich su" finds "Lịch sử"."""

from __future__ import annotations

import unicodedata
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from tui_ibhxh.ui.screens.base import Host


def fold(text: str) -> str:
    """``text`` without diacritics, one character for one (so a match's positions are the original's): "Lịch sử" →
    "Lich su", "đ" → "d"."""
    folded = []
    for char in text:
        if char in "đĐ":
            folded.append("d" if char == "đ" else "D")
            continue
        base = unicodedata.normalize("NFD", char)[0]
        folded.append(base if len(base) == 1 else char)
    return "".join(folded)


class FoldingMatcher(Matcher):
    """Textual's fuzzy matcher, comparing both sides without diacritics."""

    def __init__(self, query: str, *, case_sensitive: bool = False) -> None:
        super().__init__(fold(query), case_sensitive=case_sensitive)

    def match(self, candidate: str) -> float:
        return super().match(fold(candidate))

    def highlight(self, candidate: str) -> Content:
        content = Content(candidate)  # a title is text, not markup
        score, offsets = self.fuzzy_search.match(self.query, fold(candidate))
        if not score:
            return content
        for offset in offsets:
            if not candidate[offset].isspace():
                content = content.stylize(self.match_style, offset, offset + 1)
        return content


class AppCommands(Provider):
    """The commands of ``App.get_system_commands`` (the app's actions of the current screen), matched without
    diacritics."""

    def matcher(self, user_input: str, case_sensitive: bool = False) -> Matcher:
        return FoldingMatcher(user_input, case_sensitive=case_sensitive)

    async def discover(self) -> Hits:
        for title, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if discover:
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        found = False
        for title, help_text, callback, _discover in self.app.get_system_commands(self.screen):
            if (score := matcher.match(title)) > 0:
                found = True
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
        if not found:  # said in the app's language (Textual's own "No matches found" is English)
            yield Hit(1, Content(cast(Host, self.app).hint("ui.palette.no_match", query=query)), _nothing)


def _nothing() -> None:
    """What choosing "no command matches" does."""

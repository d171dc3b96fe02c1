"""The words the index knows, and typo-tolerant look-up of a query word among them."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.search.normalise import stem

__all__ = ["Match", "Lexicon", "max_edits", "typo_similarity"]

# Similarity given to each kind of near match (an exact match is 1.0).
SAME_STEM = 0.95
PREFIX_FLOOR = 0.7  # a prefix match scores 0.7..1.0 by how much of the word was typed
MAX_PREFIX_MATCHES = 6
MAX_MATCHES = 5
LONGEST_WORD = 40  # no word we index is longer; longer query "words" are noise


def max_edits(word: str) -> int:
    """Typos tolerated in a word of this length: none in short words (abbreviations clash too easily),
    one up to 7 letters (more turns real words into other real words: "summer" -> "number")."""
    n = len(word)
    if n <= 3 or word.isdigit():
        return 0
    if n <= 7:
        return 1
    if n <= 11:
        return 2
    return 3


def typo_similarity(word: str, distance: int) -> float:
    return max(0.0, 1 - 1.5 * distance / (len(word) + 1))


@dataclass(frozen=True, slots=True)
class Match:
    """A known word a query word may mean: `term` is what the index holds (a word or a concept),
    `surface` the spelling matched, `similarity` 0..1, `corrected` when it was a typo or a prefix."""

    term: str
    surface: str
    similarity: float
    corrected: bool = False


class Lexicon:
    """Surface words -> index terms, with exact, same-stem, prefix and edit-distance look-up."""

    def __init__(self, surfaces: Mapping[str, str]) -> None:
        self._term = dict(surfaces)  # surface word -> term ("dv"... are not here: they are phrases)
        self._by_stem: dict[str, list[str]] = {}
        self._by_length: dict[tuple[str, int], list[str]] = {}
        for word in self._term:
            self._by_stem.setdefault(stem(word), []).append(word)
            self._by_length.setdefault((word[0], len(word)), []).append(word)
        self._sorted = sorted(self._term)

    def __contains__(self, word: object) -> bool:
        return word in self._term

    def __len__(self) -> int:
        return len(self._term)

    @classmethod
    def from_words(cls, plain: Iterable[str], variants: Mapping[str, str]) -> Lexicon:
        surfaces = {w: w for w in plain}
        surfaces.update(variants)
        return cls(surfaces)

    def lookup(self, word: str) -> list[Match]:
        """The terms `word` may mean, best first: itself if known (plus other forms of the same stem),
        else same-stem forms, prefixes of longer words and words within `max_edits` typos."""
        if len(word) > LONGEST_WORD:
            return []
        found: dict[str, Match] = {}

        def add(surface: str, similarity: float, corrected: bool) -> None:
            term = self._term[surface]
            if term not in found or found[term].similarity < similarity:
                found[term] = Match(term, surface, similarity, corrected)

        if word in self._term:
            add(word, 1.0, False)
        for other in self._by_stem.get(stem(word), ()):
            if other != word:
                add(other, SAME_STEM, False)
        if word in self._term:
            return sorted(found.values(), key=lambda m: -m.similarity)
        limit = max_edits(word)
        if len(word) >= 4:
            start = bisect_left(self._sorted, word)
            for other in self._sorted[start : start + MAX_PREFIX_MATCHES]:
                if not other.startswith(word):
                    break
                add(other, PREFIX_FLOOR + (1 - PREFIX_FLOOR) * len(word) / len(other), True)
        if limit:
            for length in range(len(word) - limit, len(word) + limit + 1):
                # Typos seldom hit the first letter; requiring it keeps "hell" from becoming "well".
                bucket = self._by_length.get((word[0], length))
                if bucket:
                    for other, distance, _ in process.extract(word, bucket, scorer=OSA.distance,
                                                              score_cutoff=limit, limit=MAX_MATCHES):
                        add(other, typo_similarity(word, distance), True)
        return sorted(found.values(), key=lambda m: -m.similarity)[:MAX_MATCHES]

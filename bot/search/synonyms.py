"""Synonym and abbreviation groups from knowledge/synonyms.yaml.

Every variant of a group ("dv", "domestic violence", "ipv") is read as one *concept* term named after
the group's canonical phrase ("domestic_abuse"), in content and in queries alike, so they meet however
either side words it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.search.normalise import STOP_WORDS, Spellings, words

__all__ = ["Term", "SynonymMap", "concept_name"]


def concept_name(canonical_words: list[str]) -> str:
    """The term a group stands for: its canonical words joined by '_' (plain words never hold one)."""
    return "_".join(canonical_words)


@dataclass(frozen=True, slots=True)
class Term:
    """One searchable term of a text: a plain word, or a concept with the words it was read from."""

    term: str
    surface: str
    concept: bool = False


class SynonymMap:
    """Reads word sequences into terms, joining the longest synonym variant at each position."""

    def __init__(self, groups: list[tuple[str, list[str]]] = (), spellings: Spellings | None = None) -> None:
        self.spellings = spellings or Spellings()
        # first word -> [(variant words, concept)], longest first
        self._variants: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.concepts: dict[str, str] = {}  # concept -> canonical phrase as written
        seen: dict[tuple[str, ...], str] = {}
        # A group's own canonical phrase always means that group, even where another group lists it too.
        for canonical, _ in groups:
            key = tuple(words(canonical, self.spellings))
            if key and key not in seen:
                seen[key] = concept_name(list(key))
        for canonical, variants in groups:
            canon = tuple(words(canonical, self.spellings))
            if not canon:
                continue
            concept = concept_name(list(canon))
            self.concepts.setdefault(concept, canonical)
            for variant in variants:
                key = tuple(words(variant, self.spellings))
                if key and key not in seen:
                    seen[key] = concept
        for key, concept in seen.items():
            self._variants.setdefault(key[0], []).append((key, concept))
        for options in self._variants.values():
            options.sort(key=lambda item: -len(item[0]))

    @classmethod
    def from_content(cls, raw: object) -> SynonymMap:
        """Build from the parsed synonyms.yaml (`groups: [{canonical, variants}]`, `spellings: {}`);
        malformed parts are skipped, since `pathways lint` reports them."""
        raw = raw if isinstance(raw, Mapping) else {}
        groups: list[tuple[str, list[str]]] = []
        for group in raw.get("groups") or []:
            if isinstance(group, Mapping) and group.get("canonical") is not None:
                variants = group.get("variants") or []
                if not isinstance(variants, list):
                    variants = [variants]
                groups.append((str(group["canonical"]), [str(v) for v in variants if v is not None]))
        return cls(groups, Spellings.from_mapping(raw.get("spellings")))

    def single_word_variants(self) -> dict[str, str]:
        """Variant word -> concept, for one-word variants (typo correction can land on these)."""
        return {key[0]: concept for options in self._variants.values() for key, concept in options
                if len(key) == 1}

    def _inflected(self, word: str) -> tuple[tuple[str, ...], str] | None:
        """A plural or third-person form of a one-word variant ("discloses", "refuges", "parties")."""
        if len(word) < 5 or not word.endswith("s") or word in STOP_WORDS:
            return None
        bases = [word[:-1]]
        if word.endswith("es"):
            bases.append(word[:-2])
        if word.endswith("ies"):
            bases.append(word[:-3] + "y")
        for base in bases:
            for key, concept in self._variants.get(base, ()):
                if len(key) == 1:
                    return (word,), concept
        return None

    def terms(self, text: str, *, keep_phrase_words: bool = False, limit: int | None = None) -> list[Term]:
        """The terms of `text` in order: concepts for synonym variants, other words less stop words.
        `keep_phrase_words` also keeps the plain words of multi-word variants (used for content, so a
        query quoting part of a long phrase still finds it)."""
        seq = words(text, self.spellings)
        out: list[Term] = []
        i = 0
        while i < len(seq) and (limit is None or len(out) < limit):
            match = None
            for key, concept in self._variants.get(seq[i], ()):
                if tuple(seq[i : i + len(key)]) == key:
                    match = (key, concept)
                    break
            if match is None:
                match = self._inflected(seq[i])
            if match:
                key, concept = match
                out.append(Term(concept, " ".join(key), concept=True))
                if keep_phrase_words and len(key) > 1:
                    out += [Term(w, w) for w in key if w not in STOP_WORDS and len(w) > 1]
                i += len(key)
                continue
            word = seq[i]
            if word not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
                out.append(Term(word, word))
            i += 1
        return out

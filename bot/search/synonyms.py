"""Synonym and abbreviation groups from knowledge/synonyms.yaml.

Every variant of a group ("dv", "domestic violence", "ipv") is read as one *concept* term named after
the group's canonical phrase ("domestic_abuse"), in content and in queries alike, so they meet however
either side words it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.search.normalise import STOP_WORDS, Spellings, words

__all__ = ["Term", "SynonymMap", "concept_name", "AGE_GROUPS"]

# An age given in a query ("15yo") is read as the group the content is written for, when that group
# is a synonym group; other ages say nothing we can search for.
AGE_GROUPS = ((0, 12, "children"), (13, 17, "young people"), (60, 130, "older people"))
_YEARS = ("year", "years", "yr", "yrs")


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
        `keep_phrase_words` also keeps what a multi-word variant is made of, its words and any shorter
        variant inside it (used for content, so "National Domestic Abuse Helpline" also holds
        "domestic abuse" and "helpline")."""
        return self._read(words(text, self.spellings), keep_phrase_words, limit)

    def inner_terms(self, phrase: str) -> list[Term]:
        """The terms inside a multi-word variant, other than the variant itself."""
        seq = words(phrase, self.spellings)
        return [t for t in self._read(seq, False, None, whole=len(seq)) if t.surface != " ".join(seq)]

    def _read(self, seq: list[str], keep_phrase_words: bool, limit: int | None, whole: int = 0) -> list[Term]:
        """Longest variant first at each position; `whole` forbids a variant spanning all of `seq`."""
        out: list[Term] = []
        i = 0
        while i < len(seq) and (limit is None or len(out) < limit):
            age = self._age(seq, i)
            if age:
                size, term = age
                if term:
                    out.append(term)
                i += size
                continue
            match = None
            for key, concept in self._variants.get(seq[i], ()):
                if tuple(seq[i : i + len(key)]) == key and not (i == 0 and len(key) == whole):
                    match = (key, concept)
                    break
            if match is None:
                match = self._inflected(seq[i])
            if match:
                key, concept = match
                out.append(Term(concept, " ".join(key), concept=True))
                if keep_phrase_words and len(key) > 1:
                    inner = self._read(list(key), False, None, whole=len(key))
                    out += [t for t in inner if t.term != concept]
                i += len(key)
                continue
            word = seq[i]
            if word not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
                out.append(Term(word, word))
            i += 1
        return out

    def _age(self, seq: list[str], i: int) -> tuple[int, Term | None] | None:
        """'15yo', '15 year old', '8 y/o', 'in her 80s': (words used, the age group's concept or None)."""
        if not seq[i].isdigit() or len(seq[i]) > 3:
            return None
        rest = seq[i + 1 : i + 3]
        if rest[:1] == ["yo"]:
            size = 2
        elif rest == ["y", "o"] or (len(rest) == 2 and rest[0] in _YEARS and rest[1] == "old"):
            size = 3
        elif rest[:1] == ["s"] and i > 0 and seq[i - 1] in ("her", "his", "their", "in") and seq[i].endswith("0"):
            size = 2
        else:
            return None
        age = int(seq[i])
        group = next((name for low, high, name in AGE_GROUPS if low <= age <= high), None)
        concept = concept_name(group.split()) if group else None
        surface = " ".join(seq[i : i + size])
        return size, (Term(concept, surface, concept=True) if concept in self.concepts else None)

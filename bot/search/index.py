"""The search index over guidance entries, flows and services, built once at start-up.

At build time every field is read into terms (words and synonym concepts) and an inverted index of
term -> (document, field weight); each document's names are kept as term strings for rapidfuzz. A query
is read the same way, each unknown word looked up among the known ones (typos, prefixes, word forms),
and documents are scored as bot/search/scoring.py describes."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable

from rapidfuzz import fuzz

from bot.search.documents import FIELD_WEIGHTS, Document, documents_from_content
from bot.search.lexicon import Lexicon, Match
from bot.search.normalise import (
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    PHONE_WORDS,
    SERVICE_WORDS,
    TRAINING_WORDS,
    words,
)
from bot.search.results import Hit, SearchResults
from bot.search.scoring import (
    CONFIDENT_SCORE,
    CONTEXT_SHARE,
    COVERAGE_SHARE,
    EXERCISE_FACTOR,
    IDF_POWER,
    KIND_ORDER,
    PHONE_BOOST,
    PHRASE_WORD_SHARE,
    RESCORED,
    ROLE_CONTEXT,
    SERVICE_BOOST,
    UNKNOWN_WORD_SHARE,
    WORDING_SHARE,
    name_weight,
    normalise_role,
    role_factor,
)
from bot.search.synonyms import SynonymMap, Term

__all__ = ["SearchIndex", "NO_WORDS", "NO_MATCH"]

NO_WORDS = "the query has no words to search for"
NO_MATCH = "nothing matched the query"


class SearchIndex:
    """Build with `SearchIndex.build(content)`; query with `index.search("marac threshold")`."""

    def __init__(self, documents: list[Document], synonyms: SynonymMap,
                 confident_score: float = CONFIDENT_SCORE) -> None:
        self.documents = documents
        self.synonyms = synonyms
        self.confident_score = confident_score
        postings: dict[str, dict[int, float]] = {}
        for i, doc in enumerate(documents):
            for name, texts in doc.fields.items():
                weight = FIELD_WEIGHTS[name]
                for text in texts:
                    for term in synonyms.terms(text, keep_phrase_words=True):
                        held = postings.setdefault(term.term, {})
                        if held.get(i, 0.0) < weight:
                            held[i] = weight
        n = len(documents)
        self._postings = {term: tuple(held.items()) for term, held in postings.items()}
        self._idf = {term: math.log(1 + (n - len(held) + 0.5) / (len(held) + 0.5)) ** IDF_POWER
                     for term, held in postings.items()}
        self._mean_idf = sum(self._idf.values()) / len(self._idf) if self._idf else 1.0
        # Each document's names (title and synonyms) as terms, and word for word.
        self._phrases = [self._phrase_forms(doc.phrases) for doc in documents]
        self._wordings = [tuple(dict.fromkeys(p for p in (" ".join(words(ph, synonyms.spellings))
                                                            for ph in doc.phrases) if p)) for doc in documents]
        plain = (term for term in postings if "_" not in term)
        # Typo correction may land on a one-word synonym, if some document holds its concept.
        variants = {w: c for w, c in synonyms.single_word_variants().items() if c in postings}
        self.lexicon = Lexicon.from_words(plain, variants)

    def _phrase_forms(self, phrases: tuple[str, ...]) -> tuple[tuple[str, dict[str, float]], ...]:
        """Each name as its terms, and again with multi-word synonyms opened up ("National Domestic Abuse
        Helpline" is also "national domestic_abuse helpline"), each with its terms' rarity."""
        forms: dict[str, dict[str, float]] = {}
        for phrase in phrases:
            terms = self.synonyms.terms(phrase)
            opened = []
            for t in terms:
                inner = self.synonyms.inner_terms(t.surface) if t.concept and " " in t.surface else [t]
                opened += [i.term for i in inner if i.term != t.term] or [t.term]
            whole = [t.term for t in terms]
            # An opened name that shrank to one term is a fragment ("female circumcision" -> "women").
            for form in (whole, opened if len(opened) > 1 or opened == whole else []):
                if form:
                    forms.setdefault(" ".join(form), {t: self._idf.get(t, self._mean_idf) for t in form})
        return tuple(forms.items())

    @classmethod
    def build(cls, content, *, confident_score: float = CONFIDENT_SCORE) -> SearchIndex:
        """Index a loaded `Content` (bot.content.library.load_content())."""
        return cls(documents_from_content(content), SynonymMap.from_content(content.synonyms), confident_score)

    @classmethod
    def from_documents(cls, documents: Iterable[Document], synonyms: SynonymMap | None = None,
                       confident_score: float = CONFIDENT_SCORE) -> SearchIndex:
        return cls(list(documents), synonyms or SynonymMap(), confident_score)

    def __len__(self) -> int:
        return len(self.documents)

    def search(self, query: str, k: int = 3, role: str | None = None) -> SearchResults:
        """The `k` best hits for a free-text query. Never raises for odd input: empty, emoji-only,
        non-Latin or huge queries give an empty, non-confident result."""
        text = query[:MAX_QUERY_CHARS] if isinstance(query, str) else ""
        k = max(1, min(int(k), 50))
        role = normalise_role(role)
        terms = self.synonyms.terms(text, limit=MAX_QUERY_WORDS)
        asked = {t.term for t in terms if not t.concept}
        wants_service = bool(asked & SERVICE_WORDS)
        wants_phone = bool(asked & PHONE_WORDS)
        wants_training = role == "trainer" or bool(asked & TRAINING_WORDS)
        if wants_service and not all(t.term in SERVICE_WORDS for t in terms):
            terms = [t for t in terms if t.concept or t.term not in SERVICE_WORDS]
        terms = list({t.term: t for t in terms}.values())
        if not terms:
            return SearchResults(query=text, reason=NO_WORDS)
        matched = self._match_terms(terms, role)
        total = sum(w for w, _ in matched)
        coverage = self._coverage(matched)
        if not coverage:
            return SearchResults(query=text, reason=NO_MATCH)

        def factor(doc: Document) -> float:
            boost = role_factor(role, doc.audience) if role else 1.0
            if wants_service and doc.kind == "service":
                boost *= SERVICE_BOOST * (PHONE_BOOST if wants_phone and doc.phone else 1.0)
            if doc.exercise and not wants_training:
                boost *= EXERCISE_FACTOR
            return boost

        primary = matched[: len(terms)]
        query_phrase = " ".join(found[0].term if found else t.term for t, (_, found) in zip(terms, primary,
                                                                                            strict=True))
        query_weights = {t: self._idf.get(t, self._mean_idf) for t in query_phrase.split()}
        query_wording = " ".join(words(text, self.synonyms.spellings))
        # A phrase matched only through typo corrections is less sure than one typed as we know it.
        certainty = sum(found[0].similarity if found else 1.0 for _, found in primary) / len(terms)
        shortlist = heapq.nlargest(RESCORED, coverage,
                                   key=lambda i: coverage[i] * factor(self.documents[i]))
        scored = []
        for doc_index in shortlist:
            doc = self.documents[doc_index]
            phrase = max((fuzz.token_set_ratio(query_phrase, p) * name_weight(held, query_weights)
                          for p, held in self._phrases[doc_index]), default=0)
            wording = max((fuzz.token_sort_ratio(query_wording, p) for p in self._wordings[doc_index]),
                          default=0)
            similarity = (1 - WORDING_SHARE) * phrase + WORDING_SHARE * wording
            score = 100 * COVERAGE_SHARE * coverage[doc_index] / total + (1 - COVERAGE_SHARE) * certainty * similarity
            scored.append((score * factor(doc), doc))
        # Sorted before capping at 100, so boosts still order the documents that reach it.
        scored.sort(key=lambda item: (-item[0], KIND_ORDER[item[1].kind], item[1].id))
        hits = [Hit(d.id, d.kind, d.title, round(min(100.0, s), 1), d.snippet) for s, d in scored[:k]]
        confident = hits[0].score >= self.confident_score
        return SearchResults(query=text, hits=hits, confident=confident,
                             did_you_mean=self._did_you_mean(text, terms, primary, hits, confident))

    def _match_terms(self, terms: list[Term], role: str | None) -> list[tuple[float, list[Match]]]:
        """Each query term's weight and the index terms it may mean; one entry per term in order, then
        the words of multi-word synonyms, at a lower weight."""
        matched: list[tuple[float, list[Match]]] = []
        context = ROLE_CONTEXT.get(role or "", frozenset())
        for t in terms:
            if t.concept:
                found = [Match(t.term, t.surface, 1.0)] if t.term in self._idf else []
            else:
                found = self.lexicon.lookup(t.term)
            weight = self._idf[found[0].term] if found else UNKNOWN_WORD_SHARE * self._mean_idf
            matched.append((weight * (CONTEXT_SHARE if t.term in context else 1.0), found))
        # The words of a multi-word synonym ("dash checklist" -> ric) still say which kind was meant.
        seen = {t.term for t in terms}
        for t in terms:
            if t.concept and " " in t.surface:
                for word in self.synonyms.inner_terms(t.surface):
                    if word.term not in seen and word.term in self._idf:
                        seen.add(word.term)
                        matched.append((PHRASE_WORD_SHARE * self._idf[word.term],
                                        [Match(word.term, word.surface, 1.0)]))
        return matched

    def _coverage(self, matched: list[tuple[float, list[Match]]]) -> dict[int, float]:
        """Document -> the weight of the query it holds: per term, its best match in its best field."""
        coverage: dict[int, float] = {}
        for weight, found in matched:
            best: dict[int, float] = {}
            for m in found:
                for doc, field_weight in self._postings.get(m.term, ()):
                    value = m.similarity * field_weight
                    if value > best.get(doc, 0.0):
                        best[doc] = value
            for doc, value in best.items():
                coverage[doc] = coverage.get(doc, 0.0) + weight * value
        return coverage

    def _did_you_mean(self, text, terms, matched, hits: list[Hit], confident: bool) -> str | None:
        """The query with its typos corrected, when the corrected query found something confidently;
        else, when nothing was confident, the title of the best guess."""
        fixes = {t.term: found[0].surface for t, (_, found) in zip(terms, matched, strict=True)
                 if found and found[0].corrected}
        if fixes and confident:
            return " ".join(fixes.get(w, w) for w in words(text, self.synonyms.spellings))
        if not confident and hits:
            return hits[0].title
        return None

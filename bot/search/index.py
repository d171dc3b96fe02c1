"""The search index over guidance entries, flows and services, built once at start-up.

Scoring, for each document: *coverage* (how much of the query it holds, each query term weighted by
its rarity and by the field it was found in, typos and prefixes counting a little less) blended with
*phrase* similarity (the query against the document's title and synonyms, whole, with rapidfuzz's
token-set ratio), then a boost for the asking role's audience."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable

from rapidfuzz import fuzz

from bot.flows.model import AUDIENCES
from bot.search.documents import FIELD_WEIGHTS, Document, documents_from_content
from bot.search.lexicon import Lexicon, Match
from bot.search.normalise import MAX_QUERY_CHARS, MAX_QUERY_WORDS, SERVICE_WORDS, words
from bot.search.results import Hit, SearchResults
from bot.search.synonyms import SynonymMap, Term

__all__ = ["SearchIndex", "CONFIDENT_SCORE", "normalise_role"]

# Calibrated on tests/eval/queries.yaml and off-topic queries (see `pathways eval`).
CONFIDENT_SCORE = 57.0
COVERAGE_SHARE = 0.6  # the rest is phrase similarity
WORDING_SHARE = 0.3  # of the phrase similarity, the share from comparing the words as typed
RESCORED = 60  # documents with the best coverage get the (dearer) phrase comparison
ROLE_BOOST = 1.12  # content written for the asking role alone
ROLE_OTHER = 0.90  # content for other roles only
SERVICE_BOOST = 1.15  # the query asks for a number, website or contact
PHRASE_WORD_SHARE = 0.4  # weight of each word of a multi-word synonym, beside the concept it names
# Words that only say where the asker works, implied by their role: they count for less.
ROLE_CONTEXT = {"faith-leader": frozenset({"faith_community", "faith_leader"})}
CONTEXT_SHARE = 0.3
IDF_POWER = 0.7  # below 1, rare words count for less against common ones
UNKNOWN_WORD_SHARE = 1.5  # weight of a query word we know nothing about, as a share of the mean rarity
_KIND_ORDER = {"guidance": 0, "flow": 1, "service": 2}

NO_WORDS = "the query has no words to search for"
NO_MATCH = "nothing matched the query"


def normalise_role(role: str | None) -> str | None:
    """'Faith leader', 'faith_leader' -> 'faith-leader'; unknown roles -> None."""
    if not role:
        return None
    role = "-".join(words(role))
    return role if role in AUDIENCES and role != "any" else None


def _role_factor(role: str, audience: frozenset[str]) -> float:
    """Content for the asking role is boosted, the more so the fewer other roles it is written for;
    content for other roles only is damped; content for anyone is left as it is."""
    if role in audience:
        others = len(audience - {"any", role})
        return 1 + (ROLE_BOOST - 1) / (1 + others)
    return 1.0 if "any" in audience else ROLE_OTHER


class SearchIndex:
    """Build with `SearchIndex.build(content)`; query with `index.search("marac threshold")`."""

    def __init__(self, documents: list[Document], synonyms: SynonymMap,
                 confident_score: float = CONFIDENT_SCORE) -> None:
        self.documents = documents
        self.synonyms = synonyms
        self.confident_score = confident_score
        postings: dict[str, dict[int, float]] = {}
        phrases: list[tuple[str, ...]] = []  # title and synonyms as terms
        wordings: list[tuple[str, ...]] = []  # ... and word for word
        for i, doc in enumerate(documents):
            for name, texts in doc.fields.items():
                weight = FIELD_WEIGHTS[name]
                for text in texts:
                    for term in synonyms.terms(text, keep_phrase_words=True):
                        held = postings.setdefault(term.term, {})
                        if held.get(i, 0.0) < weight:
                            held[i] = weight
            phrases.append(tuple(dict.fromkeys(
                p for p in (" ".join(t.term for t in synonyms.terms(ph)) for ph in doc.phrases) if p)))
            wordings.append(tuple(dict.fromkeys(
                p for p in (" ".join(words(ph, synonyms.spellings)) for ph in doc.phrases) if p)))
        n = len(documents)
        self._postings = {term: tuple(held.items()) for term, held in postings.items()}
        self._idf = {term: math.log(1 + (n - len(held) + 0.5) / (len(held) + 0.5)) ** IDF_POWER
                     for term, held in postings.items()}
        self._mean_idf = sum(self._idf.values()) / len(self._idf) if self._idf else 1.0
        self._phrases = phrases
        self._wordings = wordings
        plain = (term for term in postings if "_" not in term)
        self.lexicon = Lexicon.from_words(plain, synonyms.single_word_variants())

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
        wants_service = any(not t.concept and t.term in SERVICE_WORDS for t in terms)
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
            boost = _role_factor(role, doc.audience) if role else 1.0
            return boost * (SERVICE_BOOST if wants_service and doc.kind == "service" else 1.0)

        primary = matched[: len(terms)]
        query_phrase = " ".join(found[0].term if found else t.term for t, (_, found) in zip(terms, primary,
                                                                                            strict=True))
        query_wording = " ".join(words(text, self.synonyms.spellings))
        # A phrase matched only through typo corrections is less sure than one typed as we know it.
        certainty = sum(found[0].similarity if found else 1.0 for _, found in primary) / len(terms)
        shortlist = heapq.nlargest(RESCORED, coverage,
                                   key=lambda i: coverage[i] * factor(self.documents[i]))
        scored = []
        for doc_index in shortlist:
            doc = self.documents[doc_index]
            phrase = max((fuzz.token_set_ratio(query_phrase, p) for p in self._phrases[doc_index]), default=0)
            wording = max((fuzz.token_sort_ratio(query_wording, p) for p in self._wordings[doc_index]),
                          default=0)
            similarity = (1 - WORDING_SHARE) * phrase + WORDING_SHARE * wording
            score = 100 * COVERAGE_SHARE * coverage[doc_index] / total + (1 - COVERAGE_SHARE) * certainty * similarity
            scored.append((score * factor(doc), doc))
        # Sorted before capping at 100, so boosts still order the documents that reach it.
        scored.sort(key=lambda item: (-item[0], _KIND_ORDER[item[1].kind], item[1].id))
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
                for word in (w for part in t.surface.split() for w in self.synonyms.terms(part)):
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
        fixes = {t.term: found[0].surface for t, (_, found) in zip(terms, matched[: len(terms)], strict=True)
                 if found and found[0].corrected}
        if fixes:
            return " ".join(fixes.get(w, w) for w in words(text, self.synonyms.spellings))
        if not confident and hits:
            return hits[0].title
        return None

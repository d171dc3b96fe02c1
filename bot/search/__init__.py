"""Free-text search over guidance entries, flows and services (no channels, storage or HTTP here).

    index = SearchIndex.build(load_content())     # once, at start-up
    results = index.search("marac threshold", k=3, role="practitioner")
    results.hits[0].id, results.confident, results.did_you_mean
"""

from bot.search.documents import Document, documents_from_content
from bot.search.index import SearchIndex
from bot.search.results import Hit, SearchResults
from bot.search.scoring import CONFIDENT_SCORE, normalise_role
from bot.search.synonyms import SynonymMap

__all__ = ["SearchIndex", "SearchResults", "Hit", "Document", "SynonymMap", "CONFIDENT_SCORE",
           "documents_from_content", "normalise_role"]

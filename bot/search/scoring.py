"""How a document's score is made: the tuning knobs in one place, and the role and name factors.

A document's score (0-100) is COVERAGE_SHARE x *coverage* (how much of the query it holds: each query
term weighted by its rarity, found in the document's best field for it, typos and prefixes counting a
little less) plus the rest x *name similarity* (rapidfuzz's token-set ratio of the query against the
document's title and synonyms, scaled by how much of the name the query holds, blended with a token-sort
ratio of the words as typed), times the audience factor for the asking role and the service and
training-scenario factors. The knobs were set on tests/eval/queries.yaml; re-run `pathways eval` after
changing any of them."""

from __future__ import annotations

from bot.flows.model import AUDIENCES
from bot.search.normalise import words

__all__ = ["CONFIDENT_SCORE", "normalise_role", "role_factor", "name_weight"]

# Calibrated on tests/eval/queries.yaml against 45 off-topic queries ("train times to london"): at 44, 84%
# of right first answers are confident and 2 of the 45 off-topic queries are.
CONFIDENT_SCORE = 44.0
COVERAGE_SHARE = 0.7  # the rest is phrase similarity
RECALL_FLOOR = 0.5  # a name's similarity counts fully only when the query holds all of its terms
PRECISION_FLOOR = 0.7  # ... and it holds all of the query's
WORDING_SHARE = 0.3  # of the phrase similarity, the share from comparing the words as typed
RESCORED = 60  # documents with the best coverage get the (dearer) phrase comparison
ROLE_BOOST = 1.12  # content written for the asking role alone
ROLE_OTHER = 0.90  # content for other roles only
SERVICE_BOOST = 1.15  # the query asks for a number, website or contact
PHONE_BOOST = 1.05  # ... for a number, and the service has one
EXERCISE_FACTOR = 0.85  # training scenarios, unless a trainer asks or the query mentions training
PHRASE_WORD_SHARE = 0.4  # weight of each word of a multi-word synonym, beside the concept it names
# Words that only say where the asker works, implied by their role: they count for less.
ROLE_CONTEXT = {"faith-leader": frozenset({"faith_community", "faith_leader"})}
CONTEXT_SHARE = 0.3
IDF_POWER = 0.7  # below 1, rare words count for less against common ones
UNKNOWN_WORD_SHARE = 1.5  # weight of a query word we know nothing about, as a share of the mean rarity
KIND_ORDER = {"guidance": 0, "flow": 1, "service": 2}



def normalise_role(role: str | None) -> str | None:
    """'Faith leader', 'faith_leader' -> 'faith-leader'; unknown roles -> None."""
    if not role:
        return None
    role = "-".join(words(role))
    return role if role in AUDIENCES and role != "any" else None


def name_weight(name: dict[str, float], query: dict[str, float]) -> float:
    """How far a name's similarity to the query counts: fully when the query holds all of the name and
    the name all of the query, each share weighted by the terms' rarity (term -> weight in both)."""
    name_total, query_total = sum(name.values()), sum(query.values())
    recall = sum(w for t, w in name.items() if t in query) / name_total if name_total else 0.0
    precision = sum(w for t, w in query.items() if t in name) / query_total if query_total else 0.0
    return (RECALL_FLOOR + (1 - RECALL_FLOOR) * recall) * (PRECISION_FLOOR + (1 - PRECISION_FLOOR) * precision)


def role_factor(role: str, audience: frozenset[str]) -> float:
    """Content for the asking role is boosted, the more so the fewer other roles it is written for;
    content for other roles only is damped; content for anyone is left as it is."""
    if role in audience:
        others = len(audience - {"any", role})
        return 1 + (ROLE_BOOST - 1) / (1 + others)
    return 1.0 if "any" in audience else ROLE_OTHER

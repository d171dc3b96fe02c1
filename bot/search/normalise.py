"""Turn free text into comparable words: fold case, accents and punctuation, British spellings, stems.

The same functions process the content at build time and each query at search time, so both sides meet
on the same words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_WORDS", "STOP_WORDS", "TEXTSPEAK", "SERVICE_WORDS", "PHONE_WORDS",
           "TRAINING_WORDS", "fold", "words", "stem", "Spellings"]

# Longer queries are cut before any work is done, so a pasted essay costs no more than a long question.
MAX_QUERY_CHARS = 300
# At most this many searchable words of a query are matched (a 300-character query has ~50).
MAX_QUERY_WORDS = 24

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_DOTTED = re.compile(r"(?<=[a-z0-9])\.(?=[a-z0-9])")  # "n.h.s" -> "nhs", "e.g" -> "eg"
_WORD = re.compile(r"[a-z]+|[0-9]+")  # "15yo" -> "15", "yo"; "24hr" -> "24", "hr"

# Function words and chat filler: they say nothing about which entry is wanted. Synonym phrases are
# matched before these are dropped, so "no recourse" and "she told me" still count.
STOP_WORDS = frozenset(
    """
    a an the and or but if then so than of in on at to for from by with about into onto over under
    as is are was were be been being am do does did doing done have has had having get gets got getting
    i me my mine myself we us our ours you your yours he him his she her hers herself they them their
    theirs it its this that these those there here what whats which who whom whose when where why how
    can cant could should would will wont shall may might must need needs want wants im ive id
    not no dont doesnt didnt isnt just now please pls plz ok okay hi hello thanks thank very really
    some any all more most other also too up out off again one someone somebody something anything
    tell told know knew think say said let lets go going way thing things still after before between
    next etc eg ie like yet because cos coz since while though although either neither whether each every
    both only own same such until unless via per through during even ever much many few lot lots bit
    quite rather else instead already always often sometimes usually maybe perhaps sure help
    last night tonight today yesterday tomorrow morning evening afternoon weekend ago recently currently
    happened happening happen keeps kept
    hes shes hed theyre youre theyve weve youve wont cant dont isnt im ive its thats theres whats wasnt
    arent couldnt shouldnt wouldnt hasnt havent didnt doesnt hell shell youll theyll against
    """.split()
)

# Words asking for a way to reach someone: they are not matched against text but favour services.
SERVICE_WORDS = frozenset(
    "number numbers phone telephone tel call ring contact contacts website site web email details "
    "text whatsapp".split()
)

# ... of which these ask for a phone number.
PHONE_WORDS = frozenset("number numbers phone telephone tel call ring text whatsapp".split())

# Words that say the asker wants training material (scenarios) rather than guidance to act on.
TRAINING_WORDS = frozenset(
    "training train trainer trainers trainees scenario scenarios exercise exercises practice practise roleplay "
    "quiz case study studies session sessions induction teach teaching workshop course".split()
)

_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ures", "ure", "ies", "ied", "ers",
             "ed", "es", "er", "s", "e")


def fold(text: str) -> str:
    """Lower-case ASCII text: accents stripped, apostrophes and dotted abbreviations joined, '&' read as
    'and', everything that is not a Latin letter or digit turned into a space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    return _DOTTED.sub("", text)


# Text-message spellings people use mid-shift, read as the words they stand for.
TEXTSPEAK = {
    "wot": "what", "wat": "what", "u": "you", "ur": "your", "r": "are", "thx": "thanks", "tho": "though",
    "wk": "week", "wks": "weeks", "yr": "year", "yrs": "years", "hosp": "hospital", "txt": "text",
    "msg": "message", "ppl": "people", "abt": "about", "bc": "because", "govt": "government",
    "dept": "department", "info": "information", "docs": "documents", "tonite": "tonight", "nite": "night",
    "tmrw": "tomorrow", "yday": "yesterday", "wanna": "want", "gonna": "going", "pls": "please",
    "plz": "please", "org": "organisation", "orgs": "organisations", "prof": "professional",
}


def words(text: str, spellings: Mapping[str, str] | None = None) -> list[str]:
    """The Latin words and numbers of `text`, folded, with text-message spellings written out and
    American spellings made British."""
    found = [TEXTSPEAK.get(w, w) for w in _WORD.findall(fold(text))]
    if spellings:
        found = [spellings.get(w, w) for w in found]
    return found


def stem(word: str) -> str:
    """A light suffix-stripping stem ("referrals", "referred" -> "referr"), used only to treat word forms
    as near-equal; it never replaces the word itself."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class Spellings(dict[str, str]):
    """American -> British spellings from knowledge/synonyms.yaml `spellings`, folded."""

    @classmethod
    def from_mapping(cls, raw: object) -> Spellings:
        spellings = cls()
        if isinstance(raw, Mapping):
            for american, british in raw.items():
                us, uk = words(str(american)), words(str(british))
                if len(us) == 1 and len(uk) == 1 and us != uk:
                    spellings[us[0]] = uk[0]
        return spellings

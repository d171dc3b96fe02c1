from __future__ import annotations

import pytest

from bot.search.scoring import ROLE_BOOST, ROLE_OTHER, name_weight, normalise_role, role_factor


@pytest.mark.parametrize(
    ("given", "role"),
    [("faith_leader", "faith-leader"), ("Faith leader", "faith-leader"), ("TRAINER", "trainer"),
     ("wizard", None), ("any", None), ("", None), (None, None)],
)
def test_normalise_role(given, role):
    assert normalise_role(given) == role


def test_role_factor_prefers_content_for_that_role_alone():
    only = role_factor("faith-leader", frozenset({"faith-leader"}))
    shared = role_factor("faith-leader", frozenset({"faith-leader", "practitioner", "trainer"}))
    anyone = role_factor("faith-leader", frozenset({"any"}))
    other = role_factor("faith-leader", frozenset({"practitioner"}))
    assert only == pytest.approx(ROLE_BOOST)
    assert only > shared > anyone == 1.0 > other == ROLE_OTHER


def test_name_weight_counts_rare_terms_most():
    name = {"standing": 2.0, "together": 2.0, "domestic_abuse": 0.5}
    assert name_weight(name, dict(name)) == pytest.approx(1.0)
    most = name_weight(name, {"standing": 2.0, "together": 2.0})
    least = name_weight(name, {"domestic_abuse": 0.5})
    assert 1.0 > most > least > 0
    # a name that is a small part of a long query counts for less than the same name asked for alone
    assert name_weight({"women": 1.0}, {"women": 1.0, "hit": 3.0}) < name_weight({"women": 1.0}, {"women": 1.0})
    assert name_weight({}, {}) > 0

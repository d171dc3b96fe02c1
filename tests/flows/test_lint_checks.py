"""Each kind of broken flow fails at load time with file:line, node, field and a fix (table-driven)."""

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.content.library import load_content

GOOD = """\
id: t
title: Test flow
audience: [any]
summary: A test.
version: 1
reviewed: 2026-11-26
review_by: 2099-01-01
sources:
  - title: Source
    url: https://example.org
start: first
nodes:
  first:
    ask: Pick one
    options:
      - label: Refer
        next: refer_high_risk
      - label: Other
        next: other
  refer_high_risk:
    end: refer_marac
  other:
    end: done
"""

CASES = {
    "unknown target": (
        GOOD.replace("next: refer_high_risk", "next: refer_high"),
        17, "first", "routes to 'refer_high', which does not exist (did you mean 'refer_high_risk'?)"),
    "misspelt key": (GOOD.replace("    ask: Pick one", "    aks: Pick one"), 14, "first", "unknown key 'aks' (did you mean 'ask'?)"),
    "missing field": (GOOD.replace("title: Test flow\n", ""), None, None, "'title' is required"),
    "wrong type": (GOOD.replace("version: 1\n", "version: [1]\n"), 5, None, "version"),
    "bad yaml": (GOOD.replace("  first:\n", "  first\n"), None, None, "not valid YAML"),
    "unreachable": (GOOD + "  lost:\n    end: lost\n", 24, "lost", "no path leads here"),
    "dead end": (GOOD.replace("  other:\n    end: done", "  other:\n    say: Hello"), 22, "other",
                 "neither ends nor leads anywhere"),
    "cycle without exit": (GOOD.replace("  other:\n    end: done",
                                        "  other:\n    ask: Again?\n    options:\n      - label: Loop\n        next: other"),
                           22, "other", "no path from here reaches an 'end'"),
    "route without else": (GOOD.replace("  other:\n    end: done",
                                        "  other:\n    route:\n      - when: x > 1\n        next: refer_high_risk\n"
                                        "  x_node:\n    ask: x?\n    number: {min: 0, max: 5}\n    save: x\n    next: other"),
                           23, "other", "final '- else: NODE'"),
    "undefined variable": (GOOD.replace("  other:\n    end: done",
                                        "  other:\n    route:\n      - when: ric_yes >= 14\n        next: refer_high_risk\n"
                                        "      - else: done_node\n  done_node:\n    end: done"),
                           24, "other", "condition uses 'ric_yes', which no node saves"),
    "undefined template name": (GOOD.replace("  other:\n    end: done", "  other:\n    say: You said {scroe}\n    end: done"),
                                23, "other", "'{scroe}' is not saved by any node"),
    "unsafe expression": (GOOD.replace("  other:\n    end: done",
                                       "  other:\n    route:\n      - when: __import__('os')\n        next: refer_high_risk\n"
                                       "      - else: done_node\n  done_node:\n    end: done"),
                          24, "other", "is not allowed"),
    "missing sources": (GOOD.replace("sources:\n  - title: Source\n    url: https://example.org\n", "sources: []\n"),
                        8, None, "at least one source"),
    "duplicate option": (GOOD.replace("label: Other", "label: Refer"), 18, "first", "two options are both 'refer'"),
    "reserved word option": (GOOD.replace("label: Other", "label: Stop"), 18, "first", "reserved word 'stop'"),
    "duplicate key": (GOOD + "  other:\n    end: again\n", 24, None, "duplicate key 'other'"),
    "two actions": (GOOD.replace("  other:\n    end: done", "  other:\n    end: done\n    number: {min: 0, max: 1}"),
                    None, "other", "a node can do only one thing"),
    "high-risk without referral": (GOOD.replace("  first:\n", "  first:\n    tags: [high-risk]\n")
                                   .replace("end: refer_marac", "end: signposted"), 13, "first",
                                   "tagged high-risk but no path"),
    "bad start": (GOOD.replace("start: first", "start: frist"), 11, None, "did you mean 'first'"),
}


@pytest.mark.parametrize("name", CASES)
def test_each_broken_flow_is_reported_with_file_line_node_and_fix(tmp_path: Path, name):
    text, line, node, message = CASES[name]
    (tmp_path / "flows").mkdir()
    path = tmp_path / "flows" / "t.yaml"
    path.write_text(textwrap.dedent(text))
    content = load_content(tmp_path, with_knowledge=False, today=dt.date(2026, 11, 26))
    matching = [p for p in content.errors if message in str(p)]
    assert matching, f"{name}: got {[str(p) for p in content.errors]}"
    problem = matching[0]
    assert problem.path == str(path)
    if line is not None:
        assert problem.line == line, str(problem)
    if node is not None:
        assert problem.node == node
    assert str(problem).startswith(f"{path}:")


def test_the_good_flow_has_no_problems(tmp_path: Path):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "t.yaml").write_text(GOOD)
    assert load_content(tmp_path, with_knowledge=False, today=dt.date(2026, 11, 26)).problems == []


def test_review_date_in_the_past_and_long_text_are_warnings(tmp_path: Path):
    (tmp_path / "flows").mkdir()
    text = GOOD.replace("review_by: 2099-01-01", "review_by: 2020-01-01").replace("ask: Pick one", "ask: " + "word " * 120)
    (tmp_path / "flows" / "t.yaml").write_text(text)
    content = load_content(tmp_path, with_knowledge=False, today=dt.date(2026, 11, 26))
    assert content.errors == []
    messages = [str(p) for p in content.warnings]
    assert any("review_by 2020-01-01 is in the past" in m for m in messages)
    assert any("SMS segments" in m and "node 'first' field 'ask'" in m for m in messages)


@pytest.mark.parametrize(("number", "ok"), [("0808 2000 247", True), ("0800 1111", True), ("999", True),
                                            ("116 123", True), ("+44 20 7008 0151", True), ("0808 200", False),
                                            ("12345", False), ("call us", False)])
def test_uk_phone_numbers_are_checked(number, ok):
    from bot.content.services import is_uk_number

    assert is_uk_number(number) is ok

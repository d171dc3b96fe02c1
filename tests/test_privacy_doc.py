"""docs/privacy.md and docs/metrics.md keep up with the code: a data-protection officer signs off what they
say, so a new table, column, saved answer, notice wording or metric must not reach production unlisted."""

from __future__ import annotations

import inspect
import re

import pytest

from bot.conversation import service as conversation_service
from bot.conversation.respond import FORGET_WORDS, PRIVACY_NOTICE
from bot.safety import EMERGENCY_TEXT, PERSONAL_DATA_WARNING
from bot.server.metrics import ServerMetrics
from bot.storage.models import metadata
from tests.conftest import ROOT

PRIVACY = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
METRICS = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")


def section_naming(table: str) -> str:
    """The text under the first heading that names `table` in backticks, up to the next heading."""
    match = re.search(rf"^#+ [^\n]*`{re.escape(table)}`[^\n]*\n(.*?)(?=^#)", PRIVACY, re.MULTILINE | re.DOTALL)
    assert match, f"docs/privacy.md has no heading naming the table `{table}`"
    return match.group(1)


def quoted(text: str) -> str:
    """The doc's blockquotes as single lines, so a quoted notice can be compared with the code's string."""
    quotes, current = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            current.append(stripped.lstrip("> ").strip())
        elif current:
            quotes.append(" ".join(current))
            current = []
    return "\n".join(quotes + [" ".join(current)])


@pytest.mark.parametrize("table", sorted(metadata.tables))
def test_every_table_and_column_is_described(table):
    section = section_naming(table)
    missing = [c.name for c in metadata.tables[table].columns if f"`{c.name}`" not in section]
    assert not missing, f"docs/privacy.md, the section on `{table}`, does not describe: {missing}"


def saved_answers(content) -> set[tuple[str, str]]:
    return {(flow.id, node.save) for flow in content.catalog for node in flow.nodes.values() if node.save}


def test_the_saved_answers_table_lists_exactly_what_the_flows_save(shipped_content):
    table = PRIVACY.split("### The answers pathways save", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \| `([a-z0-9_]+)` \|", table, re.MULTILINE))
    saved = saved_answers(shipped_content)
    assert saved, "no flow saves anything: the check below would prove nothing"
    assert saved - documented == set(), "saved by a flow but not listed in docs/privacy.md"
    assert documented - saved == set(), "listed in docs/privacy.md but no flow saves it (any more)"


def test_free_text_a_flow_saves_is_named_in_the_doc(shipped_content):
    free_text = [(flow.id, node_id) for flow in shipped_content.catalog for node_id, node in flow.nodes.items()
                 if node.kind == "free_text" and node.save]
    paragraph = PRIVACY.split("Free-text answers saved by a flow:", 1)[1].split("\n\n", 1)[0]
    if not free_text:
        assert paragraph.strip().startswith("**none**")
    for flow_id, node_id in free_text:
        assert f"`{flow_id}`, node `{node_id}`" in paragraph, f"{flow_id}:{node_id} saves free text"
    assert any(node.kind == "free_text" for flow in shipped_content.catalog for node in flow.nodes.values())


@pytest.mark.parametrize("text", [PRIVACY_NOTICE, PERSONAL_DATA_WARNING, EMERGENCY_TEXT],
                         ids=["privacy notice", "personal-data warning", "emergency"])
def test_the_notices_users_see_are_quoted_word_for_word(text):
    assert " ".join(text.split()) in quoted(PRIVACY)


def test_every_forget_word_is_listed():
    erasure = PRIVACY.split("## Erasure", 1)[1].split("\n## ", 1)[0]
    missing = [word for word in FORGET_WORDS if word.casefold() not in erasure.casefold()]
    assert not missing


def test_every_stored_counter_is_listed_in_the_metrics_doc():
    source = inspect.getsource(conversation_service)
    names = set(re.findall(r'counts\["([a-z_]+)"', source)) | set(re.findall(r'\{\("([a-z_]+)", ', source))
    names |= set(re.findall(r'count_events?\(\s*"([a-z_]+)"', source))
    assert {"messages", "flow_ended"} <= names  # the pattern still finds them
    stored = METRICS.split("## Stored counters", 1)[1].split("\n## ", 1)[0]
    missing = sorted(name for name in names if f"| `{name}` |" not in stored)
    assert not missing, f"docs/metrics.md does not list the stored counters {missing}"


def test_every_prometheus_metric_is_listed_in_the_metrics_doc():
    names = [collector.name for collector in ServerMetrics().registry.collect()]
    assert names
    missing = [name for name in names if f"`{name}`" not in METRICS and f"`{name}_total`" not in METRICS]
    assert not missing, f"docs/metrics.md does not list {missing}"

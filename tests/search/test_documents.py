from __future__ import annotations

from types import SimpleNamespace

from bot.search import SearchIndex, documents_from_content
from bot.search.documents import service_snippet


def test_documents_skip_subflows_and_mark_scenarios():
    def flow(id, kind):
        return SimpleNamespace(id=id, title=id.replace("-", " ").title(), summary="A flow.", tags=[],
                               synonyms=["marac threshold"] if id == "marac-referral" else [],
                               audience=["practitioner"], kind=kind)

    content = SimpleNamespace(guidance={}, services={}, synonyms={},
                              catalog=[flow("marac-referral", "pathway"), flow("emergency", "subflow"),
                                       flow("scenario-repeat", "scenario")])
    docs = documents_from_content(content)
    assert [(d.id, d.kind, d.exercise) for d in docs] == [("marac-referral", "flow", False),
                                                          ("scenario-repeat", "flow", True)]
    assert SearchIndex.build(content).search("marac thresold").hits[0].id == "marac-referral"


def test_service_snippet(shipped_content):
    helpline = shipped_content.services["national-domestic-abuse-helpline"]
    assert service_snippet(helpline) == f"{helpline.name}: {helpline.phone()}"


def test_every_shipped_item_is_a_document(shipped_content, search_index):
    ids = {(d.id, d.kind) for d in search_index.documents}
    assert {(g, "guidance") for g in shipped_content.guidance} <= ids
    assert {(s, "service") for s in shipped_content.services} <= ids
    assert {(f.id, "flow") for f in shipped_content.catalog if f.kind != "subflow"} <= ids

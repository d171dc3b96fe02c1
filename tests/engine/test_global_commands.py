"""MENU, BACK, RESTART and HELP work in every state; pinned flow versions are honoured."""

import datetime as dt

from bot.conversation.respond import respond
from bot.engine import ConversationState, step
from bot.engine.state import Frame
from bot.storage.base import StoredConversation


def test_back_returns_to_the_previous_question_and_restores_answers(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("1")
    demo_bot.push("5")
    assert demo_bot.answers()["how_many"] == 5
    demo_bot.push("back")
    assert "How many?" in demo_bot.pop_text()
    assert "how_many" not in demo_bot.answers()


def test_menu_and_restart_and_help(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("1")
    demo_bot.push("help")
    assert "MENU shows the main menu" in demo_bot.pop_text()
    assert "How many?" in demo_bot.pop_text()
    demo_bot.push("restart")
    assert "Which way?" in demo_bot.pop_text()
    demo_bot.push("MENU")
    assert "What do you need?" in demo_bot.pop_text()
    assert demo_bot.state()["frames"] == []


def test_engine_step_does_not_mutate_the_given_state(demo_content):
    state = ConversationState()
    turn = step(demo_content.catalog, state, "1")
    assert state == ConversationState()
    assert turn.state is not state


def test_a_missing_flow_version_restarts_with_an_explanation(demo_content):
    state = ConversationState(frames=[Frame(flow="demo", version="0-old", node="gone")])
    turn = step(demo_content.catalog, state, "1")
    text = " ".join(m.text for m in turn.messages)
    assert "updated since you started" in text
    assert turn.state.frames[0].version == "1" and turn.state.frames[0].node == "pick"


def test_a_corrupt_state_row_restarts_with_an_explanation(demo_content):
    stored = StoredConversation({"frames": [{"bogus": 1}]}, dt.datetime.now(dt.UTC))
    new_state, reply = respond(demo_content, stored, "hello", dt.datetime.now(dt.UTC))
    assert any("starting fresh" in m.text for m in reply.messages)
    assert new_state is not None


def test_an_idle_conversation_expires_with_a_short_note(demo_content):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
    stored = StoredConversation({"frames": [{"flow": "demo", "version": "1", "node": "count"}]}, old)
    new_state, reply = respond(demo_content, stored, "4", dt.datetime.now(dt.UTC))
    assert "starting fresh" in reply.messages[0].text
    assert new_state["frames"] == []


def test_a_new_pathway_starts_without_the_previous_cases_answers(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("1")
    demo_bot.push("5")
    demo_bot.push("restart")
    assert "how_many" not in demo_bot.answers()
    demo_bot.push("1")
    demo_bot.push("2")
    demo_bot.push("menu")
    demo_bot.start("demo")
    assert demo_bot.answers() == {}

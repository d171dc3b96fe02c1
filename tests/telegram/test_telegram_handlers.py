"""The Telegram handlers over a real SQLite store and an offline Bot API that records every call."""

from __future__ import annotations

import logging

from bot.channels.telegram_commands import COMMANDS, MOVED_ON, NOT_TEXT, SEARCH_USAGE, UNAVAILABLE, UNKNOWN_COMMAND
from bot.errors import StorageUnavailable

from .conftest import TelegramUser


async def test_start_shows_the_privacy_notice_then_asks_who_you_are_as_buttons(user):
    await user.command("/start")
    [reply] = user.replies
    text = reply.params["text"]
    assert reply.params["parse_mode"] == "HTML"
    assert text.startswith("<i>") and text.count("FORGET") == 1
    assert text.index("FORGET") < text.index("Who are you?")
    assert user.buttons[:3] == ["Frontline practitioner (health, housing, police, social care, IDVA)",
                                "Faith leader", "Trainer"]
    for _, data in reply.buttons:
        assert data.isdigit() and len(data) <= 2  # option keys only, nothing the user typed


async def test_the_role_picked_at_start_decides_the_menu(user):
    await user.start("Faith leader")
    assert "What do you need?" in user.text
    assert any(label.startswith("Faith leaders") for label in user.buttons)
    assert not any(label.startswith("MARAC referral") for label in user.buttons)
    await user.start("Frontline practitioner")
    assert any(label.startswith("MARAC referral") for label in user.buttons)
    assert "Practise a scenario" not in user.buttons
    await user.start("Trainer")
    assert "Practise a scenario" in user.buttons
    await user.start()
    assert any(label.startswith("MARAC referral") for label in user.buttons)
    assert "Practise a scenario" in user.buttons


async def test_start_again_later_still_shows_the_privacy_notice(user):
    await user.command("/start")
    await user.command("/start")
    assert user.text.count("FORGET") == 1 and "Who are you?" in user.text


async def test_a_deep_link_opens_a_pathway(user):
    await user.command("/start marac-referral")
    assert user.text.count("FORGET") == 1
    assert "is it safe for her to talk now" in user.text


async def test_pressing_a_button_answers_it_removes_the_keyboard_and_asks_the_next_question(tg, user):
    await user.start()
    menu = user.keyboard_message()
    calls = await user.press("MARAC referral")
    methods = [c.method for c in calls]
    assert methods[-1] == "sendMessage"
    assert {"answerCallbackQuery", "editMessageText"} <= set(methods[:-1])
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert edit.params["message_id"] == str(user.message_id_of(menu))
    assert "reply_markup" not in edit.params  # an edit without a keyboard removes it
    assert "\u2713 MARAC referral" in edit.params["text"]
    assert "is it safe for her to talk now" in user.text
    assert user.buttons == ["Safe to talk, no immediate danger", "Someone is in immediate danger",
                            "Not safe to talk right now"]


async def test_an_old_button_cannot_be_pressed_once_the_conversation_moved_on(tg, user):
    await user.start()
    menu = user.keyboard_message()
    await user.press("MARAC referral")
    calls = await user.press("Health disclosure", message=menu)
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert calls[0].params["text"] == MOVED_ON
    assert not user.replies


async def test_a_typed_answer_retires_the_buttons_of_the_question(tg, user):
    await user.start()
    menu = user.keyboard_message()
    calls = await user.say("1")
    [edit] = [c for c in calls if c.method == "editMessageReplyMarkup"]
    assert edit.params["message_id"] == str(user.message_id_of(menu))
    assert "is it safe for her to talk now" in user.text


async def test_a_second_press_before_the_buttons_went_is_ignored(tg, user):
    await user.start()
    first = user.press_update("MARAC referral")
    second = user.press_update("Health disclosure")
    await user.send_update(first)
    tg.channel.handlers.keyboards.forget_all()  # as after a restart: only Telegram's answer tells
    tg.api.fail("editMessageText", 400, "Bad Request: message is not modified: specified new message content "
                                        "and reply markup are exactly the same")
    tg.api.fail("editMessageReplyMarkup", 400, "Bad Request: message is not modified")
    calls = await user.send_update(second)
    assert not user.replies, [c.params.get("text") for c in calls]


async def test_the_same_update_twice_is_answered_once(tg, user):
    update = user.message_update("/menu")
    await user.send_update(update)
    assert user.replies
    await user.send_update(update)
    assert not user.replies


async def test_typing_outside_a_question_searches(user):
    await user.command("/menu")
    await user.say("marac threshold")
    assert "Here is what I found" in user.text
    assert any("MARAC" in label for label in user.buttons)


async def test_search_command_leaves_the_question_and_back_returns_to_it(user):
    await user.command("/start marac-referral")
    await user.command("/search safety plan")
    assert "Here is what I found" in user.text
    assert "What do you need?" not in user.text  # the menu it passed through is not shown
    await user.command("/back")
    assert "is it safe for her to talk now" in user.text


async def test_search_without_words_explains_how(tg, user):
    await user.command("/search")
    assert user.text == SEARCH_USAGE
    assert await tg.runtime.store.counters() == {}  # nothing reached the conversation


async def test_flows_lists_the_pathways_then_the_menu(user):
    await user.command("/flows")
    assert user.text.startswith("Pathways:")
    assert "Checks the four SafeLives MARAC referral criteria" in user.text
    assert any(label.startswith("MARAC referral") for label in user.buttons)


async def test_help_lists_every_command_and_repeats_the_question(user):
    await user.command("/start marac-referral")
    await user.command("/help")
    for name, _ in COMMANDS:
        assert f"/{name}" in user.text
    assert "is it safe for her to talk now" in user.text


async def test_about_gives_version_and_review_date(user):
    await user.command("/about")
    assert "Pathways 0.1.0" in user.text
    assert "Content last reviewed: 26 November 2026" in user.text


async def test_scenario_opens_the_scenario_list(user):
    await user.command("/scenario")
    assert "Which scenario?" in user.text
    assert len(user.buttons) >= 5


async def test_join_passes_the_code_to_the_conversation_core(tg, user):
    seen = []
    service = tg.runtime.service
    original = service.handle

    async def recording(channel, sender, text, **kwargs):
        seen.append(text)
        return await original(channel, sender, text, **kwargs)

    service.handle = recording
    await user.command("/join ABC123")
    assert seen == ["/join ABC123"]
    assert "training" in user.text and "Here is what I found" not in user.text  # a JOIN, not a search


async def test_forget_erases_what_we_hold(tg, user):
    await user.command("/start marac-referral")
    key = tg.runtime.service.key("telegram", str(user.user["id"]))
    assert await _stored(tg, key) is not None
    await user.command("/forget")
    assert "erased" in user.text
    assert await _stored(tg, key) is None


async def test_danger_is_answered_first_with_999(user):
    await user.command("/start marac-referral")
    await user.say("he has a knife and says he will kill her tonight")
    assert user.replies[0].params["text"].startswith("<b>\u26a0\ufe0f If anyone is in immediate danger, call 999")


async def test_photos_and_stickers_are_not_read(tg, user):
    await user.send_update(user.message_update(None, sticker={
        "file_id": "f", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1,
        "is_animated": False, "is_video": False}))
    assert user.text == NOT_TEXT
    assert await tg.runtime.store.counters() == {}


async def test_an_unknown_command_points_to_help(user):
    await user.command("/frobnicate")
    assert user.text == UNKNOWN_COMMAND


async def test_in_a_group_the_bot_says_once_that_it_works_in_private(tg):
    member = TelegramUser(tg, 5150, chat_id=-100777, chat_type="supergroup")
    other = TelegramUser(tg, 5151, chat_id=-100777, chat_type="supergroup")
    await member.command("/start")
    assert "only answer in private chats" in member.text and "@PathwaysTestBot" in member.text
    await member.say("marac threshold for my case")
    assert not member.replies
    await other.command("/menu")
    assert not other.replies
    assert await tg.runtime.store.counters() == {}  # no conversation was touched


async def test_a_user_who_blocked_the_bot_is_dropped_quietly(tg, user, caplog):
    tg.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with caplog.at_level(logging.INFO):
        calls = await user.command("/menu")
    assert [c.method for c in calls] == ["sendMessage"]  # not retried
    assert "blocked" in caplog.text


async def test_flood_control_waits_as_asked_and_retries(tg, user):
    tg.api.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await user.command("/menu")
    assert [c.method for c in user.calls] == ["sendMessage", "sendMessage"]
    assert tg.sleeps == [3.0]


async def test_flood_control_gives_up_after_two_waits(tg, user):
    tg.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=5)
    await user.command("/menu")
    assert len(user.calls) == 3
    assert tg.sleeps == [1.0, 1.0]


async def test_timeouts_are_retried_with_growing_pauses_then_given_up(tg, user):
    tg.api.fail("sendMessage", timeout=True, times=1)
    await user.command("/menu")
    assert len(user.calls) == 2 and tg.sleeps == [0.5]
    tg.sleeps.clear()
    tg.api.fail("sendMessage", timeout=True, times=10)
    await user.command("/menu")
    assert len(user.replies) == 3 and tg.sleeps == [0.5, 1.0]  # three tries in all, then dropped


async def test_html_telegram_cannot_parse_is_sent_again_as_plain_text(tg, user):
    tg.api.fail("sendMessage", 400, "Bad Request: can't parse entities: Unsupported start tag")
    await user.command("/about")
    assert len(user.calls) == 2
    assert "parse_mode" not in user.calls[1].params
    assert "Pathways 0.1.0" in user.calls[1].params["text"]


async def test_with_the_database_down_danger_is_still_answered(tg, user):
    async def unavailable(*args, **kwargs):
        raise StorageUnavailable("database down")

    tg.runtime.store.turn = unavailable
    await user.say("he is strangling her right now")
    assert user.replies[0].params["text"].startswith("<b>\u26a0\ufe0f If anyone is in immediate danger")
    assert UNAVAILABLE.split(".")[0] in user.text


async def test_logs_hold_no_text_no_user_id_no_name_no_token(tg, user, caplog):
    tg.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    tg.api.fail("editMessageText", 400, "Bad Request: message can't be edited")
    with caplog.at_level(logging.DEBUG):
        await user.command("/start")
        await user.command("/start")
        await user.say("4")  # the role: show me everything (typed: every sendMessage fails, so no buttons)
        await user.say("1")  # MARAC referral
        await user.say("Jane Smith at 12 Acacia Avenue is afraid of him")
        await user.command("/search strangulation")
        await tg.process({"update_id": 99, "callback_query": {"id": "x", "from": user.user, "chat_instance": "c",
                                                              "data": "1"}})
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records
    for forbidden in ("Jane", "Acacia", "strangulation", "MARAC referral", str(user.user["id"]), "Sam", "Example",
                      "offline-test-token"):
        assert forbidden not in logged, forbidden


async def _stored(tg, key):
    seen = {}

    def decide(stored, now):
        seen["state"] = stored
        return (stored.state if stored else None), None

    await tg.runtime.store.turn(key, None, decide)
    return seen["state"]


async def test_over_the_rate_limit_one_notice_then_silence_but_danger_is_still_answered(tg, user):
    from bot.abuse import LimitPolicy, MemoryLimitBackend, RateLimiter

    tg.runtime.extras["limiter"] = RateLimiter(MemoryLimitBackend(), LimitPolicy(sender_per_minute=2))
    await user.command("/menu")
    await user.say("marac threshold")
    assert "Here is what I found" in user.text
    await user.say("1")
    assert "paused for a minute" in user.text
    await user.command("/about")
    assert not user.replies
    await user.say("he is strangling her right now")
    [emergency] = user.replies
    assert emergency.params["text"].startswith("<b>\u26a0\ufe0f If anyone is in immediate danger")
    assert not any(c.method.startswith("edit") for c in user.calls)  # nothing changed, so the buttons stay


async def test_role_command_asks_again(user):
    await user.start("Faith leader")
    await user.command("/role")
    assert "Who are you?" in user.text
    await user.press("Trainer")
    assert "Practise a scenario" in user.buttons

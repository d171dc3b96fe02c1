"""The live trainer page over a real server and store: people join by SMS (signed Twilio webhooks), the
trainer's page shows them, guarded by TRAINER_TOKEN (bearer or signed link), and refreshes as answers come."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.errors import ConfigError
from bot.server.app import build_app
from bot.server.runtime import Runtime
from bot.storage.sql import open_store
from bot.training.links import sign_code
from tests.sms.conftest import SECRET, Phone, sms_settings
from tests.training.conftest import AE

TOKEN = "trainer-token-for-tests-0123456789"


@pytest.fixture
async def runtime(database_url, shipped_content):
    store = await open_store(database_url, auto_migrate=True)
    runtime = Runtime.create(sms_settings(database_url, trainer_token=TOKEN), shipped_content, store, SECRET)
    yield runtime
    await store.close()


@pytest.fixture
async def client(runtime):
    async with TestClient(TestServer(build_app(runtime, channels=("sms", "trainer")))) as client:
        yield client


@pytest.fixture
async def cohort(runtime, clock):
    from bot.training.cohorts import create_cohort

    return await create_cohort(runtime.store, runtime.content, name="CCR Leaders, Leeds", scenarios=(AE,),
                               expires_in=dt.timedelta(days=1), now=clock.now)


def page(code: str) -> str:
    return f"/trainer/cohorts/{code}"


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_page_needs_the_token_or_a_signed_link(client, cohort):
    code = cohort.code
    missing = await client.get(page(code))
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for headers, query, status in [
        (bearer("not-the-token-at-all-000000"), "", 403),
        ({"Authorization": f"Basic {TOKEN}"}, "", 403),
        ({}, "?sig=" + "0" * 32, 403),
        ({}, "?sig=" + sign_code(TOKEN, "ZZZZ22"), 403),  # a link for another cohort
        ({}, "?sig=" + sign_code("another-token-0123456789", code), 403),  # signed with an old token
        (bearer(), "", 200),
        ({}, "?sig=" + sign_code(TOKEN, code), 200),
    ]:
        response = await client.get(page(code) + query, headers=headers)
        assert response.status == status, (headers, query)
    lower = await client.get(page(code.lower()) + "?sig=" + sign_code(TOKEN, code))
    assert lower.status == 200  # the code is read as people type it


async def test_people_join_by_sms_and_the_page_counts_their_choices(client, cohort):
    for number, answers in {"+447700900001": ["2", "2"], "+447700900002": ["3"]}.items():
        phone = Phone(client, number=number)
        joined = await phone.say(f"JOIN {cohort.code}")
        assert "You joined \"CCR Leaders, Leeds\" as participant" in joined and "Reply MORE" in joined
        assert "What do you do first?" in await phone.say("MORE")  # the scenario, on the next page
        for answer in answers:
            await phone.say(answer)
    response = await client.get(page(cohort.code), headers=bearer())
    html = await response.text()
    assert response.content_type == "text/html"
    assert '<b class="joined">2</b> joined' in html and '<b class="answers">3</b> answers' in html
    first = re.search(r'<svg[^>]*id="s1-d1".*?</svg>', html, re.DOTALL).group(0)
    assert re.findall(r'data-option="(\d)" data-count="(\d+)"', first) == [("1", "0"), ("2", "1"), ("3", "1")]
    assert 'class="bar recommended" data-option="2"' in first


async def test_the_page_polls_a_signed_json_document_and_sees_new_answers(client, cohort):
    response = await client.get(page(cohort.code), headers=bearer())
    html = await response.text()
    nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in html
    poll = re.search(r'var u="([^"]+)"', html).group(1)
    assert poll == f"/trainer/cohorts/{cohort.code}/results.json?sig={sign_code(TOKEN, cohort.code)}"
    before = await (await client.get(poll)).json()  # no Authorization header: the projector's browser
    assert before["version"] == re.search(r'data-version="([^"]+)"', html).group(1) == "0-0-0"
    phone = Phone(client, number="+447700900003")
    await phone.say(f"JOIN {cohort.code}")
    await phone.say("1")
    after = await (await client.get(poll)).json()
    assert after["version"] == "1-1-1"  # joined, answered, and reached the emergency ending
    assert after["scenarios"][0]["decisions"][0]["options"] == {"1": 1, "2": 0, "3": 0}
    assert after["scenarios"][0]["decisions"][0]["recommended"] == ["2"]


async def test_an_empty_cohort_shows_a_waiting_page(client, cohort):
    html = await (await client.get(page(cohort.code), headers=bearer())).text()
    assert "Waiting for answers" in html and "0 people joined so far" in html


async def test_the_csv_has_one_row_per_answer(client, cohort):
    phone = Phone(client, number="+447700900004")
    await phone.say(f"JOIN {cohort.code}")
    await phone.say("2")
    response = await client.get(page(cohort.code) + "/results.csv", headers=bearer())
    assert response.status == 200 and response.content_type == "text/csv"
    lines = (await response.text()).splitlines()
    assert lines[0].startswith("cohort,participant,scenario,decision,option")
    assert lines[1].startswith(f"{cohort.code},1,{AE},first_step,2,")
    assert "+44" not in await response.text()


async def test_unknown_and_ended_cohorts(client, cohort, clock):
    unknown = await client.get(page("ZZZZ22"), headers=bearer())
    assert unknown.status == 404 and "No cohort has the code ZZZZ22" in await unknown.text()
    not_a_code = await client.get(page("hello"), headers=bearer())
    assert not_a_code.status == 404
    clock.advance(days=1)
    ended = await client.get(page(cohort.code), headers=bearer())
    assert ended.status == 410 and "has ended" in await ended.text()
    assert (await client.get(page(cohort.code) + "/results.json", headers=bearer())).status == 410


async def test_the_page_is_never_cached_framed_or_referred(client, cohort):
    response = await client.get(page(cohort.code), headers=bearer())
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy


async def test_the_access_log_holds_neither_code_nor_signature(client, cohort, caplog):
    caplog.set_level(logging.INFO)
    signature = sign_code(TOKEN, cohort.code)
    await client.get(page(cohort.code) + "?sig=" + signature)
    # `pathways serve` turns aiohttp's own access log off (access_log=None); what is left is ours.
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith("pathways"))
    assert "/trainer/cohorts/{code}" in logged
    assert cohort.code not in logged and signature not in logged


@pytest.mark.parametrize("token", [None, "too-short"])
async def test_the_trainer_routes_refuse_to_start_without_a_long_token(database_url, shipped_content, token):
    store = await open_store(database_url, auto_migrate=True)
    try:
        runtime = Runtime.create(sms_settings(database_url, trainer_token=token), shipped_content, store, SECRET)
        with pytest.raises(ConfigError, match="TRAINER_TOKEN"):
            build_app(runtime, channels=("trainer",))
    finally:
        await store.close()

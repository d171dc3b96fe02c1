"""`pathways serve`: refuses to start unsafely; health, readiness and metrics; graceful shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from bot.conversation.keys import user_key
from bot.server.app import build_app
from bot.storage.migrate import upgrade
from tests.server.instances import ROOT, start_instance
from tests.sms.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, SECRET, Phone


def serve(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PATHWAYS_SECRET", "TWILIO_AUTH_TOKEN")}
    return subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_serve_refuses_to_start_without_a_secret(tmp_path):
    result = serve({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 2
    assert "PATHWAYS_SECRET" in result.stderr


def test_serve_refuses_sms_without_a_public_url(tmp_path):
    result = serve({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PATHWAYS_SECRET": SECRET,
                    "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    assert result.returncode == 2
    assert "PUBLIC_BASE_URL" in result.stderr


def test_serve_names_an_invalid_variable(tmp_path):
    result = serve({"DATABASE_URL": "mysql://nope", "PATHWAYS_SECRET": SECRET})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


async def test_health_readiness_and_metrics(sms_runtime):
    async with TestClient(TestServer(build_app(sms_runtime, channels=("sms",)))) as client:
        assert (await client.get("/healthz")).status == 200
        ready = await client.get("/readyz")
        assert ready.status == 200
        assert (await ready.json())["checks"] == {"content": True, "database": True}
        await Phone(client).say("hi")
        await client.post("/sms/inbound", data={"From": "+447700900123"})  # unsigned: 403
        metrics = await (await client.get("/metrics")).text()
        assert 'pathways_http_requests_total{method="POST",route="/sms/inbound",status="200"} 1.0' in metrics
        assert 'pathways_http_requests_total{method="POST",route="/sms/inbound",status="403"} 1.0' in metrics
        assert "pathways_http_request_seconds_bucket" in metrics
        assert "+447700900123" not in metrics and "hi" not in metrics.split()


async def test_not_ready_when_the_database_is_gone(sms_runtime):
    async with TestClient(TestServer(build_app(sms_runtime, channels=("sms",)))) as client:
        await sms_runtime.store.close()
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["database"] is False
        assert (await client.get("/healthz")).status == 200  # the process is up: do not restart it


async def test_sigterm_lets_an_in_flight_webhook_finish(tmp_path, pg_url):
    """A webhook still being handled when SIGTERM comes is answered in full; then the server exits 0.

    The test holds the conversation's lock in PostgreSQL, so the turn is genuinely in flight (waiting for the
    lock) when the signal arrives; it lets go a second later.
    """
    upgrade(pg_url)
    env = {"DATABASE_URL": pg_url, "PATHWAYS_SECRET": SECRET, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    instance = start_instance(env, tmp_path, name="graceful")
    number = "+447700900444"
    blocker = await asyncpg.connect(pg_url)
    try:
        async with aiohttp.ClientSession(instance.url) as session:
            lock = blocker.transaction()
            await lock.start()
            await blocker.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))",
                                  user_key(SECRET, "sms", number))
            in_flight = asyncio.create_task(Phone(session, number=number).send("hi"))
            await asyncio.sleep(0.5)
            assert not in_flight.done()  # waiting for the conversation's lock
            os.kill(instance.process.pid, signal.SIGTERM)
            await asyncio.sleep(1.0)
            assert not in_flight.done() and instance.process.poll() is None  # shutting down, but waiting
            await lock.commit()  # let go: the turn completes
            replies = await asyncio.wait_for(in_flight, timeout=20)
        assert replies and "FORGET" in replies[0]
        assert instance.process.wait(timeout=30) == 0, instance.log()
    finally:
        await blocker.close()
        instance.stop()


async def test_server_logs_hold_no_message_text_or_phone_numbers(tmp_path):
    """Planted personal data sent through the real server at DEBUG never reaches its log output."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}", "PATHWAYS_SECRET": SECRET,
           "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "LOG_LEVEL": "DEBUG"}
    instance = start_instance(env, tmp_path, name="logscan")
    number = "+447700900861"
    planted = ["Zebedee Quartermaine", "born 03/04/1987", "zq.survivor@example.com", "SW1A 2AA",
               "943 476 5919", "07700 900862", "knife", "Flat 9 Orchard Mews"]
    try:
        async with aiohttp.ClientSession(instance.url) as session:
            phone = Phone(session, number=number)
            await phone.send("hi")
            await phone.send("1")
            await phone.send(f"{planted[0]} {planted[1]}, email {planted[2]}, {planted[3]}")
            await phone.send(f"NHS number {planted[4]}, call her on {planted[5]}")
            await phone.send(f"he has a {planted[6]} at {planted[7]}")
            await phone.send("forget")
            await session.post("/sms/inbound", data={"From": number, "Body": planted[0]})  # unsigned: 403
    finally:
        instance.stop()
    output = instance.log()
    assert '"route":"/sms/inbound"' in output  # the log was written, at DEBUG
    for secret in [number, number.lstrip("+"), "7700900861", *planted]:
        assert secret not in output, secret


async def test_conversation_events_and_segments_reach_the_metrics(sms_runtime):
    async with TestClient(TestServer(build_app(sms_runtime, channels=("sms",)))) as client:
        phone = Phone(client)
        await phone.say("hi")
        await phone.say("1")
        await phone.say("he is here now")
        metrics = await (await client.get("/metrics")).text()
    assert 'pathways_events_total{label="sms",name="messages"} 3.0' in metrics
    assert 'pathways_events_total{label="marac-referral",name="flow_started"} 1.0' in metrics
    assert 'pathways_events_total{label="sms",name="danger_detected"} 1.0' in metrics
    segments = [line for line in metrics.splitlines() if line.startswith("pathways_sms_segments_total ")]
    assert segments and float(segments[0].split()[1]) >= 3

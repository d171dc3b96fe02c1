"""A real aiohttp server with the SMS channel over a real SQLite store, and a phone that sends webhooks
signed exactly as Twilio signs them (the twilio library's own RequestValidator.compute_signature)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from bot.server.app import build_app
from bot.server.runtime import Runtime
from bot.settings import load_settings
from bot.storage.sql import open_store

AUTH_TOKEN = "twilio-test-auth-token-0123456789"
PUBLIC_BASE_URL = "https://pathways.example.org"
SECRET = "test-secret-for-pseudonymous-keys"


def new_sid() -> str:
    return f"SM{uuid.uuid4().hex}"  # unique across runs: shared limit stores remember message ids for hours


def sign(path: str, params: dict[str, str], token: str = AUTH_TOKEN, algorithm: str | None = None) -> str:
    return RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params, algorithm)


def messages_of(twiml: str) -> list[str]:
    root = ET.fromstring(twiml)  # noqa: S314 - TwiML from our own server under test
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


@dataclass
class Phone:
    """A phone texting the service: each `send` is one signed Twilio webhook; returns the reply bodies."""

    client: TestClient
    number: str = "+447700900123"
    sent: list[str] = field(default_factory=list)

    async def post(self, params: dict[str, str], *, signature: str | None = "sign", path: str = "/sms/inbound",
                   headers: dict[str, str] | None = None):
        headers = dict(headers or {})
        if signature == "sign":
            signature = sign(path, params)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return await self.client.post(path, data=params, headers=headers)

    async def send(self, body: str, *, sid: str | None = None, **extra: str) -> list[str]:
        params = {"From": self.number, "To": "+447700900999", "Body": body, "MessageSid": sid or new_sid(),
                  "NumMedia": "0", **extra}
        response = await self.post(params)
        assert response.status == 200, await response.text()
        assert response.content_type == "application/xml"
        return messages_of(await response.text())

    async def say(self, body: str) -> str:
        """Send and return the one reply text (empty when nothing is sent)."""
        replies = await self.send(body)
        assert len(replies) <= 1
        return replies[0] if replies else ""


def sms_settings(database_url: str, **overrides):
    values = dict(database_url=database_url, pathways_secret=SECRET, twilio_auth_token=AUTH_TOKEN,
                  public_base_url=PUBLIC_BASE_URL, telegram_bot_token=None, trainer_token=None)
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def sms_database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'sms.db'}"


@pytest.fixture
async def sms_runtime(shipped_content, sms_database_url):
    store = await open_store(sms_database_url)
    runtime = Runtime.create(sms_settings(sms_database_url), shipped_content, store, SECRET)
    yield runtime
    await store.close()


@pytest.fixture
async def sms_client(sms_runtime):
    app = build_app(sms_runtime, channels=("sms",))
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def phone(sms_client) -> Phone:
    return Phone(sms_client)

"""Secrets are hidden before a setting is shown: URL passwords, secret query parameters, secret settings."""

import pytest
from pydantic import SecretStr

from bot.errors import ConfigError
from bot.masking import MASK, mask_setting, mask_url
from bot.settings import load_settings


@pytest.mark.parametrize("url,shown", [
    ("postgresql://pathways:pw@db:5432/pathways", f"postgresql://pathways:{MASK}@db:5432/pathways"),
    ("postgresql://pathways@db/pathways", "postgresql://pathways@db/pathways"),
    ("postgresql://db/pathways?user=p&password=pw&sslmode=require",
     f"postgresql://db/pathways?user=p&password={MASK}&sslmode=require"),
    ("postgresql://u:p@ss/w?rd@db/x", f"postgresql://u:{MASK}@db/x"),
    ("redis://:pw@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
    ("rediss://default:pw@cache:6380", f"rediss://default:{MASK}@cache:6380"),
    ("sqlite:///var/lib/pathways/pathways.db", "sqlite:///var/lib/pathways/pathways.db"),
    ("https://example.org/hook?token=abc#frag", f"https://example.org/hook?token={MASK}#frag"),
    ("not a url", "not a url"),
])
def test_mask_url(url, shown):
    assert mask_url(url) == shown


@pytest.mark.parametrize("name,value,shown", [
    ("pathways_secret", SecretStr("x" * 32), MASK),
    ("TWILIO_AUTH_TOKEN", "plain-string-token", MASK),
    ("database_url", "postgresql://u:pw@h/db", f"postgresql://u:{MASK}@h/db"),
    ("retention_days", 30, 30),
    ("telegram_webhook_secret", None, None),
])
def test_mask_setting(name, value, shown):
    assert mask_setting(name, value) == shown


def test_a_start_up_error_names_the_variable_without_echoing_its_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://pathways:hunter2-secret@db/pathways")
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert "DATABASE_URL: " in message and "hunter2-secret" not in message
    assert f"mysql://pathways:{MASK}@db/pathways" in message

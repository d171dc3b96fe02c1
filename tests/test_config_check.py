"""`pathways config check`, run as an operator would: secrets never printed, invalid values named, and the
settings a network server would refuse reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.settings import Settings
from bot.settings_check import server_findings
from tests.conftest import ROOT

SETTING_NAMES = {name.upper() for name in Settings.model_fields}

# A configuration `pathways serve` accepts: PostgreSQL, https, every webhook authenticated.
GOOD = {
    "DATABASE_URL": "postgresql://pathways:Pg-pass-4f1c9@db.internal:5432/pathways?sslmode=require",
    "PATHWAYS_SECRET": "ps-7d3b0e2f4c1a9b8e6d5f",
    "PUBLIC_BASE_URL": "https://pathways.example.org",
    "TWILIO_AUTH_TOKEN": "tw-91b2c3d4e5f6a7b8",
    "TELEGRAM_BOT_TOKEN": "123456:tg-AAbbCCddEEff",
    "TELEGRAM_WEBHOOK_URL": "https://pathways.example.org/telegram/webhook",
    "TELEGRAM_WEBHOOK_SECRET": "whsec_0a1b2c3d4e5f6a7b",
    "TRAINER_TOKEN": "tr-5e6f7a8b9c0d1e2f",
    "REDIS_URL": "redis://:Redis-pass-8a7b@cache.internal:6379/0",
}
SECRETS = ["Pg-pass-4f1c9", "ps-7d3b0e2f4c1a9b8e6d5f", "tw-91b2c3d4e5f6a7b8", "tg-AAbbCCddEEff",
           "whsec_0a1b2c3d4e5f6a7b", "tr-5e6f7a8b9c0d1e2f", "Redis-pass-8a7b"]


@pytest.fixture(autouse=True)
def _no_settings_from_this_process(monkeypatch):
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


def config_check(*args, env=None, cwd):
    """Run the real command with only the given settings in the environment (and no .env unless in cwd)."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    return subprocess.run([sys.executable, "-m", "bot.cli", "config", "check", *args], cwd=cwd,
                          env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=120)


def report(result):
    return json.loads(result.stdout)


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_a_good_production_configuration_passes_and_no_secret_is_printed(tmp_path, fmt):
    result = config_check(*fmt, env=GOOD, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    for secret in SECRETS:
        assert secret not in output
    # What helps an operator check the target stays visible.
    assert "postgresql://pathways:********@db.internal:5432/pathways?sslmode=require" in output
    assert "redis://:********@cache.internal:6379/0" in output
    assert "https://pathways.example.org" in output


def test_the_json_report_lists_every_setting_masked_and_no_findings(tmp_path):
    data = report(config_check("--json", env=GOOD, cwd=tmp_path))
    assert set(data["settings"]) == SETTING_NAMES
    assert data["findings"] == []
    for name in ("PATHWAYS_SECRET", "TWILIO_AUTH_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
                 "TRAINER_TOKEN"):
        assert data["settings"][name] == "********"
    assert "LOG_LEVEL" in data["defaults"] and "DATABASE_URL" not in data["defaults"]
    assert data["settings"]["RETENTION_DAYS"] == 30


def test_a_password_with_unescaped_characters_is_still_masked(tmp_path):
    env = {**GOOD, "DATABASE_URL": "postgresql://pathways:a/b?c@d#e@db.internal/pathways"}
    result = config_check("--json", env=env, cwd=tmp_path)
    assert "a/b?c@d#e" not in result.stdout and "c@d" not in result.stdout
    assert report(result)["settings"]["DATABASE_URL"] == "postgresql://pathways:********@db.internal/pathways"


@pytest.mark.parametrize("name,value,complaint", [
    ("RETENTION_DAYS", "0", "greater than or equal to 1"),
    ("RETENTION_DAYS", "thirty", "valid integer"),
    ("LOG_LEVEL", "LOUD", "should match pattern"),
    ("SMS_HELP_MODE", "shout", "should match pattern"),
    ("PUBLIC_BASE_URL", "pathways.example.org", "should match pattern"),
    ("DATABASE_URL", "mysql://pathways:Pg-pass-4f1c9@db/pathways", "must start with sqlite:/// or postgresql://"),
])
def test_an_invalid_value_stops_with_the_variable_name_and_what_is_wrong(tmp_path, name, value, complaint):
    result = config_check(env={**GOOD, name: value}, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{name}: " in result.stderr and complaint in result.stderr
    assert "Traceback" not in result.stderr
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr


def test_two_invalid_values_are_both_named(tmp_path):
    result = config_check(env={"RETENTION_DAYS": "0", "SMS_SEGMENT_BUDGET": "99"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "RETENTION_DAYS: " in result.stderr and "SMS_SEGMENT_BUDGET: " in result.stderr


def test_settings_come_from_a_dot_env_file_in_the_working_directory(tmp_path):
    (tmp_path / ".env").write_text("RETENTION_DAYS=14\nLOCAL_AREA=Camden\n")
    data = report(config_check("--json", env=GOOD, cwd=tmp_path))
    assert data["settings"]["RETENTION_DAYS"] == 14 and data["settings"]["LOCAL_AREA"] == "Camden"
    assert "RETENTION_DAYS" not in data["defaults"]


def without(*names):
    return {k: v for k, v in GOOD.items() if k not in names}


# (environment, variable named, would `pathways serve` refuse it)
CASES = {
    "no secret": (without("PATHWAYS_SECRET"), "PATHWAYS_SECRET", True),
    "short secret": ({**GOOD, "PATHWAYS_SECRET": "short"}, "PATHWAYS_SECRET", True),
    "sms without public url": (without("PUBLIC_BASE_URL"), "PUBLIC_BASE_URL", True),
    "public url without sms token": (without("TWILIO_AUTH_TOKEN"), "TWILIO_AUTH_TOKEN", False),
    "sms over plain http": ({**GOOD, "PUBLIC_BASE_URL": "http://pathways.example.org"}, "PUBLIC_BASE_URL", False),
    "telegram webhook without secret": (without("TELEGRAM_WEBHOOK_SECRET"), "TELEGRAM_WEBHOOK_SECRET", True),
    "telegram secret Telegram rejects": ({**GOOD, "TELEGRAM_WEBHOOK_SECRET": "not allowed: spaces!"},
                                         "TELEGRAM_WEBHOOK_SECRET", True),
    "short telegram secret": ({**GOOD, "TELEGRAM_WEBHOOK_SECRET": "abc123"}, "TELEGRAM_WEBHOOK_SECRET", True),
    "telegram webhook over http": ({**GOOD, "TELEGRAM_WEBHOOK_URL": "http://pathways.example.org/telegram/webhook"},
                                   "TELEGRAM_WEBHOOK_URL", True),
    "telegram without webhook url": (without("TELEGRAM_WEBHOOK_URL"), "TELEGRAM_WEBHOOK_URL", True),
    "telegram settings without token": (without("TELEGRAM_BOT_TOKEN"), "TELEGRAM_BOT_TOKEN", False),
    "sqlite": ({**GOOD, "DATABASE_URL": "sqlite:///pathways.db"}, "DATABASE_URL", False),
    "sqlite without a path": ({**GOOD, "DATABASE_URL": "sqlite://"}, "DATABASE_URL", True),
    "content folder without flows": ({**GOOD, "PATHWAYS_CONTENT_DIR": "/nonexistent"}, "PATHWAYS_CONTENT_DIR", True),
    "short trainer token": ({**GOOD, "TRAINER_TOKEN": "abc"}, "TRAINER_TOKEN", False),
    "empty token": ({**GOOD, "TRAINER_TOKEN": ""}, "TRAINER_TOKEN", True),
    "empty webhook secret": ({**GOOD, "TELEGRAM_WEBHOOK_SECRET": ""}, "TELEGRAM_WEBHOOK_SECRET", True),
    "redis url with another scheme": ({**GOOD, "REDIS_URL": "http://cache:6379"}, "REDIS_URL", True),
}


@pytest.mark.parametrize("case", CASES)
def test_each_problem_a_server_would_have_is_reported_by_name(case):
    env, variable, refused = CASES[case]
    findings = server_findings(Settings(_env_file=None, **{k.lower(): v for k, v in env.items()}))
    assert [(f.variable, f.refused) for f in findings] == [(variable, refused)], [str(f) for f in findings]


def test_the_good_configuration_has_no_findings():
    assert server_findings(Settings(_env_file=None, **{k.lower(): v for k, v in GOOD.items()})) == []


def test_refusals_exit_1_and_warnings_only_with_strict(tmp_path):
    refused = config_check(env=without("PATHWAYS_SECRET"), cwd=tmp_path)
    assert refused.returncode == 1
    assert "refused: PATHWAYS_SECRET: " in refused.stdout and "refuses to start" in refused.stdout

    warned = {**GOOD, "DATABASE_URL": "sqlite:///pathways.db"}
    assert config_check(env=warned, cwd=tmp_path).returncode == 0
    strict = config_check("--strict", env=warned, cwd=tmp_path)
    assert strict.returncode == 1 and "warning: DATABASE_URL: SQLite" in strict.stdout


def test_an_emulator_may_use_a_plain_http_telegram_webhook():
    env = {**GOOD, "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:9000/telegram/webhook",
           "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081"}
    assert server_findings(Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})) == []

"""What `pathways config check` reports: the effective settings with secrets masked, and what a network
server (`pathways serve`) would refuse or is likely to get wrong with them. Pure: reads a Settings object,
touches no network or database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.errors import ConfigError
from bot.masking import mask_setting
from bot.settings import Settings
from bot.storage.sql_url import parse_database_url

__all__ = ["Finding", "SettingLine", "effective_settings", "server_findings"]

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class SettingLine:
    """One environment variable as the server will see it."""

    name: str
    shown: object  # the value, masked where it is or holds a secret
    from_default: bool


@dataclass(frozen=True)
class Finding:
    """Something about the configuration an operator should act on. `refused`: `pathways serve` will not
    start (or will not serve that channel) with it."""

    variable: str
    message: str
    refused: bool = False

    def __str__(self) -> str:
        return f"{self.variable}: {self.message}"


def effective_settings(settings: Settings) -> list[SettingLine]:
    """Every setting in declaration order, by environment variable name, secrets masked."""
    lines = []
    for field_name in type(settings).model_fields:
        value = getattr(settings, field_name)
        shown = mask_setting(field_name, str(value) if isinstance(value, Path) else value)
        lines.append(SettingLine(field_name.upper(), shown, field_name not in settings.model_fields_set))
    return lines


def server_findings(settings: Settings) -> list[Finding]:
    """What a network server would refuse, and settings that look wrong for one."""
    empty = _empty_secrets(settings)
    findings: list[Finding] = []
    for check in (_secret, _database, _content, _sms, _telegram, _trainer, _redis):
        findings += check(settings)
    reported = {finding.variable for finding in empty}
    return empty + [finding for finding in findings if finding.variable not in reported]


def _empty_secrets(settings: Settings) -> list[Finding]:
    """`TWILIO_AUTH_TOKEN=` (empty) counts as set: it would turn a channel on with no key to check."""
    findings = []
    for field_name in type(settings).model_fields:
        value = getattr(settings, field_name)
        if isinstance(value, SecretStr) and not value.get_secret_value() and field_name != "pathways_secret":
            findings.append(Finding(field_name.upper(), "is set but empty; remove the line instead",
                                    refused=True))
    return findings


def _secret(settings: Settings) -> list[Finding]:
    try:
        settings.require_secret()
    except ConfigError as exc:
        return [Finding("PATHWAYS_SECRET", str(exc).partition(": ")[2] + "; `pathways serve` refuses to start",
                        refused=True)]
    return []


def _database(settings: Settings) -> list[Finding]:
    try:
        database = parse_database_url(settings.database_url)
    except ConfigError as exc:
        return [Finding("DATABASE_URL", str(exc).partition(": ")[2], refused=True)]
    if database.backend == "sqlite":
        return [Finding("DATABASE_URL", "SQLite suits one server process on one machine; several instances "
                                        "(a load balancer, Kubernetes) need postgresql://")]
    return []


def _content(settings: Settings) -> list[Finding]:
    folder = settings.pathways_content_dir
    if folder is not None and not (folder / "flows").is_dir():
        return [Finding("PATHWAYS_CONTENT_DIR", f"{folder} has no flows/ folder; `pathways serve` refuses to "
                                                "start without content", refused=True)]
    return []


def _sms(settings: Settings) -> list[Finding]:
    token, base = settings.twilio_auth_token, settings.public_base_url
    if token is None and base is None:
        return []
    if token is None:
        return [Finding("TWILIO_AUTH_TOKEN", "not set, so SMS is off (no /sms/inbound route); set it to serve "
                                             "SMS")]
    if base is None:
        return [Finding("PUBLIC_BASE_URL", "required to serve SMS: the Twilio signature check signs the public "
                                           "URL Twilio calls; `pathways serve` refuses to start", refused=True)]
    findings = []
    parts = urlsplit(base)
    if parts.scheme != "https" and parts.hostname not in _LOCAL_HOSTS:
        findings.append(Finding("PUBLIC_BASE_URL", f"{base} is not https://; Twilio signs the exact URL it "
                                                   "calls, which should be your https:// address"))
    if parts.query or parts.fragment:
        findings.append(Finding("PUBLIC_BASE_URL", "must be a base URL without ?query or #fragment; the "
                                                   "request's path and query are appended to it"))
    return findings


def _telegram(settings: Settings) -> list[Finding]:
    """The channel's own start-up check (bot.channels.telegram), so this report and the server agree."""
    if settings.telegram_bot_token is None:
        if settings.telegram_webhook_url is not None or settings.telegram_webhook_secret is not None:
            return [Finding("TELEGRAM_BOT_TOKEN", "not set, so Telegram is off; "
                                                  "TELEGRAM_WEBHOOK_URL/SECRET are ignored")]
        return []
    from bot.channels.telegram import TelegramConfig

    try:
        TelegramConfig.from_runtime(_AsServed(settings))
    except ConfigError as exc:
        variable, _, message = str(exc).partition(": ")
        return [Finding(variable, f"{message}; `pathways serve` refuses to start", refused=True)]
    return []


@dataclass(frozen=True)
class _AsServed:
    """What a channel reads from the server's Runtime: the settings, and `pathways serve`'s default options
    (no --telegram-polling)."""

    settings: Settings
    extras: dict = field(default_factory=dict)


def _trainer(settings: Settings) -> list[Finding]:
    token = settings.trainer_token
    if token is not None and 0 < len(token.get_secret_value()) < 16:
        return [Finding("TRAINER_TOKEN", "shorter than 16 characters; it guards the trainer's cohort view on "
                                         "the public address")]
    return []


def _redis(settings: Settings) -> list[Finding]:
    url = settings.redis_url
    if url is not None and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        return [Finding("REDIS_URL", "must start with redis://, rediss:// or unix://", refused=True)]
    return []

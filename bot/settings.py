"""The one settings object, read once at start-up from the environment (and a `.env` file if present).

A missing or invalid value stops start-up with the variable's name and what is wrong with it.
Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.masking import mask_setting

__all__ = ["Settings", "get_settings", "load_settings"]


class Settings(BaseSettings):
    """Pathways configuration. Environment variable names are the field names in upper case."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field("sqlite:///pathways.db", description="Where conversation state is kept.")
    pathways_secret: SecretStr | None = Field(
        None, description="Key for pseudonymous user keys (HMAC-SHA256). Required to serve on the network."
    )
    pathways_content_dir: Path | None = Field(None, description="Folder holding flows/ and knowledge/.")
    conversation_expiry_minutes: int = Field(30, ge=1, le=24 * 60)
    retention_days: int = Field(30, ge=1, le=365, description="Idle data older than this is purged.")
    purge_interval_minutes: int = Field(60, ge=1)
    sms_segment_budget: int = Field(3, ge=1, le=10)
    sms_help_mode: str = Field("reply", pattern="^(reply|twilio)$",
                               description="'reply': we answer HELP; 'twilio': Advanced Opt-Out answers it.")
    public_base_url: str | None = Field(None, pattern=r"^https?://[^\s/]+(/.*)?$")
    twilio_auth_token: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str | None = None
    trainer_token: SecretStr | None = None
    local_area: str | None = Field(None, description="Borough whose local services are shown first.")
    marac_escalation_incidents: int = Field(3, ge=1, le=20,
                                            description="Local threshold for 'potential escalation'.")
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    rate_limit_per_minute: int = Field(20, ge=1)
    sms_segments_per_hour: int = Field(2000, ge=1)
    new_sms_senders_per_hour: int = Field(200, ge=1)
    redis_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    def flow_parameters(self) -> dict[str, object]:
        """Deployment overrides for flow parameters (thresholds that differ by area)."""
        return {"escalation_incidents": self.marac_escalation_incidents}

    def require_secret(self) -> str:
        if self.pathways_secret is None or len(self.pathways_secret.get_secret_value()) < 16:
            raise ConfigError(
                "PATHWAYS_SECRET: missing or shorter than 16 characters; a network server needs it to "
                "pseudonymise users (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return self.pathways_secret.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the environment; translate validation errors into a ConfigError naming each variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "?"
            shown = mask_setting(name, error.get("input"))  # never echo a password or token
            lines.append(f"{name}: {error['msg']} (got {shown!r})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

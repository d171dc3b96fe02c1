"""deploy/compose.yaml: valid against the Compose Specification's JSON schema (a copy ships in
tests/deploy/schemas, so the check is offline), and the services start in the right order."""

from __future__ import annotations

import copy
import json
import re
import shutil

import pytest
import yaml

from bot.settings import Settings
from tests.deploy.conftest import DEPLOY, need_module, run
from tests.deploy.schemas import COMPOSE_SCHEMA

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def schema_errors(document: dict) -> list[str]:
    jsonschema = need_module("jsonschema")
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_matches_the_compose_specification():
    assert schema_errors(compose()) == []


def test_the_schema_check_catches_a_typo_and_a_bad_condition():
    document = copy.deepcopy(compose())
    document["services"]["app"]["helthcheck"] = document["services"]["app"].pop("healthcheck")
    document["services"]["app"]["depends_on"]["migrate"]["condition"] = "service_done"
    errors = schema_errors(document)
    assert any("helthcheck" in e for e in errors) and len(errors) >= 2, errors


def test_postgres_is_healthy_then_migrations_run_then_the_app_starts():
    services = compose()["services"]
    db, migrate, app = services["db"], services["migrate"], services["app"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]
    assert migrate["command"] == ["pathways", "db", "upgrade"]
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert app["depends_on"] == {"db": {"condition": "service_healthy"},
                                 "migrate": {"condition": "service_completed_successfully"}}
    assert app["command"] == ["pathways", "serve", "--host", "0.0.0.0", "--port", "8080"]  # noqa: S104
    assert any("/readyz" in part or "/healthz" in part for part in app["healthcheck"]["test"])
    assert app["ports"] == ["127.0.0.1:8080:8080"]  # the reverse proxy, not the internet, reaches it
    assert migrate["image"] == app["image"] and migrate["build"] == app["build"]
    assert app["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    for service in (migrate, app):
        assert service["read_only"] is True and "ALL" in service["cap_drop"]
        assert service["environment"]["DATABASE_URL"].endswith("@db:5432/pathways")


def test_every_interpolated_variable_is_in_the_env_example():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    assert used and used <= example_names()


def example_names() -> set[str]:
    return {m.group(1) for m in re.finditer(r"^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE)}


def test_the_env_example_names_only_real_settings_and_loads():
    assert example_names() - SETTING_NAMES == {"POSTGRES_PASSWORD"}
    # Every setting an operator is likely to touch is in the example.
    assert SETTING_NAMES - example_names() <= {"TELEGRAM_API_BASE_URL"}
    settings = Settings(_env_file=str(ENV_EXAMPLE))
    assert settings.database_url.startswith("postgresql://") and settings.public_base_url.startswith("https://")


def test_docker_compose_accepts_the_file_when_it_is_installed(tmp_path):
    docker = shutil.which("docker")
    if docker is None or run(docker, "compose", "version").returncode != 0:
        pytest.skip("the docker compose plugin is not installed (the schema test above still checks the file)")
    (tmp_path / "deploy").mkdir()
    shutil.copy(COMPOSE, tmp_path / "deploy" / "compose.yaml")
    shutil.copy(ENV_EXAMPLE, tmp_path / "deploy" / ".env")  # what the operator's copy would be
    result = run(docker, "compose", "-f", str(tmp_path / "deploy" / "compose.yaml"), "config", "--quiet")
    assert result.returncode == 0, result.stderr

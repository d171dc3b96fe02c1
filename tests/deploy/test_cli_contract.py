"""Every `pathways …` command the deployment files run exists with those options, and the housekeeping
ones really run against a fresh database — so a renamed command or option fails here, not in production."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from bot.settings import Settings
from tests.conftest import ROOT
from tests.deploy.conftest import DEPLOY, k8s_documents, load_yaml_documents

SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def deployment_commands() -> dict[str, list[str]]:
    """Each distinct `pathways` command line in deploy/, without the executable, with where it was found."""
    found: dict[str, list[str]] = {}

    def add(argv: list[str], where: str) -> None:
        if argv and argv[0].endswith("pathways"):
            found.setdefault(shlex.join(argv[1:]), []).append(where)

    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for match in re.finditer(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE):
        add(json.loads(match.group(1)), "Dockerfile CMD")
    for name, service in load_yaml_documents(DEPLOY / "compose.yaml")[0]["services"].items():
        if "command" in service:
            add(service["command"], f"compose.yaml {name}")
    for file_name, doc in k8s_documents():
        text = json.dumps(doc)
        for match in re.finditer(r'"command": (\[[^\]]*\])', text):
            add(json.loads(match.group(1)), f"k8s/{file_name}")
    for unit in (DEPLOY / "systemd").glob("*.service"):
        for match in re.finditer(r"^Exec\w+=(.+)$", unit.read_text(), re.MULTILINE):
            add(shlex.split(match.group(1)), f"systemd/{unit.name}")
    return found


COMMANDS = deployment_commands()


def pathways(*args: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, env={**clean, "PYTHONPATH": str(ROOT), **(env or {})})


def test_the_deployment_uses_the_commands_it_documents():
    assert set(COMMANDS) >= {"serve --host 0.0.0.0 --port 8080", "serve --host 127.0.0.1 --port 8080",
                             "db upgrade", "purge --older-than 30d"}, COMMANDS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_and_its_options_exist(command, tmp_path):
    result = pathways(*shlex.split(command), "--help", cwd=tmp_path)
    assert result.returncode == 0, f"{command} (used in {COMMANDS[command]}): {result.stderr[-1000:]}"


def test_migrate_then_purge_run_against_a_fresh_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    for command in ("db upgrade", "purge --older-than 30d"):
        result = pathways(*shlex.split(command), cwd=tmp_path, env=env)
        assert result.returncode == 0, f"{command}: {result.stdout[-1000:]}{result.stderr[-1000:]}"


def test_migrate_and_purge_on_postgresql(pg_url, tmp_path):  # noqa: F811
    env = {"DATABASE_URL": pg_url}
    for command in ("db upgrade", "db upgrade", "purge --older-than 30d"):  # a second upgrade is a no-op
        result = pathways(*shlex.split(command), cwd=tmp_path, env=env)
        assert result.returncode == 0, f"{command}: {result.stdout[-1000:]}{result.stderr[-1000:]}"

"""deploy/systemd: `systemd-analyze verify` accepts the units with no complaint, and the server unit is
hardened and runs the commands the deployment relies on."""

from __future__ import annotations

import configparser
import shutil
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, need_tool, run

UNITS = sorted((DEPLOY / "systemd").glob("pathways*.*"))


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """Sections of a unit file, each key with every value it was given (systemd allows repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def fake_root(tmp_path: Path) -> Path:
    """A root holding the units, the executables they name and systemd's own units, so `verify` can
    resolve everything without the software being installed on this machine."""
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    for path in UNITS:
        shutil.copy(path, root / "etc/systemd/system" / path.name)
    for path in UNITS:
        for section in unit(path.name).values():
            for key in ("ExecStart", "ExecStartPre", "ExecReload"):
                for command in section.get(key, []):
                    executable = root / command.lstrip("-+!@").split()[0].lstrip("/")
                    executable.parent.mkdir(parents=True, exist_ok=True)
                    executable.write_text("#!/bin/sh\n")
                    executable.chmod(0o755)
    system_units = Path("/lib/systemd/system")
    if not system_units.is_dir():
        pytest.skip("this machine has no /lib/systemd/system for systemd-analyze to resolve targets against")
    shutil.copytree(system_units, root / "lib/systemd/system", symlinks=True)
    return root


def verify(tmp_path: Path, name: str) -> str:
    analyze = need_tool("systemd-analyze")
    root = fake_root(tmp_path)
    result = run(analyze, "verify", f"--root={root}", f"/etc/systemd/system/{name}")
    return (f"exit {result.returncode}\n" if result.returncode else "") + result.stdout + result.stderr


@pytest.mark.parametrize("path", UNITS, ids=[p.name for p in UNITS])
def test_systemd_analyze_verify_has_no_complaint(tmp_path, path):
    assert verify(tmp_path, path.name) == ""


def test_verify_does_complain_about_a_misspelt_setting(tmp_path):
    broken = (DEPLOY / "systemd" / "pathways.service").read_text().replace("ProtectSystem=strict",
                                                                          "ProtectSystem=strcit")
    analyze = need_tool("systemd-analyze")
    root = fake_root(tmp_path)
    (root / "etc/systemd/system/pathways.service").write_text(broken)
    result = run(analyze, "verify", f"--root={root}", "/etc/systemd/system/pathways.service")
    assert "strcit" in result.stdout + result.stderr


def test_the_server_unit_migrates_then_serves_on_loopback_and_reloads_on_sighup():
    service = unit("pathways.service")["Service"]
    assert service["ExecStartPre"] == ["/opt/pathways/venv/bin/pathways db upgrade"]
    assert service["ExecStart"] == ["/opt/pathways/venv/bin/pathways serve --host 127.0.0.1 --port 8080"]
    assert service["ExecReload"] == ["/opt/pathways/venv/bin/pathways content reload --pid $MAINPID"]
    assert service["EnvironmentFile"] == ["/etc/pathways/env"]
    assert service["Restart"] == ["on-failure"]
    assert service["StateDirectory"] == ["pathways"]
    assert service["WorkingDirectory"] == ["/var/lib/pathways"]


@pytest.mark.parametrize("name", ["pathways.service", "pathways-purge.service"])
def test_the_services_run_unprivileged_and_sandboxed(name):
    service = unit(name)["Service"]
    assert service["User"] == ["pathways"] or service.get("DynamicUser") == ["yes"]
    for key, value in {"ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                       "NoNewPrivileges": "yes", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes",
                       "CapabilityBoundingSet": "", "UMask": "0077"}.items():
        assert service[key] == [value], key
    assert service["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]


def test_the_purge_timer_runs_the_purge_daily():
    assert unit("pathways-purge.service")["Service"]["ExecStart"] == [
        "/opt/pathways/venv/bin/pathways purge --older-than 30d"]
    timer = unit("pathways-purge.timer")
    assert timer["Timer"]["Persistent"] == ["true"] and timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


def test_unit_files_parse_as_ini():
    # systemd-analyze is the real check; this one runs everywhere and catches a broken section header.
    for path in UNITS:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read_string(path.read_text())
        assert parser.sections()

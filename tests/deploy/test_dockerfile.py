"""deploy/Dockerfile and /.dockerignore: hadolint finds nothing, the image runs as a non-root user, the
build context carries the package and content but no secrets, and the HEALTHCHECK command really works.

No Docker engine runs here, so the image is not built; everything the build reads is checked instead."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.deploy.conftest import DEPLOY, need_tool, run

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    result = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


INSTRUCTIONS = instructions(DOCKERFILE.read_text())


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in INSTRUCTIONS:
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def test_hadolint_finds_nothing():
    hadolint = need_tool("hadolint")
    result = run(hadolint, "--no-color", "--format", "json", str(DOCKERFILE))
    assert result.returncode == 0 and json.loads(result.stdout or "[]") == [], result.stdout + result.stderr


def test_hadolint_does_flag_a_careless_dockerfile(tmp_path):
    hadolint = need_tool("hadolint")
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get update && apt-get install curl\nRUN pip install aiohttp\n")
    result = run(hadolint, "--no-color", "--format", "json", str(careless))
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert result.returncode != 0 and {"DL3007", "DL3008", "DL3013"} <= codes, codes


def test_two_slim_stages_the_second_non_root_with_the_serve_command():
    build, runtime = stages()
    assert build[0] == ("FROM", "python:3.11-slim AS build")
    assert runtime[0] == ("FROM", "python:3.11-slim")
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime
    user = [args for word, args in runtime if word == "USER"]
    assert user and not user[-1].startswith(("0", "root")), user
    cmd = json.loads(next(args for word, args in runtime if word == "CMD"))
    assert cmd == ["pathways", "serve", "--host", "0.0.0.0", "--port", "8080"]  # noqa: S104
    assert ("EXPOSE", "8080") in runtime
    # The runtime stage installs nothing: no compilers or package caches end up in the image.
    assert not [args for word, args in runtime if word == "RUN" and re.search(r"pip|apt-get", args)]


def healthcheck_command() -> list[str]:
    args = next(args for word, args in INSTRUCTIONS if word == "HEALTHCHECK")
    return json.loads(args[args.index("CMD") + 3:].strip())


def run_healthcheck(command: list[str], port: int) -> subprocess.CompletedProcess:
    """The HEALTHCHECK command as Docker would run it, with this Python and the test server's port."""
    assert command[0] == "python"
    code = command[command.index("-c") + 1]
    assert "http://127.0.0.1:8080/" in code
    return subprocess.run([sys.executable, "-c", code.replace(":8080/", f":{port}/")], capture_output=True,
                          text=True, timeout=30)


def test_the_healthcheck_uses_only_the_standard_library_and_asks_healthz():
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"] and "urllib.request" in command[2] and "/healthz" in command[2]


def test_the_healthcheck_passes_against_a_running_server(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    result = run_healthcheck(healthcheck_command(), port)
    assert result.returncode == 0, result.stderr


def test_the_healthcheck_fails_when_nothing_answers():
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert run_healthcheck(healthcheck_command(), port).returncode != 0


# --- the build context ----------------------------------------------------------------------------------


def dockerignore_patterns() -> list[tuple[bool, re.Pattern]]:
    """(excludes?, regex) per line of /.dockerignore, in order; later lines win, as in Docker."""
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        line = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(line):
            if line.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif line.startswith("**", i):
                regex += ".*"
                i += 2
            elif line[i] == "*":
                regex += "[^/]*"
                i += 1
            elif line[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(line[i])
                i += 1
        patterns.append((not include, re.compile(regex + "$")))
    return patterns


PATTERNS = dockerignore_patterns()


def excluded(relative: str) -> bool:
    """Docker's rule: a pattern that matches a path or any folder above it decides; the last match wins."""
    parts = relative.split("/")
    verdict = False
    for excludes, pattern in PATTERNS:
        if any(pattern.match("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            verdict = excludes
    return verdict


def test_the_context_carries_what_the_build_copies():
    for word, args in INSTRUCTIONS:
        if word == "COPY" and not args.startswith("--from"):
            *sources, _destination = args.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not excluded(source), f"COPY {source}, but .dockerignore leaves it out"
    shipped = [p.relative_to(ROOT).as_posix() for folder in ("bot", "flows", "knowledge")
               for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert shipped and not [path for path in shipped if excluded(path)]


@pytest.mark.parametrize("path", [".env", "deploy/.env", ".venv/bin/python", ".git/config", "pathways.db",
                                  "bot/pathways.db", "flows/.env", "tests/conftest.py", "bot/__pycache__/x.pyc",
                                  "prometheus_client-0.26.0-py3-none-any.whl", "deploy/env.example"])
def test_secrets_databases_and_local_files_stay_out_of_the_context(path):
    assert excluded(path)


def test_the_package_build_reads_only_files_in_the_context():
    """setuptools needs pyproject.toml, the readme it names, and the package: all three are sent."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for needed in ("pyproject.toml", project["readme"]):
        assert (ROOT / needed).is_file() and not excluded(needed)
    copied = " ".join(args for word, args in stages()[0] if word == "COPY")
    assert project["readme"] in copied and "pyproject.toml" in copied and "bot" in copied


def test_the_content_dir_the_image_sets_is_where_content_is_copied():
    env = " ".join(args for word, args in stages()[1] if word == "ENV")
    content_dir = re.search(r"PATHWAYS_CONTENT_DIR=(\S+)", env).group(1)
    copies = [args.split()[-1] for word, args in stages()[1] if word == "COPY" and not args.startswith("--from")]
    assert {str(Path(content_dir) / "flows"), str(Path(content_dir) / "knowledge")} <= set(copies)


def test_the_wheel_the_image_installs_runs_without_the_source_tree(tmp_path):
    """What the build stage does (`pip install .`), minus Docker: build the wheel, then run the commands the
    deployment uses from the installed files alone, with the content copied as the image copies it."""
    import os
    import shutil
    import zipfile

    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT),
                timeout=300)
    if built.returncode != 0:
        pytest.skip(f"could not build the wheel here (pip needs PyPI for setuptools): {built.stderr[-500:]}")
    (wheel,) = (tmp_path / "dist").glob("pathways-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
        names = set(archive.namelist())
    assert {"bot/storage/migrations/alembic.ini", "bot/storage/migrations/script.py.mako"} <= names
    assert not [n for n in names if n.startswith(("tests/", "flows/", "knowledge/", "deploy/"))]
    for folder in ("flows", "knowledge"):
        shutil.copytree(ROOT / folder, tmp_path / "content" / folder)
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "PATHWAYS_CONTENT_DIR": str(tmp_path / "content"),
           "DATABASE_URL": f"sqlite:///{tmp_path}/image.db", "PATHWAYS_SECRET": "wheel-test-secret-0123456789"}

    def pathways(*args):
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=180)

    where = subprocess.run([sys.executable, "-c", "import bot; print(bot.__file__)"], cwd=workdir, env=env,
                           capture_output=True, text=True)
    assert where.stdout.startswith(str(tmp_path / "site")), where.stdout + where.stderr
    upgraded = pathways("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    linted = pathways("lint")
    assert linted.returncode == 0, linted.stdout[-2000:]
    checked = pathways("config", "check", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr  # SQLite is only a warning
    assert json.loads(checked.stdout)["settings"]["PATHWAYS_CONTENT_DIR"] == str(tmp_path / "content")

"""Helpers for checking the files in deploy/: where they are, and the validators that read them.

A validator that is not installed skips its test with the reason, except when PATHWAYS_REQUIRE_DEPLOY_TOOLS=1
(set by .ci/run, which installs them): then a missing validator fails the test instead of hiding it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
REQUIRED = os.environ.get("PATHWAYS_REQUIRE_DEPLOY_TOOLS") == "1"


def missing(reason: str, *, required: bool = True):
    """Skip (a developer without the tool) or fail (CI, where .ci/run installed it)."""
    if REQUIRED and required:
        pytest.fail(f"{reason} (PATHWAYS_REQUIRE_DEPLOY_TOOLS=1: .ci/run should have installed it)")
    pytest.skip(reason)


def need_tool(name: str, *, required: bool = True) -> str:
    """Path of a command-line validator: the virtual environment's bin first, then PATH."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        missing(f"{name} is not installed (pip install -e '.[deploy]', or see .ci/run)", required=required)
    return found


def need_module(name: str):
    try:
        return __import__(name)
    except ImportError:
        missing(f"Python package {name} is not installed (pip install -e '.[deploy]')")


def run(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def load_yaml_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def k8s_documents() -> list[tuple[str, dict]]:
    """(file name, object) for every Kubernetes object in deploy/k8s; kustomization.yaml is not one."""
    return [(path.name, doc) for path in sorted(K8S.glob("*.yaml")) for doc in load_yaml_documents(path)
            if doc.get("kind") != "Kustomization"]


def k8s_resources() -> dict[tuple[str, str], dict]:
    """Every Kubernetes object in deploy/k8s, by (kind, name)."""
    objects: dict[tuple[str, str], dict] = {}
    for name, doc in k8s_documents():
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in objects, f"{key} is defined twice (second time in {name})"
        objects[key] = doc
    return objects


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """A real `pathways serve` on a loopback port (SQLite, the shipped content); yields its base URL."""
    import socket
    import time
    import urllib.request

    folder = tmp_path_factory.mktemp("live-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in settings}
    env |= {"PATHWAYS_SECRET": "deploy-tests-secret-0123456789", "DATABASE_URL": f"sqlite:///{folder}/p.db",
            "PATHWAYS_CONTENT_DIR": str(ROOT), "PYTHONPATH": str(ROOT)}
    log = open(folder / "server.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()  # noqa: S310 - http on loopback
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("pathways serve did not start:\n" + (folder / "server.log").read_text()[-3000:])
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

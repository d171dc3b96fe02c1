"""Real `pathways serve` processes for tests: started with a given environment on free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Instance:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_instance(env: dict[str, str], log_dir: Path, *, name: str, args: tuple[str, ...] = (),
                   wait: bool = True) -> Instance:
    port = free_port()
    log_path = log_dir / f"{name}.log"
    handle = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), *args],
        env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    instance = Instance(process, port, log_path)
    if wait:
        wait_ready(instance)
    return instance


def wait_ready(instance: Instance, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"the server exited ({instance.process.returncode}):\n{instance.log()}")
        try:
            with urllib.request.urlopen(instance.url + "/readyz", timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    instance.stop()
    raise RuntimeError(f"the server was not ready within {timeout:.0f} s:\n{instance.log()}")

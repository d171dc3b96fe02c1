"""deploy/proxy: the Caddy and nginx examples are valid, and — run for real on loopback with TLS in front of a
recording upstream — they pass the original Host and X-Forwarded-Proto: https (overwriting what a client
claims), keep the path Twilio signed, expose only the public routes and cap request bodies.

Caddy and nginx come from Debian's packages (.ci/run installs them); without them these tests skip."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, need_tool, run

CADDYFILE = DEPLOY / "proxy" / "Caddyfile"
NGINX_SITE = DEPLOY / "proxy" / "nginx.conf"
HOST = "pathways.example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder(http.server.ThreadingHTTPServer):
    """The upstream: records each request's path and headers and answers 200 with them."""

    def __init__(self) -> None:
        self.seen: list[dict] = []
        super().__init__(("127.0.0.1", 0), _RecordingHandler)


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
        self.server.seen.append(record)
        body = json.dumps(record).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def upstream():
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def request(port: int, method: str, path: str, *, body: bytes = b"", headers: dict | None = None):
    """An HTTPS request to 127.0.0.1:port presenting SNI and Host pathways.example.org, as Twilio would."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test proxies use throw-away certificates
    connection = http.client.HTTPSConnection(HOST, port, context=context, timeout=10)
    connection.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                          server_hostname=HOST)
    connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the proxy exited:\n" + log.read_text()[-3000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the proxy did not listen:\n" + log.read_text()[-3000:])


def check_forwarding(port: int, upstream: Recorder) -> None:
    # A Twilio-style webhook: the path and query arrive unchanged, with the public host and scheme.
    spoofed = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example", "X-Forwarded-For": "203.0.113.9"}
    status, body = request(port, "POST", "/sms/inbound?x=1", body=b"Body=hello&From=%2B447700900000",
                           headers={"Content-Type": "application/x-www-form-urlencoded", **spoofed})
    assert status == 200, body
    seen = upstream.seen[-1]
    assert seen["path"] == "/sms/inbound?x=1"
    assert seen["headers"]["host"] == HOST
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["headers"].get("x-forwarded-host", HOST) == HOST
    assert "203.0.113.9" not in seen["headers"].get("x-forwarded-for", "")
    assert seen["headers"].get("x-request-id")

    assert request(port, "POST", "/telegram/webhook", body=b"{}")[0] == 200
    assert request(port, "GET", "/trainer/cohorts/ABC")[0] == 200
    # Operational routes stay private; the upstream never sees them.
    before = len(upstream.seen)
    for private in ("/metrics", "/healthz", "/readyz", "/", "/sms/inbound/../metrics"):
        assert request(port, "GET", private)[0] == 404, private
    assert len(upstream.seen) == before
    # Bodies bigger than a webhook are refused at the edge.
    status, _ = request(port, "POST", "/sms/inbound", body=b"x" * 70_000)
    assert status == 413 and len(upstream.seen) == before


# --- Caddy ----------------------------------------------------------------------------------------------


def test_caddy_accepts_the_caddyfile(tmp_path):
    caddy = need_tool("caddy", required=False)
    result = run(caddy, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile", "--validate",
                 env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert '"level":"warn"' not in result.stderr, result.stderr


def test_caddy_forwards_host_and_scheme_and_hides_private_routes(tmp_path, upstream):
    caddy = need_tool("caddy", required=False)
    port = free_port()
    text = CADDYFILE.read_text().replace("127.0.0.1:8080", f"127.0.0.1:{upstream.server_address[1]}")
    assert text != CADDYFILE.read_text()
    test_globals = (f"{{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n\tauto_https disable_redirects\n"
                    f"\thttp_port {free_port()}\n\thttps_port {port}\n\tstorage file_system {tmp_path / 'data'}\n}}\n")
    config = tmp_path / "Caddyfile"
    config.write_text(test_globals + text)
    log = tmp_path / "caddy.log"
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    with open(log, "w") as out:
        process = subprocess.Popen([caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
                                   stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})
    try:
        wait_for_port(port, process, log)
        check_forwarding(port, upstream)
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- nginx ----------------------------------------------------------------------------------------------


def nginx_config(tmp_path: Path, upstream_port: int, port: int) -> Path:
    """The example site inside a minimal main configuration, with a throw-away certificate and test ports."""
    openssl = need_tool("openssl", required=False)
    made = run(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
               "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"))
    assert made.returncode == 0, made.stderr
    site = (NGINX_SITE.read_text()
            .replace("127.0.0.1:8080", f"127.0.0.1:{upstream_port}")
            .replace(f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(tmp_path / "cert.pem"))
            .replace(f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(tmp_path / "key.pem"))
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
            .replace("listen [::]:443 ssl http2;", "")
            .replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
            .replace("listen [::]:80;", ""))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "logs").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(f"""
user root;
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    return main


def test_nginx_accepts_the_site(tmp_path):
    nginx = need_tool("nginx", required=False)
    main = nginx_config(tmp_path, 8080, free_port())
    result = run(nginx, "-t", "-p", str(tmp_path), "-c", str(main))
    assert result.returncode == 0, result.stderr


def test_nginx_forwards_host_and_scheme_and_hides_private_routes(tmp_path, upstream):
    nginx = need_tool("nginx", required=False)
    port = free_port()
    main = nginx_config(tmp_path, upstream.server_address[1], port)
    log = tmp_path / "nginx.out"
    with open(log, "w") as out:
        process = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(main)], stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log)
        check_forwarding(port, upstream)
    finally:
        process.terminate()
        process.wait(timeout=10)

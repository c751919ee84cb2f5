"""`hub serve` speaks HTTPS when CONSOLE_TLS_CERT_FILE / CONSOLE_TLS_KEY_FILE are set (the docker-compose
shape), with a certificate from `hub provision-ca`, and nothing but HTTPS on that port."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.broker_auth.provision import BrokerFiles, provision_ca
from hub.embedded import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def https_console(database_url: str, tmp_path: Path) -> Iterator[tuple[str, BrokerFiles, subprocess.Popen[bytes]]]:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl", tmp_path / "certs")
    provision_ca(files, broker_hosts=["localhost"], console_hosts=["localhost", "127.0.0.1"])
    key, cert = files.server("console")
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("MQTT_", "CONSOLE_"))}
    env.update(DATABASE_URL=database_url, HUB_ENV="development", CONSOLE_TLS_CERT_FILE=str(cert),
               CONSOLE_TLS_KEY_FILE=str(key), CONSOLE_HOST="127.0.0.1", CONSOLE_PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "hub", "serve"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield f"127.0.0.1:{port}", files, process
    finally:
        process.terminate()
        process.wait(10)


def _trusting(files: BrokerFiles) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(files.ca_certificate))


def test_the_console_serves_https_with_the_repo_certificate_and_refuses_plain_http(
        https_console: tuple[str, BrokerFiles, subprocess.Popen[bytes]]) -> None:
    address, files, process = https_console
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = httpx.get(f"https://{address}/healthz", verify=_trusting(files), timeout=5)
            break
        except httpx.ConnectError as exc:
            if "CERTIFICATE" in str(exc) or process.poll() is not None:
                raise AssertionError(f"the console is not serving HTTPS: {exc}") from exc
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.2)

    assert answer.status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://{address}/healthz", timeout=5)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"https://{address}/healthz", timeout=5)  # the system CAs do not know the repo's CA

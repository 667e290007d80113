"""`compliance serve --tls-cert/--tls-key` serves HTTPS, as Office add-ins require."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from compliance_assistant.cli.main import app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_serve_over_https(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env["COMPLIANCE_DATA_DIR"] = str(tmp_path / "data")
    env["COMPLIANCE_TRACKING__ENABLED"] = "false"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compliance_assistant.cli.main",
            "serve",
            "--port",
            str(port),
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(key),
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"https://127.0.0.1:{port}/health/live", verify=False)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"server did not come up over HTTPS: {output}")
                time.sleep(0.2)
        assert response.status_code == 200
        addin = httpx.get(f"https://127.0.0.1:{port}/addin/taskpane.html", verify=False)
        assert addin.status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()


def test_tls_options_go_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--tls-cert", str(tmp_path / "c.pem")])
    assert result.exit_code == 2
    assert "--tls-cert and --tls-key go together" in result.stderr

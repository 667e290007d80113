"""Fuzz the live API with schemathesis (issue #8 item 9; `make fuzz`, part of `make test`).

Starts a real embedded server (`compliance serve`) on a free 127.0.0.1 port with a throwaway
data directory, API keys required and an admin key made with `compliance apikey create`,
waits for `/health/ready`, then runs schemathesis' CLI against the server's own
`/openapi.json` with every check, a fixed number of examples per operation, stateful
sequences through the schema's OpenAPI links and a fixed seed. Any failing check (a 5xx, an
undocumented status, a body or header that does not match the schema …) fails the run.

Left out, and only these:
* the SSE stream `/jobs/{job_id}/events` — a response that stays open until the job ends
  cannot be fuzzed by a request/response tool;
* the add-in's static files at `/addin` — a mount, never in the OpenAPI schema.

The server always stops (also on Ctrl-C); its log is printed when the run fails.

    .venv/bin/python scripts/fuzz_api.py            # as `make fuzz` runs it
    FUZZ_MAX_EXAMPLES=5 .venv/bin/python scripts/fuzz_api.py   # a quick local look
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from compliance_assistant.config import DEFAULT_RATE_LIMITS

# Written here so that the run is the same everywhere (the issue asks for the number in the
# command). 25 examples per operation keeps the whole run under about 4 minutes on two busy
# cores.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
SEED = 20261204
# The SSE stream only; the /addin mount is not in the schema at all.
EXCLUDED_PATHS = r"/events$"
READY_TIMEOUT_SECONDS = 90.0
# Far above what the fuzzer sends in a minute: the run tests the endpoints, not the limiter
# (429 stays documented, and tests/api covers the limits themselves).
RATE_LIMIT_PER_MINUTE = 1_000_000

BIN = Path(sys.executable).parent
# Per-operation exceptions of one check, each a documented false positive (read it).
CONFIG = Path(__file__).with_name("fuzz-api.toml")
SAMPLE_GTC_LIBRARY = Path(__file__).resolve().parent.parent / "samples" / "gtc"


class SetupError(Exception):
    """The server could not be prepared or started (the message says why)."""


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="compliance-fuzz-"))
    env = _server_env(data_dir)
    log_path = data_dir / "server.log"
    server: subprocess.Popen[bytes] | None = None
    try:
        key = _create_admin_key(env)
        port = _free_port()
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [str(BIN / "compliance"), "serve", "--port", str(port), "--no-access-log"],
                env=env,
                cwd=data_dir,  # no developer's .env (pydantic-settings reads ./.env)
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, server)
        print(
            f"fuzz: server {base} (embedded, data dir {data_dir}); API keys required, "
            f"admin key for tenant 'fuzz'; rate limits raised to {RATE_LIMIT_PER_MINUTE}/min; "
            "LLM off; sample GTC library.",
            flush=True,
        )
        code = _run_schemathesis(base, key, data_dir)
    except SetupError as exc:
        print(f"fuzz: {exc}", flush=True)
        code = 1
    except KeyboardInterrupt:
        code = 130
    finally:
        if server is not None:
            _stop(server)
    if code != 0 and log_path.exists():
        print("fuzz: server log (last 80 lines):", flush=True)
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-80:]), flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"fuzz: {'PASSED' if code == 0 else f'FAILED (exit code {code})'}", flush=True)
    return code


def _server_env(data_dir: Path) -> dict[str, str]:
    """The parent's environment without any COMPLIANCE_* setting, plus the fuzz server's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(
        {
            "COMPLIANCE_ENVIRONMENT": "test",
            "COMPLIANCE_DATA_DIR": str(data_dir),
            "COMPLIANCE_LOG_LEVEL": "WARNING",
            "COMPLIANCE_API__REQUIRE_API_KEYS": "true",
            "COMPLIANCE_API__API_KEY_PEPPER": secrets.token_hex(32),
            "COMPLIANCE_API__RATE_LIMITS": json.dumps(
                dict.fromkeys(DEFAULT_RATE_LIMITS, f"{RATE_LIMIT_PER_MINUTE}/minute")
            ),
            "COMPLIANCE_LLM__PROVIDER": "none",
            # The shipped sample GTC library, so the GTC endpoints run for real, offline.
            "COMPLIANCE_GTC__LIBRARY_PATH": str(SAMPLE_GTC_LIBRARY),
            "COMPLIANCE_TRACKING__ENABLED": "false",
            # One job at a time: the fuzzer submits hundreds; the run must not starve the CPU.
            "COMPLIANCE_WORKER__CONCURRENCY": "1",
        }
    )
    return env


def _create_admin_key(env: dict[str, str]) -> str:
    done = subprocess.run(
        [
            str(BIN / "compliance"),
            "apikey",
            "create",
            "--tenant",
            "fuzz",
            "--name",
            "fuzz",
            "--role",
            "admin",
        ],
        env=env,
        cwd=env["COMPLIANCE_DATA_DIR"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SetupError(f"`compliance apikey create` failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SetupError(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)  # bounded polling for the server to start
    raise SetupError(f"{base}/health/ready not ready after {READY_TIMEOUT_SECONDS} s")


def _run_schemathesis(base: str, key: str, data_dir: Path) -> int:
    report = data_dir / "junit.xml"
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--exclude-path-regex",
        EXCLUDED_PATHS,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "too_slow",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    shown = [part.replace(key, "<admin key>") for part in command]
    print("fuzz: " + " ".join(shown), flush=True)
    started = time.monotonic()
    code = subprocess.run(command, check=False, env={**os.environ, "NO_COLOR": "1"}).returncode
    print(f"fuzz: schemathesis took {time.monotonic() - started:.0f} s", flush=True)
    return code


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


if __name__ == "__main__":
    sys.exit(main())

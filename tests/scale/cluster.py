"""A private production topology on loopback: PostgreSQL, Redis and Azurite instances of the
test's own (on free ports, so stopping or restarting them disturbs nothing else on the
machine), and ``compliance api`` / ``compliance worker`` processes started, killed and
restarted by the test.

Everything here is a real process. Each one is stopped when the :class:`Cluster` closes, even
when the test fails, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.services import (
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    DEFAULT_AZURITE,
    free_port,
    unavailable,
    wait_for_port,
)

COMPLIANCE = str(Path(sys.executable).parent / "compliance")
PEPPER = "scale-test-pepper-5c1d9e2f7a3b"


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        unavailable("PostgreSQL server binaries", "no /usr/lib/postgresql/*/bin/pg_ctl")
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run its tools as the ``postgres`` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresServer:
    """A throwaway cluster (``initdb``) on a free port; fsync off, it is test data."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        # Not under pytest's tmp_path: that is private to root, and the server runs as
        # ``postgres``. Removed by :meth:`destroy`.
        self.root = Path(tempfile.mkdtemp(prefix="compliance-scale-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "postgres.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            _as_postgres([str(self.bin / args[0]), *args[1:]]),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        if not self.data.exists():
            for path in (self.data, self.sockets):
                path.mkdir(parents=True)
            self.log.touch()
            if os.geteuid() == 0:
                for path in (self.data, self.sockets, self.log):
                    shutil.chown(path, "postgres", "postgres")
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """``redis-server`` on a free port, nothing on disk (like the machine's own)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", "not on PATH")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port("127.0.0.1", self.port, timeout=20, process=self.process):
            raise RuntimeError(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class AzuriteServer:
    """Azurite's blob service on a free port, data in memory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT};"
        )

    def start(self) -> None:
        binary = Path(os.environ.get("COMPLIANCE_TEST_AZURITE", DEFAULT_AZURITE))
        if not binary.exists() or shutil.which("node") is None:
            unavailable("Azurite", f"{binary} or node not found (make tools)")
        self.process = subprocess.Popen(
            [
                str(binary),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.port),
                "--silent",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--inMemoryPersistence",
            ],
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port("127.0.0.1", self.port, timeout=30, process=self.process):
            raise RuntimeError(f"Azurite did not listen on {self.port}")

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None


def _terminate(process: subprocess.Popen[bytes] | None, grace: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class ServiceProcess:
    """One ``compliance api`` or ``compliance worker`` process and its log."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path
    port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    generation: int = 0

    def start(self) -> None:
        self.generation += 1
        with self.log.open("ab") as sink:  # the child keeps its own copy of the descriptor
            sink.write(f"\n--- start #{self.generation} ---\n".encode())
            sink.flush()
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=self.cwd, stdout=sink, stderr=sink
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, grace: float = 20) -> None:
        _terminate(self.process, grace)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Cluster:
    """PostgreSQL + Redis + Azurite + N API processes + M workers, all of the test's own."""

    root: Path
    llm_base_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    postgres: PostgresServer = field(init=False)
    redis: RedisServer = field(init=False)
    azurite: AzuriteServer = field(init=False)
    apis: list[ServiceProcess] = field(default_factory=list)
    workers: list[ServiceProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.postgres = PostgresServer()
        self.redis = RedisServer(self.root)
        self.azurite = AzuriteServer(self.root)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
        env.update(
            {
                "COMPLIANCE_ENVIRONMENT": "production",
                "COMPLIANCE_DATA_DIR": str(self.root / "data"),
                "COMPLIANCE_LOG_LEVEL": "INFO",
                "COMPLIANCE_DATABASE__URL": self.postgres.url,
                "COMPLIANCE_REDIS__URL": self.redis.url,
                "COMPLIANCE_BLOB__BACKEND": "azure",
                "COMPLIANCE_BLOB__AZURE_CONNECTION_STRING": self.azurite.connection_string,
                "COMPLIANCE_BLOB__AZURE_CONTAINER": "scale",
                "COMPLIANCE_API__API_KEY_PEPPER": PEPPER,
                "COMPLIANCE_LLM__PROVIDER": "openai",
                "COMPLIANCE_LLM__MODEL": "judge-model",
                "COMPLIANCE_LLM__API_KEY": "sk-double",
                "COMPLIANCE_LLM__BASE_URL": self.llm_base_url,
                "COMPLIANCE_LLM__VERDICT_CACHE_TTL_SECONDS": "0",
                "COMPLIANCE_TRACKING__ENABLED": "false",
                "MLFLOW_DISABLE_TELEMETRY": "true",
            }
        )
        env.update(self.extra_env)
        return env

    def start_services(self) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self.redis.start()
        self.azurite.start()
        self.cli("migrate")

    def cli(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [COMPLIANCE, *args],
            env=self.env(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"compliance {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def add_api(self) -> ServiceProcess:
        port = free_port()
        index = len(self.apis) + 1
        process = ServiceProcess(
            name=f"api{index}",
            command=[
                COMPLIANCE,
                "api",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=self.env(),
            log=self.root / f"api{index}.log",
            cwd=self.root,
            port=port,
        )
        process.start()
        self.apis.append(process)
        return process

    def add_worker(self, **settings: object) -> ServiceProcess:
        index = len(self.workers) + 1
        env = self.env()
        env.update({f"COMPLIANCE_WORKER__{k.upper()}": str(v) for k, v in settings.items()})
        # Several workers share this host: each gets its own metrics port.
        env["COMPLIANCE_WORKER__METRICS_HOST"] = "127.0.0.1"
        env["COMPLIANCE_WORKER__METRICS_PORT"] = str(free_port())
        process = ServiceProcess(
            name=f"worker{index}",
            command=[COMPLIANCE, "worker"],
            env=env,
            log=self.root / f"worker{index}.log",
            cwd=self.root,
        )
        process.start()
        self.workers.append(process)
        return process

    def wait_ready(self, api: ServiceProcess, seconds: float = 60) -> None:
        """Bounded polling of ``/health/ready`` while the process starts."""
        deadline = time.monotonic() + seconds
        last = ""
        while time.monotonic() < deadline:
            if not api.alive():
                raise RuntimeError(f"{api.name} exited:\n{api.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                response = httpx.get(f"http://127.0.0.1:{api.port}/health/ready", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            time.sleep(0.1)
        raise RuntimeError(f"{api.name} not ready after {seconds} s: {last}\n{api.tail()}")

    def wait_worker_started(self, worker: ServiceProcess, seconds: float = 90) -> None:
        """Bounded polling of the worker's log until it has recovered and runs jobs."""
        deadline = time.monotonic() + seconds
        marker = f"start #{worker.generation} ---"
        while time.monotonic() < deadline:
            if not worker.alive():
                raise RuntimeError(f"{worker.name} exited:\n{worker.tail()}")
            log = worker.log.read_text(errors="replace")
            if "starting; recovery" in log[log.rfind(marker) :]:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{worker.name} not started after {seconds} s:\n{worker.tail()}")

    def close(self) -> None:
        for process in [*self.apis, *self.workers]:
            process.stop()
        with contextlib.suppress(Exception):
            self.azurite.stop()
        with contextlib.suppress(Exception):
            self.redis.stop()
        self.postgres.destroy()

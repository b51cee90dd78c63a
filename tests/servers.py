"""Private PostgreSQL and Redis servers for the fault tests: started from the installed binaries on free
ports, in the test's temporary folder, so that stopping or restarting them disturbs nobody else's. Without the
binaries the test is skipped (failed with REQUIRE_SERVICES=1, where .ci/run has installed them)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import missing_service


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout}s")


@dataclass
class PrivateRedis:
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: _answers(self.port), 10, "Redis did not answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def private_redis(tmp_path: Path) -> PrivateRedis:
    if not shutil.which("redis-server"):
        missing_service("needs the redis-server binary (apt-get install redis-server)")
    server = PrivateRedis(port=free_port(), folder=tmp_path)
    server.start()
    return server


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of its own. As root (CI), its programs run as the ``postgres`` account."""

    bin: Path
    data: Path
    port: int

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, timeout=60)

    @property
    def settings(self) -> dict:
        return {"HOST": "127.0.0.1", "PORT": str(self.port), "USER": "postgres", "PASSWORD": "", "NAME": "postgres"}

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "-l", str(self.data / "server.log"),
                  "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop", check=False)

    def restart(self) -> None:
        self.stop("immediate")
        self.start()


def private_postgres(tmp_path: Path) -> PrivatePostgres:
    binaries = _postgres_bin()
    if binaries is None:
        missing_service("needs the PostgreSQL server binaries (apt-get install postgresql)")
    folder = tmp_path / "pg"
    folder.mkdir()
    server = PrivatePostgres(bin=binaries, data=folder / "data", port=free_port())
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for parent in (tmp_path, *tmp_path.parents):  # the account must reach its folder
            parent.chmod(parent.stat().st_mode | 0o001)
    server._run("initdb", "-D", str(server.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    server.start()
    return server


# --- Celery workers on a private broker -----------------------------------------------------------------

# ``celery -A procurement worker`` consuming the test's queue only; TEST_EMAIL_BACKEND swaps the mail backend.
_WORKER_MAIN = (
    "import os, sys, django; django.setup(); from django.conf import settings; "
    "backend = os.environ.get('TEST_EMAIL_BACKEND'); backend and setattr(settings, 'EMAIL_BACKEND', backend); "
    "from procurement.celery import app; app.conf.task_default_queue = sys.argv[1]; app.worker_main(sys.argv[2:])"
)


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: nothing is acknowledged or cleaned."""
        os.killpg(self.process.pid, 9)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(*, broker_url: str, queue: str, database_url: str, mail_dir: Path, log_path: Path,
                 **env) -> Worker:
    from tests.conftest import BASE_DIR

    environment = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "procurement.settings", "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "0", "CELERY_BROKER_URL": broker_url, "EMAIL_URL": f"filemail:///{mail_dir}",
        "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher", **env,
    }
    environment.pop("AWS_STORAGE_BUCKET_NAME", None)
    command = [sys.executable, "-c", _WORKER_MAIN, queue, "worker", "-P", "solo", "-c", "1", "-Q", queue,
               "-n", f"{queue}-{log_path.stem}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "--loglevel=INFO"]
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    worker = Worker(process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while " ready." not in worker.log():
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            raise AssertionError(f"the worker did not start:\n{worker.log()[-3000:]}")
        time.sleep(0.1)
    return worker


def sent_recipients(mail_dir: Path) -> list[str]:
    """The recipients of every mail the file backend wrote (one entry per mail written)."""
    import email
    import email.policy

    recipients = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                recipients.append(email.message_from_string(chunk, policy=email.policy.default)["To"])
    return recipients

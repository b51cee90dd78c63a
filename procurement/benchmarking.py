"""What the benchmark commands share: real processes (Celery workers, gunicorn) started on this run's
database and broker, an SMTP server that counts what it receives, and readings of /proc.

- ``Processes``: starts each process in its own session with its output in a log file, waits on a condition
  (failing with the log's tail when the process exits), and stops them all, children included;
- ``worker_command(queue)``: ``celery -A procurement worker`` on a queue of the run's own, whose tasks queued
  by the worker itself (a document's mail) go to the same queue;
- ``environment(...)``: the variables such a process gets (production settings, this run's database);
- ``delete_queue(queue)``: the run's queue removed from the broker;
- ``SmtpSink``: an SMTP server on a free loopback port that accepts every message and counts recipients;
- ``cpu_seconds``, ``children``, ``memory``: CPU time, child processes and resident memory (Linux /proc).
- ``percentile``: the linear-interpolation percentile every benchmark prints (p95, p99).
"""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import CommandError

# ``celery -A procurement worker``, except that the tasks the worker itself queues (the mails of a fan-out, a
# document's delivery) must also go to this run's queue, or nobody would take them.
WORKER_MAIN = (
    "import sys; from procurement.celery import app; "
    "app.conf.task_default_queue = sys.argv[1]; app.worker_main(sys.argv[2:])"
)


def worker_command(queue: str, *options: str, name: str | None = None) -> list[str]:
    """The command line of a Celery worker consuming ``queue`` only (``options``: e.g. ``--concurrency=1``)."""
    return [
        sys.executable,
        "-c",
        WORKER_MAIN,
        queue,
        "worker",
        "-Q",
        queue,
        "-n",
        f"{name or queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
        *options,
    ]


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM to the process's session (it was started with ``start_new_session``), SIGKILL after 20 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL of a connection's settings (for a process started on the same database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def environment(
    *, database: dict, queue: str = "", mail_port: int | None = None, broker: str = "", mail_url: str = ""
) -> dict[str, str]:
    """The variables of a process started by a benchmark: production settings (DEBUG=false) with this
    process's secrets, signing seal and files, the run's database, queue (if any) and SMTP server (or
    ``mail_url``, e.g. ``memorymail://`` for a process whose mails are not measured)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "procurement.settings",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SEALING_MASTER_KEYS": ",".join(settings.SEALING_MASTER_KEYS),
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": "http://127.0.0.1",
        "DATABASE_URL": database_url(database),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SIGNING_CERT_FILE": str(settings.SIGNING_CERT_FILE or ""),
        "SIGNING_KEY_FILE": str(settings.SIGNING_KEY_FILE or ""),
        "SIGNING_KEY_PASSWORD": str(settings.SIGNING_KEY_PASSWORD or ""),
        "SIGNING_DEV_DIR": str(settings.SIGNING_DEV_DIR),
        "SIGNING_DEVELOPMENT_CERTIFICATE": "true" if settings.SIGNING_DEVELOPMENT_CERTIFICATE else "false",
        "SIGNING_TSA_URL": settings.SIGNING_TSA_URL,
        "LOG_LEVEL": "WARNING",
    }
    if queue:
        env["BENCHMARK_CELERY_QUEUE"] = queue
    if mail_port is not None:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{mail_port}"
    elif mail_url:
        env["EMAIL_URL"] = mail_url
    if not broker:
        env.pop("CELERY_BROKER_URL", None)
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        env.pop("AWS_STORAGE_BUCKET_NAME", None)  # the files where this process keeps them: MEDIA_ROOT
    return env


class Processes:
    """The processes of a run, each in its own session (so that stopping it stops its children), its output
    in ``workdir/<log_name>``."""

    def __init__(self, workdir: Path, stdout=None):
        self.workdir = workdir
        self.stdout = stdout
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], log_name: str, env: dict) -> tuple[subprocess.Popen, Path]:
        log_path = self.workdir / log_name
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(  # noqa: S603  our own interpreter and fixed arguments
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((name, process))
        return process, log_path

    def start_worker(
        self, name: str, queue: str, env: dict, *options: str, log_name: str, timeout: float = 60
    ) -> tuple[subprocess.Popen, Path]:
        """A Celery worker on ``queue``, once it says it is ready."""
        process, log_path = self.start(
            name, worker_command(queue, *options, name=log_name.partition(".")[0]), log_name, env
        )
        self.wait_until(
            lambda: " ready." in log_path.read_text(errors="replace"),
            process,
            log_path,
            timeout,
            f"{name} to start",
        )
        return process, log_path

    def wait_until(
        self,
        predicate,
        process: subprocess.Popen,
        log_path: Path,
        timeout: float,
        what: str,
        interval: float = 0.02,
    ):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if process.poll() is not None:
                raise CommandError(
                    f"The process exited ({process.returncode}) while waiting for {what}:\n"
                    f"{log_path.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(interval)
        raise CommandError(
            f"Still waiting for {what} after {timeout:.0f} s; log:\n"
            f"{log_path.read_text(errors='replace')[-3000:]}"
        )

    def stop(self):
        """Stop every running process (SIGTERM to its session, SIGKILL after 20 s), newest first."""
        for name, process in reversed(self.running):
            if process.poll() is not None:
                continue
            stop_process(process)
            if self.stdout is not None:
                self.stdout.write(f"{name} arrêté.")
        self.running = []


def delete_queue(queue: str) -> str | None:
    """Remove the run's queue from the broker; the reason when it could not be (None when done)."""
    from procurement.celery import app

    try:
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            # By name: kombu's queue_delete() only deletes queues this process has bound itself, and the tasks
            # may have been queued by other processes (gunicorn workers, a worker's own mails).
            lists = {channel._q_for_pri(queue, pri) for pri in channel.priority_steps}
            channel.client.delete(*lists, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    except Exception as exc:  # noqa: BLE001  an unused queue key left in the broker is harmless
        return str(exc)
    return None


# --- /proc readings ----------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time used so far by these processes (Linux /proc), or None when unreadable."""
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass(frozen=True)
class Memory:
    """Resident memory of a process, in MiB: now (VmRSS) and its peak (VmHWM)."""

    rss: float
    peak: float


def memory(pid: int) -> Memory | None:
    """The resident memory of ``pid`` from /proc/<pid>/status, or None when unreadable (not Linux, gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    values = {}
    for line in lines:
        key, _sep, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB
    if "VmRSS" not in values:
        return None
    return Memory(rss=values["VmRSS"], peak=values.get("VmHWM", values["VmRSS"]))


# --- an SMTP server that accepts everything and counts ----------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: bytes):
        self.wfile.write(line + b"\r\n")

    def handle(self):
        self.reply(b"220 benchmark ESMTP")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-benchmark\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"HELO":
                self.reply(b"250 benchmark")
            elif verb == b"MAIL":
                recipients = []
                self.reply(b"250 OK")
            elif verb == b"RCPT":
                text = line.decode("utf-8", "replace")
                recipients.append(text[text.find("<") + 1 : text.rfind(">")].strip().lower())
                self.reply(b"250 OK")
            elif verb == b"DATA":
                self.reply(b"354 End data with <CR><LF>.<CR><LF>")
                while True:
                    data = self.rfile.readline()
                    if not data:
                        return
                    if data in (b".\r\n", b".\n"):
                        break
                self.server.sink.received(recipients)
                recipients = []
                self.reply(b"250 OK")
            elif verb == b"RSET":
                recipients = []
                self.reply(b"250 OK")
            elif verb == b"NOOP":
                self.reply(b"250 OK")
            elif verb == b"QUIT":
                self.reply(b"221 Bye")
                return
            else:
                self.reply(b"502 Command not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    """An SMTP server on a free loopback port, in a thread: accepts every message and counts recipients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = 0
        self.recipients: list[str] = []
        self.server = _SmtpServer(("127.0.0.1", 0), _SmtpHandler)
        self.server.sink = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def received(self, recipients: list[str]):
        with self.lock:
            self.messages += 1
            self.recipients.extend(recipients)

    def count(self, among: set[str]) -> int:
        with self.lock:
            return len(among.intersection(self.recipients))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``values`` by linear interpolation between the closest ranks (0.0 when empty)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * pct / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

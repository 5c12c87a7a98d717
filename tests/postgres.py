"""A real PostgreSQL server for tests: `initdb` + `postgres` in a temporary folder, on loopback.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the `postgres`
user that Debian's `postgresql` package creates (`runuser -u postgres`). The binaries come
from that package (/usr/lib/postgresql/<major>/bin) or from PATH; scripts/test.sh installs
the package when it can. Without them the tests that need a server are skipped.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.servers import LOOPBACK, free_port

RUN_AS = "postgres"


def find_bindir() -> Path | None:
    """The newest PostgreSQL whose `initdb` and `postgres` are both there."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    return None


def why_unavailable() -> str | None:
    """None when a server can be started here; otherwise what to install."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: `.venv/bin/pip install -e '.[postgres]'`"
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries not found (initdb, postgres): "
            "`apt-get install postgresql` (scripts/test.sh does this when run as root)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root, and there is no {RUN_AS!r} user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root without `runuser` to start PostgreSQL as another user"
    return None


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *args] if os.geteuid() == 0 else args


@dataclass
class PostgresServer:
    """One running server; `url` names its `postgres` database, `new_database()` a fresh one."""

    folder: Path
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def log_path(self) -> Path:
        return self.folder / "postgres.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A database no other test uses, so tests share one server without interfering."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 20.0, remove: bool = True) -> None:
        """Fast shutdown (SIGINT to the postmaster: clients are disconnected), then SIGQUIT;
        the folder is removed unless `remove` is False."""
        pid_file = self.folder / "data" / "postmaster.pid"
        try:
            postmaster = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            postmaster = None
        for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                if postmaster is not None:
                    os.kill(postmaster, sig)
                else:
                    os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                continue
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)

    def restart(self, timeout_s: float = 60.0) -> None:
        """Stop and start again on the same port and data: every client connection breaks."""
        self.stop(remove=False)
        proc = _launch(self.folder, self.port, timeout_s)
        if proc is None:
            raise RuntimeError(f"PostgreSQL did not restart:\n{self.log_tail()}")
        self.proc = proc


def _launch(folder: Path, port: int, timeout_s: float) -> subprocess.Popen[bytes] | None:
    """`postgres` on `folder`/data at `port`; None (and nothing left running) if it never
    accepted a connection."""
    import psycopg

    bindir = find_bindir()
    assert bindir is not None, why_unavailable()
    # Durability off: a test database is thrown away, and fsyncs would dominate on a busy box.
    options = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    options += ["-c", "max_connections=200"]  # several test processes, each with a pool
    where = ["-h", LOOPBACK, "-p", str(port), "-k", str(folder)]
    data = folder / "data"
    with (folder / "postgres.log").open("ab") as log:
        proc = subprocess.Popen(
            _as_server_user([str(bindir / "postgres"), "-D", str(data), *where, *options]),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"postgresql://postgres@{LOOPBACK}:{port}/postgres"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return proc
        except psycopg.OperationalError:
            time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
    return None


def start_postgres(timeout_s: float = 60.0) -> PostgresServer:
    """initdb in a fresh folder, then `postgres` on a free loopback port (retried if taken)."""
    bindir = find_bindir()
    assert bindir is not None, why_unavailable()
    # Not under pytest's tmp_path: that folder is root's alone, and the server user must own
    # its data folder. mkdtemp makes a 0700 folder, which is then handed over.
    folder = Path(tempfile.mkdtemp(prefix="newsrag-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        os.chown(folder, user.pw_uid, user.pw_gid)
    initdb = [str(bindir / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"]
    subprocess.run(
        _as_server_user([*initdb, "-E", "UTF8", "--no-sync", "--no-instructions"]),
        check=True,
        capture_output=True,
        timeout=timeout_s,
    )
    for _ in range(3):
        port = free_port()
        proc = _launch(folder, port, timeout_s)
        if proc is not None:
            return PostgresServer(folder, port, proc)
    log = (folder / "postgres.log").read_text(errors="replace")[-4000:]
    shutil.rmtree(folder, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start:\n{log}")

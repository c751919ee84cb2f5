"""A private PostgreSQL cluster for fault runs (the tests, `hub chaos`) that stop and start the database
under a running hub.

The machine's own server is shared and must never be restarted, so a fault run gets a cluster of its
own: `initdb` into a fresh directory with trust authentication, a free loopback port and a Unix socket
directory of its own, and `stop()` / `start()` / `restart()` around the same data. Debian's server
binaries (/usr/lib/postgresql/N/bin) are used. PostgreSQL refuses to run as root, so when run as root
the binaries run as the `postgres` system user (`runuser`) in a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from hub.embedded import free_port

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
UNPRIVILEGED_USER = "postgres"


def find_server_bin() -> Path | None:
    """The newest Debian PostgreSQL bin directory that has everything a cluster needs."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                        if Path(p).parent.name.isdigit() else 0)
    for candidate in reversed(candidates):
        if all((Path(candidate) / name).is_file() for name in SERVER_BINARIES):
            return Path(candidate)
    return None


def unavailable_reason() -> str | None:
    """Why a private cluster cannot be started here, or None when it can (for pytest.skip)."""
    if find_server_bin() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            return f"running as root and there is no '{UNPRIVILEGED_USER}' user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and `runuser` is missing, so PostgreSQL cannot drop privileges"
    return None


class PrivatePostgres:
    """One throwaway cluster. `url` reaches the `postgres` database as the `postgres` superuser."""

    def __init__(self) -> None:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self.bin_dir = find_server_bin()
        assert self.bin_dir is not None
        self.port = free_port()
        # Not pytest's tmp_path: its parents are private to root, and the server user must reach this.
        self.root = Path(tempfile.mkdtemp(prefix="hub-private-pg-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log_path = self.root / "server.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", UNPRIVILEGED_USER, "--"]
        self._initialised = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        result = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log_path.read_text() if self.log_path.exists() else ""
            raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}\n{log}")

    def _initdb(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")
        # The socket directory must exist (and belong to the server user) before the first start.
        self._run("mkdir", "-p", str(self.socket_dir))
        self._initialised = True

    def start(self) -> str:
        """Start (initialising on first use) and return once it accepts connections."""
        if not self._initialised:
            self._initdb()
        # fsync off: a clean stop still writes everything out, and the tests are about the hub, not the disk.
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
                   "-c fsync=off -c synchronous_commit=on -c full_page_writes=off -c max_connections=60")
        self._run(str(self.bin_dir / "pg_ctl"), "start", "-D", str(self.data_dir), "-l", str(self.log_path),
                  "-w", "-t", "60", "-o", options)
        return self.url

    def stop(self) -> None:
        """Fast shutdown: every client connection is terminated, as in a real database restart.
        Returns once the server has exited, so nothing can commit after this."""
        if self._initialised and (self.data_dir / "postmaster.pid").exists():
            self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

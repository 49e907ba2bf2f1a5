"""A throwaway PostgreSQL 15 cluster for tests and notebook examples.

`PgCluster` runs Debian's PostgreSQL binaries as the `postgres` user (the server refuses root) in a temp directory,
listening on a unix socket in that directory and on 127.0.0.1 at a free port, with `trust` authentication.
Import the session fixture into a test module (`from pg_support import pg_cluster`); notebooks call `shared_cluster()`.
Nothing is skipped for want of a server: missing binaries are installed with apt-get when running as root.
"""
import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

def _find_bin() -> Path:
    "The PostgreSQL server binaries: $CJM_PG_BIN, else Debian's 15, else the newest /usr/lib/postgresql/N/bin."
    if os.environ.get("CJM_PG_BIN"): return Path(os.environ["CJM_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    preferred = [p for p in found if p.parent.parent.name == "15"]
    return (preferred or found or [Path("/usr/lib/postgresql/15/bin/initdb")])[-1].parent


def _ensure_binaries() -> Path:
    "Install Debian's PostgreSQL when no server binaries are found (as root, or through sudo), and return their directory."
    if (_find_bin() / "initdb").exists(): return _find_bin()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n", "-E"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
    return _find_bin()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    "A PostgreSQL cluster in a temp directory, run as the `postgres` user; `stop()` removes it."
    def __init__(self):
        self.bin = _ensure_binaries()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name  # root: run as postgres
        self.dir = Path(tempfile.mkdtemp(prefix="cjm-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self.port = _free_port()
        if os.geteuid() == 0:
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._as_postgres(self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()

    def _as_postgres(self, *args) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if os.geteuid() == 0: cmd = ["runuser", "-u", self.user, "--"] + cmd
        return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=self.dir)

    def _pg_ctl(self, *args) -> None:
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-w", *args)

    def start(self) -> None:
        "Start the server (unix socket in the temp dir, TCP on 127.0.0.1)."
        opts = f"-k {self.dir} -p {self.port} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self._pg_ctl("-o", opts, "start")

    def stop_server(self, mode: str = "fast") -> None:
        "Stop the server, keeping its data (`mode`: smart, fast or immediate)."
        self._pg_ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        "Restart the server (every client connection is dropped)."
        self.stop_server(mode)
        self.start()

    def create_database(self, name: str = None) -> str:  # DSN of the new, empty database
        "Create a database and return its DSN (unix socket)."
        name = name or f"cjm_{uuid.uuid4().hex[:10]}"
        self._as_postgres(self.bin / "createdb", "-h", self.dir, "-p", self.port, "-U", "postgres", name)
        return self.dsn(name)

    def dsn(self, dbname: str = "postgres") -> str:  # libpq URL through the unix socket
        return f"postgresql://postgres@/{dbname}?host={self.dir}&port={self.port}"

    def tcp_dsn(self, dbname: str = "postgres", password: str = None) -> str:  # libpq URL through 127.0.0.1
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def remove(self) -> None:
        "Stop the server (immediately) and delete the cluster."
        if not self.dir.exists(): return
        try: self.stop_server("immediate")
        except subprocess.CalledProcessError: pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


_SHARED = None

def shared_cluster() -> PgCluster:
    "One cluster per process, started on first use and removed at exit."
    global _SHARED
    if _SHARED is None:
        _SHARED = PgCluster()
        atexit.register(_SHARED.remove)
    return _SHARED


@pytest.fixture(scope="session")
def pg_cluster() -> PgCluster:
    "The session's throwaway cluster."
    return shared_cluster()


@pytest.fixture(scope="session")
def pg_dsn(pg_cluster) -> str:
    "DSN of one database on the session cluster (tests keep apart by using their own table names)."
    return pg_cluster.create_database()


def unique_table() -> str:
    "A fresh table name, so each test starts from an empty store."
    return f"t_{uuid.uuid4().hex[:12]}"


def corrupt_row(dsn: str, table: str, unique_id: str, json_text: str) -> None:
    "Overwrite a stored config with `json_text` behind the store's back (as a hand edit would)."
    import psycopg
    from psycopg import sql
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {} SET config = %s::jsonb WHERE unique_id = %s").format(sql.Identifier(table)),
                     (json_text, unique_id))

"""A private PostgreSQL cluster for the tests and benchmarks (or ``TEST_POSTGRES_URL``).

Debian's server binaries (``initdb``, ``pg_ctl``) on PATH or under
``/usr/lib/postgresql/<version>/bin`` start a throw-away cluster in a temporary
folder on a free port, as the ``postgres`` user when the tests run as root
(PostgreSQL refuses to run as root). Each test gets a database of its own.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from proctorai.private_servers.ports import free_tcp_port

MISSING_POSTGRES = (
    "PostgreSQL is not installed: run `make setup` (it installs Debian's postgresql "
    "package), or set TEST_POSTGRES_URL to a server the tests may create databases on"
)


def find_pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _as_postgres_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *argv]
    return ["su", "postgres", "-s", "/bin/sh", "-c", subprocess.list2cmdline(argv)]


@dataclass
class PostgresServer:
    """A server the tests can create databases on."""

    admin_url: str  # psycopg URL of a database to connect to for CREATE DATABASE
    workdir: Path | None = None
    pg_ctl: str | None = None

    def sqlalchemy_url(self, database: str) -> str:
        url = make_url(self.admin_url).set(drivername="postgresql+psycopg", database=database)
        return url.render_as_string(hide_password=False)

    def create_database(self, prefix: str = "proctorai_test") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.sqlalchemy_url(name)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.pg_ctl and self.workdir:
            subprocess.run(
                _as_postgres_user(
                    [self.pg_ctl, "-D", str(self.workdir / "data"), "-m", "fast", "stop"]
                ),
                check=False,
                capture_output=True,
                timeout=60,
            )
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def start_postgres() -> PostgresServer:
    """Use TEST_POSTGRES_URL, or start a private cluster; raise if neither is possible."""
    external = os.environ.get("TEST_POSTGRES_URL")
    if external:
        url = make_url(external).set(drivername="postgresql")
        return PostgresServer(admin_url=url.render_as_string(hide_password=False))

    initdb, pg_ctl = find_pg_binary("initdb"), find_pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError(MISSING_POSTGRES)
    workdir = Path(tempfile.mkdtemp(prefix="proctorai-pg-"))
    data, sockets = workdir / "data", workdir / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_tcp_port()
    server = PostgresServer(
        admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres", workdir=workdir, pg_ctl=pg_ctl
    )
    try:
        subprocess.run(
            _as_postgres_user(
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--no-locale",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {sockets} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_postgres_user(
                [
                    pg_ctl,
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(workdir / "postgres.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        output = getattr(exc, "stderr", b"") or b""
        server.stop()
        raise RuntimeError(
            "could not start a private PostgreSQL cluster: "
            + output.decode(errors="replace")[-500:]
        ) from exc
    return server

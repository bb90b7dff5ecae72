"""A real PostgreSQL server for the tests of the shared store (--store): initdb into a temporary
folder, `postgres` on a free loopback port, one server for the whole run (pytest-xdist workers
share it: the first to need it starts it, the last to finish stops it), a fresh database for
each test that asks for one.

Without PostgreSQL's programs on the machine the tests skip, saying so; under CI (CI set) they
fail instead, since .ci/run installs Debian's `postgresql` package.
"""
from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

SERVER_SETTINGS = {   # a test server: nothing here must survive a power cut
    "listen_addresses": "127.0.0.1", "unix_socket_directories": "", "fsync": "off",
    "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "300",
    "shared_buffers": "32MB", "log_min_messages": "fatal"}


def binaries() -> Path | None:
    """The folder holding initdb and postgres: on PATH, else Debian's /usr/lib/postgresql/<ver>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: float(p.split("/")[-2]),
                         reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "postgres").exists():
            return Path(folder)
    return None


def missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed under CI (.ci/run installs it): {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner():
    """initdb and postgres refuse to run as root: run them as the `postgres` account then."""
    if os.geteuid() != 0:
        return None, None
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        missing("running as root and there is no 'postgres' account to run the server as")
    uid, gid = account.pw_uid, account.pw_gid

    def demote():
        os.setgid(gid)
        os.setuid(uid)
    return demote, (uid, gid)


def start_server(settings: dict | None = None) -> dict:
    """initdb + postgres on a free port; {"port", "pid", "folder", "user"}."""
    folder_bin = binaries()
    if folder_bin is None:
        missing("no initdb/postgres on PATH or under /usr/lib/postgresql/*/bin")
    demote, owner = _as_owner()
    folder = tempfile.mkdtemp(prefix="sandbox-pg-")
    if owner:
        os.chown(folder, *owner)
    data = os.path.join(folder, "data")
    user = "postgres" if owner else pwd.getpwuid(os.getuid()).pw_name
    done = subprocess.run([str(folder_bin / "initdb"), "-D", data, "-U", user, "--auth=trust", "-E", "UTF8",
                           "--no-sync", "--locale=C"], capture_output=True, text=True, preexec_fn=demote)
    if done.returncode:
        missing(f"initdb failed: {done.stderr.strip()[-300:]}")
    port = _free_port()
    args = [str(folder_bin / "postgres"), "-D", data, "-p", str(port)]
    for key, value in {**SERVER_SETTINGS, **(settings or {})}.items():
        args += ["-c", f"{key}={value}"]
    log = open(os.path.join(folder, "server.log"), "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=log, preexec_fn=demote, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            missing(f"postgres exited: {Path(folder, 'server.log').read_text()[-300:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            if _ready(folder_bin, port, user):
                break
        if time.monotonic() > deadline:
            proc.kill()
            missing("postgres did not accept connections within 30 s")
        time.sleep(0.05)
    return {"port": port, "pid": proc.pid, "folder": folder, "user": user, "bin": str(folder_bin)}


def _ready(folder_bin: Path, port: int, user: str) -> bool:
    isready = folder_bin / "pg_isready"
    if not isready.exists():
        return True
    return subprocess.run([str(isready), "-h", "127.0.0.1", "-p", str(port), "-U", user, "-q"]).returncode == 0


def stop_server(server: dict) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(server["pid"], 3)     # SIGQUIT, "immediate shutdown": its folder is deleted next
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):   # started by this process: reap it
            if os.waitpid(server["pid"], os.WNOHANG)[0]:
                break
        try:
            os.kill(server["pid"], 0)
            with open(f"/proc/{server['pid']}/stat") as stat:   # a zombie no one reaps has stopped
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.02)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server["pid"], 9)
    shutil.rmtree(server["folder"], ignore_errors=True)


@contextlib.contextmanager
def shared_server(meeting: Path):
    """One server for every pytest-xdist worker of the run: `meeting` is a folder they all see."""
    meeting.mkdir(parents=True, exist_ok=True)
    lock_path, info_path = meeting / "pg.lock", meeting / "pg.json"
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = json.loads(info_path.read_text()) if info_path.exists() else None
        if info is None:
            info = {**start_server(), "users": 0}
        info["users"] += 1
        info_path.write_text(json.dumps(info))
        fcntl.flock(lock, fcntl.LOCK_UN)
    try:
        yield info
    finally:
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            info = json.loads(info_path.read_text())
            info["users"] -= 1
            if info["users"] <= 0:
                stop_server(info)
                info_path.unlink()
            else:
                info_path.write_text(json.dumps(info))
            fcntl.flock(lock, fcntl.LOCK_UN)


def new_database(server: dict) -> str:
    """A fresh, empty database on the server; its URL (named for the xdist worker, so two workers
    never collide)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"sandbox_{worker}_{uuid.uuid4().hex[:8]}"
    psql = Path(server["bin"]) / "psql"
    base = f"postgresql://{server['user']}@127.0.0.1:{server['port']}"
    if psql.exists():
        done = subprocess.run([str(psql), f"{base}/postgres", "-q", "-c", f'CREATE DATABASE "{name}"'],
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(done.stderr)
    else:
        import asyncio

        import asyncpg

        async def create():
            conn = await asyncpg.connect(f"{base}/postgres")
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()
        asyncio.run(create())
    return f"{base}/{name}"

"""Real servers for the infrastructure tests, on 127.0.0.1 only, each stopped by PID when
its context ends (also when the test fails): a throwaway PostgreSQL cluster, an MLflow
tracking server on it (the README's "A shared MLflow server for a team"), and a one-node
SLURM cluster (munged, slurmctld, slurmd)."""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL binaries (not on PATH: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; Debian's package creates the postgres user
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A new cluster in a temporary folder, trust auth, listening on 127.0.0.1 only; yields
    its SQLAlchemy URI (database ``postgres``, user ``postgres``, the psycopg2 driver)."""
    binaries = postgres_bin()
    home = Path(tempfile.mkdtemp(prefix="sb-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    data, port = home / "data", free_port()
    try:
        subprocess.run(
            _as_postgres_user([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]),
            check=True,
            capture_output=True,
            text=True,
        )
        subprocess.run(
            _as_postgres_user(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(home / "server.log"),
                    "-w",
                    "-o",
                    f"-p {port} -k {home} -c listen_addresses=127.0.0.1",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        _stop_postgres(data)
        shutil.rmtree(home, ignore_errors=True)


def _stop_postgres(data: Path) -> None:
    pid_file = data / "postmaster.pid"
    if not pid_file.is_file():
        return
    pid = int(pid_file.read_text().split()[0])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast shutdown"
    _wait_gone(pid, 30)


#: the README's authenticated team-server config (MLflow's basic-auth app)
AUTH_CONFIG = Path(__file__).resolve().parents[1] / "docs" / "team-server" / "basic_auth.ini"


@contextlib.contextmanager
def mlflow_server(
    backend_store_uri: str, artifacts: Path, admin: tuple[str, str] | None = None, app_name: str | None = None
) -> Iterator[str]:
    """``mlflow server`` on 127.0.0.1 with proxied artifacts in ``artifacts``; yields its URL.
    ``app_name``: an ``--app-name`` (``soundbench``: the UI opening on training runs).
    ``admin`` (user, password): MLflow's basic-auth app as the README sets it up, the admin's
    credentials from the environment and the user store in a sqlite file beside ``artifacts``."""
    port = free_port()
    log = open(artifacts.parent / "mlflow-server.log", "w")
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend_store_uri,
        "--artifacts-destination",
        str(artifacts),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    env = dict(os.environ)
    if app_name:
        command += ["--app-name", app_name]
    if admin:
        command += ["--app-name", "basic-auth"]
        env.update(
            MLFLOW_AUTH_CONFIG_PATH=str(AUTH_CONFIG),
            MLFLOW_AUTH_ADMIN_USERNAME=admin[0],
            MLFLOW_AUTH_ADMIN_PASSWORD=admin[1],
            MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(16),
        )
    server = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=artifacts.parent
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, artifacts.parent / "mlflow-server.log")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)  # the server and its workers: one process group
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_healthy(url: str, server: subprocess.Popen, log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{url}/health", timeout=2).status == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"mlflow server not healthy after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def _wait_gone(pid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def slurm_installed() -> bool:
    return all(shutil.which(tool) for tool in ("slurmctld", "slurmd", "sbatch", "munged"))


@contextlib.contextmanager
def slurm_cluster(cpus: int = 16, memory_mb: int = 65536) -> Iterator[dict[str, str]]:
    """A one-node SLURM cluster on this machine (munged, slurmctld, slurmd as daemons, their
    state in a temporary folder, ports free on 127.0.0.1); yields the environment that
    points sbatch/squeue at it (SLURM_CONF). The node declares ``cpus`` and ``memory_mb``
    (config_overrides: a test node may promise more than the machine has, so that the
    launcher's default requests fit); no GPUs."""
    home = Path(tempfile.mkdtemp(prefix="sb-slurm-"))
    shutil.chown(home, "munge", "munge")  # munged refuses a socket folder owned by another user,
    home.chmod(0o755)  # or one others cannot reach (mkdtemp makes it 0700)
    host = socket.gethostname()
    conf = home / "slurm.conf"
    conf.write_text(
        _SLURM_CONF.format(
            home=home, host=host, ctld_port=free_port(), slurmd_port=free_port(), cpus=cpus, memory_mb=memory_mb
        )
    )
    for folder in ("state", "spool"):
        (home / folder).mkdir()
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        _start_daemon(
            [
                "runuser",
                "-u",
                "munge",
                "--",
                shutil.which("munged"),
                f"--socket={home}/munge.socket",
                f"--pid-file={home}/munged.pid",
                f"--log-file={home}/munged.log",
                f"--seed-file={home}/munge.seed",
            ],
            env,
        )
        for daemon in ("slurmctld", "slurmd"):
            _start_daemon([shutil.which(daemon)], env)
        _wait_node_idle(env, home)
        yield env
    finally:
        _drain(env)
        for daemon in ("slurmd", "slurmctld", "munged"):  # by the PIDs the daemons wrote
            pid_file = home / f"{daemon}.pid"
            if pid_file.is_file():
                pid = int(pid_file.read_text().split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                _wait_gone(pid, 30)
        shutil.rmtree(home, ignore_errors=True)


def _start_daemon(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}: {done.stdout}{done.stderr}")


def _drain(env: dict[str, str], timeout_s: float = 60) -> None:
    """Let the jobs' step daemons report back (or cancel what still runs), so that no
    slurmstepd outlives the cluster."""
    subprocess.run(["scancel", "--state=PENDING"], env=env, capture_output=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True)
        if queue.returncode != 0 or not queue.stdout.strip():
            return
        if time.monotonic() > deadline - timeout_s / 2:
            subprocess.run(["scancel", "--full", "--signal=KILL"], env=env, capture_output=True)
        time.sleep(0.5)


def _wait_node_idle(env: dict[str, str], home: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True).stdout.strip()
        if state == "idle":
            return
        time.sleep(0.5)
    logs = "\n".join(
        (home / f"{d}.log").read_text()[-1500:] for d in ("slurmctld", "slurmd") if (home / f"{d}.log").is_file()
    )
    raise RuntimeError(f"the SLURM node is not idle after {timeout_s:.0f} s:\n{logs}")


_SLURM_CONF = """\
ClusterName=soundbench-test
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={home}/munge.socket
StateSaveLocation={home}/state
SlurmdSpoolDir={home}/spool
SlurmctldPidFile={home}/slurmctld.pid
SlurmdPidFile={home}/slurmd.pid
SlurmctldLogFile={home}/slurmctld.log
SlurmdLogFile={home}/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""

"""The production topology on one machine: nginx (TLS, sticky sessions, limits) in front of N replicas of
the app, one PostgreSQL, one shared file store, the same keys everywhere, the schema migrated once before
any replica starts, and the outbox sender and the pre-check worker (智能预审) as processes of their own: a
replica serves pages and reads no uploaded file itself (PRECHECK_WORKER=external).

`python -m deploy up` runs it for a person; tests/topology and `make bench` run it to prove it. Real
servers run the same pieces from the systemd units in deploy/systemd/ and the nginx site rendered by
`python -m deploy nginx-config`.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from deploy.postgres import PgCluster, free_port, pg_bindir, tail
from deploy.tls import self_signed

REPO = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"
SITE_TEMPLATE = Path(__file__).resolve().parent / "nginx" / "baoan.conf"
MAIN_TEMPLATE = Path(__file__).resolve().parent / "nginx" / "local.conf"
STARTUP_TIMEOUT_S = 90.0
DATABASE_NAME = "baoan"


# ---------------------------------------------------------------- the nginx site
@dataclass(frozen=True)
class Limits:
    """Per-address request limits of the nginx site (rate, then the burst allowed above it)."""

    login_rate: str = "10r/m"
    login_burst: int = 10
    verify_rate: str = "30r/m"
    verify_burst: int = 20
    upload_rate: str = "60r/m"
    upload_burst: int = 30
    page_rate: str = "120r/m"
    page_burst: int = 60
    any_rate: str = "50r/s"
    any_burst: int = 300
    connections: int = 200


def max_upload_mb(config: Path = REPO / ".streamlit" / "config.toml") -> int:
    """The app's per-file upload limit (server.maxUploadSize, megabytes)."""
    with config.open("rb") as handle:
        return int(tomllib.load(handle)["server"]["maxUploadSize"])


def _fill(template: str, values: dict[str, str]) -> str:
    out = template
    for name, value in values.items():
        out = out.replace(f"@{name}@", value)
    left = re.findall(r"@[A-Z_]+@", out)
    if left:
        raise ValueError(f"unfilled placeholders in the nginx template: {sorted(set(left))}")
    return out


def render_site(replicas: list[str], *, listen: str, http_listen: str, server_name: str, cert: Path, key: Path,
                https_port: int = 443, limits: Limits = Limits()) -> str:
    """The nginx site (deploy/nginx/baoan.conf) for replicas at `host:port` each, named r1, r2 ... in order."""
    if not replicas:
        raise ValueError("at least one replica")
    names = [f"r{n}" for n in range(1, len(replicas) + 1)]
    # max_fails=3: one failed request (a moment of overload) must not take the last live replica out for
    # fail_timeout; a dead one refuses connections at once and is out after three (docs/operations.md).
    # keepalive_timeout 4s: below uvicorn's 5 s, so nginx never reuses a connection the replica is closing
    # (that request would fail and be retried on the backup replica).
    blocks = []
    for name, address in zip(names, replicas, strict=True):
        others = [a for a in replicas if a != address]
        blocks.append("upstream baoan_" + name + " {\n"
                      f"    server {address} max_fails=3 fail_timeout=10s;\n"
                      + "".join(f"    server {other} backup;\n" for other in others)
                      + "    keepalive 16;\n    keepalive_timeout 4s;\n}")
    blocks.append("upstream baoan_any {\n    least_conn;\n"
                  + "".join(f"    server {address} max_fails=3 fail_timeout=10s;\n" for address in replicas)
                  + "    keepalive 16;\n    keepalive_timeout 4s;\n}")
    upload = max_upload_mb()
    values = {
        "UPSTREAMS": "\n".join(blocks),
        "ROUTE_TO_UPSTREAM": "\n".join(f"    {name} baoan_{name};" for name in names),
        "ADDRESS_TO_ROUTE": "\n".join(f'    "~(?:^|, ){re.escape(address)}$" {name};'
                                      for name, address in zip(names, replicas, strict=True)),
        "LISTEN": listen, "HTTP_LISTEN": http_listen, "SERVER_NAME": server_name,
        "CERT": str(cert), "KEY": str(key), "HTTPS_PORT_SUFFIX": "" if https_port == 443 else f":{https_port}",
        "MAX_UPLOAD_MB": str(upload),
        # A multipart body carries the file plus its framing; Streamlit re-checks the file's own size.
        "MAX_BODY": f"{upload + 1}m",
        "LOGIN_RATE": limits.login_rate, "LOGIN_BURST": str(limits.login_burst),
        "VERIFY_RATE": limits.verify_rate, "VERIFY_BURST": str(limits.verify_burst),
        "UPLOAD_RATE": limits.upload_rate, "UPLOAD_BURST": str(limits.upload_burst),
        "PAGE_RATE": limits.page_rate, "PAGE_BURST": str(limits.page_burst),
        "ANY_RATE": limits.any_rate, "ANY_BURST": str(limits.any_burst),
        "CONNECTIONS_PER_ADDRESS": str(limits.connections),
    }
    return _fill(SITE_TEMPLATE.read_text(encoding="utf-8"), values)


# ---------------------------------------------------------------- shared keys
def shared_keys(folder: Path) -> dict[str, str]:
    """The keys every replica and the outbox sender must share, made once in `folder` (mode 0700):
    the screening list's HMAC key, the data key (ID numbers at rest), the certificates' signing key,
    Streamlit's cookie secret.

    Returned as environment variables; also written to `folder/baoan.env` (systemd's EnvironmentFile
    format) for the units in deploy/systemd/."""
    from flows.documents.signing import create_key_file
    from store.keys import data_key

    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    env_file = folder / "baoan.env"
    if not env_file.exists():
        signing = folder / "certificate-signing.pem"
        if not signing.exists():
            create_key_file(signing)
        lines = [f"SCREENING_SECRET={secrets.token_hex(32)}",
                 f"BAOAN_DATA_KEY={data_key()}",
                 f"STREAMLIT_SERVER_COOKIE_SECRET={secrets.token_hex(32)}",
                 f"CERT_SIGNING_KEY_FILE={signing}"]
        fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    return read_env_file(env_file)


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


# ---------------------------------------------------------------- processes
@dataclass
class Service:
    """A process of the topology with its own log file, started in its own process group."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    health_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: bool = True) -> None:
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is running"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            out.write(f"\n===== {self.name} started {time.strftime('%H:%M:%S')} =====\n".encode())
            out.flush()
            self.proc = subprocess.Popen(self.command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        if wait:
            self.wait_healthy()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        if self.health_url is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail(self.log)}")
            if healthy(self.health_url):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not healthy at {self.health_url} after {timeout:.0f} s:\n"
                                   f"{tail(self.log)}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean-up, open websockets simply drop."""
        if self.running:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)

    def stop(self) -> None:
        if not self.running:
            return
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass


def healthy(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


# ---------------------------------------------------------------- the whole topology
@dataclass
class Topology:
    """nginx + N replicas + PostgreSQL + a shared file store (+ outbox senders), all under `root`.

    With `database_url` the database is that one (already existing); without, a PostgreSQL cluster is
    started in `root/postgres`. `outbox_senders` processes of `python -m store.outbox` run beside the
    replicas (one in a deployment; the tests run one per replica to prove they never send twice).
    `precheck_workers` processes of `python -m store.precheck_worker` read the uploaded files (each claims
    its own); with any, the replicas read none (PRECHECK_WORKER=external), so that a replica's cores serve
    pages and one worker's reading child is the only OCR on the machine."""

    root: Path
    replicas: int = 2
    database_url: str | None = None
    https_port: int = 0  # 0: a free port
    outbox_senders: int = 1
    outbox_interval: float = 5.0
    precheck_workers: int = 1
    limits: Limits = Limits()
    extra_env: dict[str, str] = field(default_factory=dict)
    streamlit_options: list[str] = field(default_factory=list)
    pg: PgCluster | None = None
    apps: list[Service] = field(default_factory=list)
    senders: list[Service] = field(default_factory=list)
    workers: list[Service] = field(default_factory=list)
    nginx: Service | None = None
    env: dict[str, str] = field(default_factory=dict)
    nginx_temp: Path | None = None

    # ---- where things are
    @property
    def files(self) -> Path:
        return self.root / "files"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def cafile(self) -> Path:
        return self.root / "tls" / "server.crt"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.app_ports[index]}"

    @property
    def app_ports(self) -> list[int]:
        return [int(s.env["BAOAN_REPLICA_PORT"]) for s in self.apps]

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile))

    # ---- bringing it up
    def __enter__(self) -> Topology:
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.down()

    def up(self, *, demo: bool = False) -> None:
        """Database, keys and schema first (once), then the replicas, nginx, the outbox sender(s) and the
        pre-check worker(s)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.files.mkdir(parents=True, exist_ok=True)
        if self.database_url is None:
            bindir = pg_bindir()
            if bindir is None:
                raise RuntimeError("PostgreSQL not installed: run scripts/system-deps.sh")
            self.pg = PgCluster(bindir, self.root / "postgres", durable=True)
            self.pg.start()
            self.database_url = self.pg.create_database(DATABASE_NAME)
        if not self.https_port:
            self.https_port = free_port()
        self.env = self._shared_env()
        self._once("migrate", [sys.executable, "-m", "store.db", "migrate"])
        if demo:
            self._once("seed", [sys.executable, "-m", "store.seed"])
        for n in range(1, self.replicas + 1):
            port = free_port()
            env = dict(self.env, BAOAN_REPLICA_PORT=str(port))
            self.apps.append(Service(
                f"replica r{n}", [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
                                  "--server.address", "127.0.0.1", "--server.port", str(port),
                                  "--browser.gatherUsageStats", "false",
                                  *(f"--{option}" for option in self.streamlit_options)],
                env, self.logs / f"replica-r{n}.log", health_url=f"http://127.0.0.1:{port}/_stcore/health"))
        for app in self.apps:
            app.start(wait=False)
        for app in self.apps:
            app.wait_healthy()
        self._start_nginx()
        for n in range(1, self.outbox_senders + 1):
            sender = Service(f"outbox sender {n}", [sys.executable, "-m", "store.outbox",
                                                    "--interval", str(self.outbox_interval)],
                             self.env, self.logs / f"outbox-{n}.log")
            sender.start()
            self.senders.append(sender)
        for n in range(1, self.precheck_workers + 1):
            worker = Service(f"pre-check worker {n}", [sys.executable, "-m", "store.precheck_worker"],
                             self.env, self.logs / f"precheck-{n}.log")
            worker.start()
            self.workers.append(worker)

    @property
    def services(self) -> list[Service]:
        """The processes of the app's own code that keep running: replicas, senders, workers."""
        return [*self.apps, *self.senders, *self.workers]

    def _shared_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("MIGRATION_DATABASE_URL", "BLOB_DIR", "PORTAL"):
            env.pop(name, None)
        env.update(shared_keys(self.root / "keys"))
        assert self.database_url is not None
        env.update(
            DATABASE_URL=self.database_url, DATA_DIR=str(self.files), APP_BASE_URL=self.url,
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
            PYTHONUNBUFFERED="1",
            # uvicorn (under Streamlit) believes X-Forwarded-For/-Proto only from these addresses: nginx's.
            FORWARDED_ALLOW_IPS="127.0.0.1",
        )
        if self.precheck_workers:
            env["PRECHECK_WORKER"] = "external"  # the worker processes read the files, not the replicas
        env.update(self.extra_env)
        return env

    def _once(self, what: str, command: list[str]) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=600)
        (self.logs / f"{what}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}):\n{done.stderr[-3000:]}")

    def _start_nginx(self) -> None:
        prefix = self.root / "nginx"
        prefix.mkdir(parents=True, exist_ok=True)
        # Request bodies are buffered by the workers, which run as nobody when we are root: their folder must
        # be reachable by nobody, which the topology's root (a private temporary folder) may not be.
        self.nginx_temp = Path(tempfile.mkdtemp(prefix="baoan-nginx-"))
        self.nginx_temp.chmod(0o755)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.nginx_temp / sub).mkdir()
            if os.geteuid() == 0:
                nobody = pwd.getpwnam("nobody")
                os.chown(self.nginx_temp / sub, nobody.pw_uid, nobody.pw_gid)
        cert, key = self_signed(self.root / "tls")
        site = prefix / "baoan.conf"
        site.write_text(render_site([f"127.0.0.1:{port}" for port in self.app_ports],
                                    listen=f"127.0.0.1:{self.https_port}", http_listen=f"127.0.0.1:{free_port()}",
                                    server_name="localhost 127.0.0.1", cert=cert, key=key,
                                    https_port=self.https_port, limits=self.limits), encoding="utf-8")
        main = MAIN_TEMPLATE.read_text(encoding="utf-8")
        main = _fill(main, {"USER": "user nobody nogroup;" if os.geteuid() == 0 else "", "PREFIX": str(prefix),
                            "TEMP": str(self.nginx_temp), "SITE": str(site)})
        (prefix / "nginx.conf").write_text(main, encoding="utf-8")
        command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
        checked = subprocess.run([*command[:5], "-t"], capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        self.nginx = Service("nginx", command, dict(os.environ), self.logs / "nginx.log")
        self.nginx.start(wait=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        context = self.ssl_context()
        while not healthy(f"{self.url}/_stcore/health", context):
            if not self.nginx.running or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not answer at {self.url}:\n{tail(prefix / 'error.log')}")
            time.sleep(0.1)

    # ---- failures and the end
    def kill_replica(self, index: int) -> None:
        self.apps[index].kill()

    def restart_replica(self, index: int) -> None:
        self.apps[index].stop()
        self.apps[index].start()

    def down(self) -> None:
        for service in [*self.workers, *self.senders, *([self.nginx] if self.nginx else []), *self.apps]:
            service.stop()
        if self.pg is not None:
            self.pg.stop()
        if self.nginx_temp is not None:
            shutil.rmtree(self.nginx_temp, ignore_errors=True)

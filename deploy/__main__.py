"""`python -m deploy`: run the production topology locally, or render the nginx site for real servers.

    python -m deploy up [--replicas 2] [--root data/cluster] [--port 8443] [--demo]
    python -m deploy nginx-config --replica 10.0.0.11:8501 --replica 10.0.0.12:8501 \
        --server-name banshi.example.gov.cn --cert /etc/ssl/baoan.crt --key /etc/ssl/private/baoan.key
    python -m deploy cert FOLDER            # a self-signed certificate for trying it out
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from deploy.tls import self_signed
from deploy.topology import REPO, Topology, render_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="nginx + N replicas + PostgreSQL + shared files + outbox sender + "
                                        "pre-check worker, in the foreground until Ctrl-C")
    up.add_argument("--replicas", type=int, default=2)
    up.add_argument("--root", type=Path, default=REPO / "data" / "cluster",
                    help="where the database, files, keys, certificate and logs are kept (kept between runs)")
    up.add_argument("--port", type=int, default=8443, help="nginx's HTTPS port on 127.0.0.1")
    up.add_argument("--database-url", help="an existing PostgreSQL database (default: one started in --root)")
    up.add_argument("--demo", action="store_true", help="add the demo accounts and cases (python -m store.seed)")
    config = commands.add_parser("nginx-config", help="print the nginx site for real servers")
    config.add_argument("--replica", action="append", required=True, metavar="HOST:PORT")
    config.add_argument("--server-name", required=True)
    config.add_argument("--cert", type=Path, required=True)
    config.add_argument("--key", type=Path, required=True)
    config.add_argument("--listen", default="443")
    config.add_argument("--http-listen", default="80")
    cert = commands.add_parser("cert", help="make a self-signed certificate (server.crt, server.key) in FOLDER")
    cert.add_argument("folder", type=Path)
    cert.add_argument("--host", default="localhost")
    args = parser.parse_args(argv)

    if args.command == "nginx-config":
        port = int(args.listen.rsplit(":", 1)[-1])
        print(render_site(args.replica, listen=args.listen, http_listen=args.http_listen,
                          server_name=args.server_name, cert=args.cert, key=args.key, https_port=port), end="")
        return 0
    if args.command == "cert":
        crt, key = self_signed(args.folder, args.host)
        print(f"certificate {crt}\nkey         {key} (mode 0600)")
        return 0
    return _run_up(args)


def _run_up(args: argparse.Namespace) -> int:
    topology = Topology(root=args.root.resolve(), replicas=args.replicas, database_url=args.database_url,
                        https_port=args.port)
    stopping = []
    signal.signal(signal.SIGTERM, lambda _s, _f: stopping.append(True))
    try:
        topology.up(demo=args.demo)
        print(f"serving {topology.url}/ through nginx (self-signed certificate: {topology.cafile})")
        for service in topology.apps:
            print(f"  {service.name}: {service.health_url} (log {service.log})")
        for service in [*topology.senders, *topology.workers]:
            print(f"  {service.name} (log {service.log})")
        print(f"  database {topology.database_url}; files {topology.files}; keys {topology.root / 'keys'}")
        print("Ctrl-C stops everything (the data stays in --root).", flush=True)
        while not stopping:
            for service in topology.services:
                if not service.running:
                    print(f"{service.name} stopped; restarting it", flush=True)
                    service.start()
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        topology.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())

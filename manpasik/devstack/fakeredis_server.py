"""A Redis stand-in over TCP for machines without redis-server (fakeredis' TcpFakeServer)."""

from __future__ import annotations

import argparse

from fakeredis import TcpFakeServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6379)
    args = parser.parse_args()
    server = TcpFakeServer((args.host, args.port), server_type="redis")
    print(f"fakeredis listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

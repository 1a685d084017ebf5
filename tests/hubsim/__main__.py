"""`python -m tests.hubsim`: serve the simulator until Ctrl-C, for manual runs against the app."""

from __future__ import annotations

import argparse
import threading

from tests.hubsim.server import HubSim


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.hubsim", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="hub port (default: random)")
    parser.add_argument("--cdn-port", type=int, default=0, help="CDN port (default: random)")
    parser.add_argument("--generated", type=int, default=2000, help="generated models to add")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-corpus", action="store_true", help="do not load ../shared corpus configs")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--handshake", type=float, default=0.0,
                        help="seconds a new connection's first answer waits (HTTPS: 2 x latency)")
    parser.add_argument("--token", action="append", default=[], metavar="TOKEN=USER",
                        help="accept this bearer token for USER (repeatable)")
    args = parser.parse_args()
    sim = HubSim(corpus=not args.no_corpus, generated=args.generated, seed=args.seed,
                 port=args.port, cdn_port=args.cdn_port)
    for pair in args.token:
        token, _, user = pair.partition("=")
        sim.tokens[token] = user or "user"
    sim.faults.latency = args.latency
    sim.faults.handshake = args.handshake
    sim.start()
    print(f"hubsim: {len(sim.models)} models at {sim.url} (CDN {sim.cdn_url})", flush=True)
    print(f"  HF_ENDPOINT={sim.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()

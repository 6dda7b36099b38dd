"""`python -m replica [--port 8800] [--seed 1] [--fault-rate 0.25] [--latency 0.05]`: run the replica in the foreground."""
from __future__ import annotations

import argparse
import json
import signal
import threading

from replica.layout import DEFAULT_PORT
from replica.server import Replica


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m replica", description=__doc__)
    ap.add_argument("--port", type=int, default=DEFAULT_PORT)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--fault-seed", type=int, default=0)
    ap.add_argument("--fault-delay", type=float, default=2.0)
    ap.add_argument("--rate-limit", type=int, default=10, help="hostile-429: requests per minute per client")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds each site response waits (a real server's)")
    ap.add_argument("--counties", action="store_true", help="also serve the whole counties (replica.sites.county)")
    args = ap.parse_args()
    replica = Replica(args.seed, args.port, fault_rate=args.fault_rate, fault_seed=args.fault_seed,
                      fault_delay=args.fault_delay, rate_limit=args.rate_limit, latency=args.latency, counties=args.counties).start()
    print(json.dumps({"control": replica.control_url, "sites": replica.sites(), "counties": replica.counties()}, ensure_ascii=False, indent=1),
          flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    replica.stop()


if __name__ == "__main__":
    main()

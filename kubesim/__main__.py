"""Command line: ``python -m kubesim --scenario NAME|FILE [options]`` (see ``--help``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
import time

from .scenarios import builtin_names
from .sim import KubeSim


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m kubesim",
        description="Kubernetes API simulator with a "
        "virtual kubelet. Built-in scenarios: " + ", ".join(builtin_names()),
    )
    p.add_argument("--scenario", default="demo", help="built-in name or a YAML/JSON scenario file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=6443)
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kubeconfig", help="write a kubeconfig for this server to FILE")
    p.add_argument("--context", default="kubesim")
    p.add_argument("--token", help="bearer token (default: random)")
    p.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a generated certificate (implied by "
        "--kubeconfig: kubectl never sends a bearer token over plain HTTP)",
    )
    p.add_argument("--plain-http", action="store_true", help="serve plain HTTP even with --kubeconfig")
    p.add_argument("--ground-truth", help="append ground-truth JSON lines to FILE")
    p.add_argument("--duration", type=float, help="stop after this many simulated seconds")
    p.add_argument("--pods-per-second", type=float, default=50.0, help="churn: Pods created per second")
    p.add_argument("--init-containers", type=int, default=3, help="churn: init containers per Pod")
    p.add_argument("--pods", type=int, default=150_000, help="large: settled Pods in all")
    p.add_argument("--replicas", type=int, default=100, help="large: Pods per Deployment")
    p.add_argument("--nodes", type=int, default=3, help="nodes of the cluster")
    p.add_argument("--history-size", type=int, default=10_000, help="watch history per resource")
    p.add_argument("--bookmark-interval", type=float, default=60.0, help="seconds between BOOKMARKs")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p.parse_args(argv)


async def amain(args: argparse.Namespace) -> None:
    options = {}
    if args.scenario == "churn":
        options = {"pods_per_second": args.pods_per_second, "init_containers": args.init_containers}
    elif args.scenario == "large":
        options = {"pods": args.pods, "replicas": args.replicas}
    tls = args.tls or (bool(args.kubeconfig) and not args.plain_http)
    sim = KubeSim(
        args.scenario,
        speed=args.speed,
        seed=args.seed,
        host=args.host,
        port=args.port,
        token=args.token,
        tls=tls,
        ground_truth=args.ground_truth,
        scenario_options=options,
        history_size=args.history_size,
        bookmark_interval=args.bookmark_interval,
        nodes=args.nodes,
    )
    began = time.monotonic()
    url = await sim.start()
    setup_seconds = time.monotonic() - began
    # What start-up built (a large scenario's Pods) lives until the end: keep it out of every later
    # collection, which would otherwise walk millions of objects again and again.
    gc.collect()
    gc.freeze()
    if args.kubeconfig:
        sim.write_kubeconfig(args.kubeconfig, args.context)
    print(
        f"kubesim serving {url} scenario={sim.scenario.name} speed={args.speed}"
        + (f" kubeconfig={args.kubeconfig}" if args.kubeconfig else f" token={sim.token}")
        + f" pods={len(sim.store.objects['pods'])} setup={setup_seconds:.1f}s",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    end = sim.clock.now() + args.duration if args.duration else None
    while not stop.is_set():
        if end is not None and sim.clock.now() >= end:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)
    await sim.stop()
    sim.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.log_level != "debug":
        logging.getLogger("kubesim.http").setLevel(
            max(logging.INFO, logging.getLevelName(args.log_level.upper()))
        )
    asyncio.run(amain(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

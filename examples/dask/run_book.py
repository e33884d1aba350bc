#!/usr/bin/python3
"""Runs `mmi batch` over a sharded book on a dask.distributed cluster and merges the results.

    /usr/bin/python3 examples/dask/run_book.py --mmi build/cli/mmi --policy POLICY SHARD...
        [--scheduler tcp://HOST:8786] [--workers 2] -o results.jsonl

Each shard is a JSON Lines file of whole cases; the shards are given in book order. Every task
runs `mmi batch` on one shard with `--first-line` set to the shard's first line in the book, so
the merged output (shard results concatenated in shard order) is byte for byte what one
`mmi batch` over the whole book prints. Without --scheduler a LocalCluster of --workers processes
is started; with it the tasks go to that cluster, whose workers must see the same paths (a shared
file system) and have the same mmi binary. Exit 0 when every shard ran, 1 otherwise; 77 when
dask.distributed cannot be imported (Debian: apt-get install python3-distributed).

Not yet here (docs/scaling.md): `mmi whatif --partial` per shard and `mmi whatif --merge`.
"""
import argparse
import subprocess
import sys

try:
    from dask.distributed import Client, LocalCluster
except ImportError as e:  # the CTest skips (SKIP_RETURN_CODE 77)
    print(f"skipped: dask.distributed is not importable ({e})", file=sys.stderr)
    sys.exit(77)


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def run_shard(mmi, policy, shard, first_line):
    """One task: the shard's results (bytes), or raises with mmi's stderr."""
    p = subprocess.run([mmi, "batch", "-q", "-p", policy, shard, "--threads", "1",
                        "--first-line", str(first_line)], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"{shard}: mmi batch exited {p.returncode}: {p.stderr.decode()}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mmi", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--scheduler", help="address of a running scheduler (default: a LocalCluster)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("shards", nargs="+")
    args = ap.parse_args()

    first_lines, line = [], 1
    for shard in args.shards:
        first_lines.append(line)
        line += count_lines(shard)

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(run_shard, [args.mmi] * len(args.shards),
                             [args.policy] * len(args.shards), args.shards, first_lines,
                             pure=False)
        results = client.gather(futures)
    finally:
        client.close()
        if cluster:
            cluster.close()
    with open(args.output, "wb") as out:
        for r in results:
            out.write(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())

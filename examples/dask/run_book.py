#!/usr/bin/python3
"""Runs `mmi batch` and `mmi whatif` over a sharded book on a dask.distributed cluster and merges.

    /usr/bin/python3 examples/dask/run_book.py --mmi build/cli/mmi --policy POLICY SHARD...
        [--scheduler tcp://HOST:8786] [--workers 2] [-o results.jsonl]
        [--whatif "WHATIF FLAGS" --whatif-output summary.txt [--whatif-output summary.json …]]

Each shard is a JSON Lines file of whole cases; the shards are given in book order, and every
task is told the shard's first line in the book (`--first-line`).

- `-o`: one task per shard runs `mmi batch`; the shard results concatenated in shard order are
  byte for byte what one `mmi batch` over the whole book prints.
- `--whatif FLAGS` (the variant and analysis flags of `mmi whatif`, as one string, e.g.
  "--set tx_statutory_period=78 weeks --measure 'paid = …' --by injury.body_part"): one task per
  shard runs `mmi whatif --format json --partial`, and one more task merges the partials with
  `mmi whatif --merge`, once per `--whatif-output` (the format from its extension: .txt text,
  .json json, .csv csv, .html html) — byte for byte what one `mmi whatif` over the book prints.

Without --scheduler a LocalCluster of --workers processes is started; with it the tasks go to that
cluster, whose workers must see the same paths (a shared file system) and have the same mmi
binary. Only the results travel back to this script. Exit 0 when every task ran, 1 otherwise;
77 when dask.distributed cannot be imported (Debian: apt-get install python3-distributed).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

try:
    from dask.distributed import Client, LocalCluster
except ImportError as e:  # the CTest skips (SKIP_RETURN_CODE 77)
    print(f"skipped: dask.distributed is not importable ({e})", file=sys.stderr)
    sys.exit(77)

FORMATS = {".txt": "text", ".json": "json", ".csv": "csv", ".html": "html"}


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def run_mmi(args, what):
    """mmi's stdout (bytes), or raises with its stderr."""
    p = subprocess.run(args, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"{what}: mmi exited {p.returncode}: {p.stderr.decode()}")
    return p.stdout


def run_shard(mmi, policy, shard, first_line):
    """One task: the shard's batch results."""
    return run_mmi([mmi, "batch", "-q", "-p", policy, shard, "--threads", "1",
                    "--first-line", str(first_line)], shard)


def whatif_shard(mmi, policy, shard, first_line, flags):
    """One task: the shard's what-if partial (exact mergeable state, JSON)."""
    return run_mmi([mmi, "whatif", "-q", "--no-progress", "-p", policy, shard, "--threads", "1",
                    "--first-line", str(first_line), *flags, "--format", "json", "--partial"],
                   shard)


def merge_partials(mmi, partials, formats):
    """One task: the partials (in shard order) merged, once per format."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, partial in enumerate(partials):
            paths.append(os.path.join(tmp, f"partial-{i:05}.json"))
            with open(paths[-1], "wb") as f:
                f.write(partial)
        return [run_mmi([mmi, "whatif", "-q", "--merge", *paths, "--format", fmt], "merge")
                for fmt in formats]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mmi", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--scheduler", help="address of a running scheduler (default: a LocalCluster)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("-o", "--output", help="the batch results (JSON Lines)")
    ap.add_argument("--whatif", metavar="FLAGS", help="mmi whatif flags, as one string")
    ap.add_argument("--whatif-output", action="append", default=[],
                    help="the merged what-if summary (.txt, .json, .csv or .html; repeatable)")
    ap.add_argument("shards", nargs="+")
    args = ap.parse_args()
    if not args.output and not args.whatif:
        ap.error("nothing to do: give -o (batch) and/or --whatif")
    if bool(args.whatif) != bool(args.whatif_output):
        ap.error("--whatif and --whatif-output go together")
    formats = []
    for path in args.whatif_output:
        ext = os.path.splitext(path)[1]
        if ext not in FORMATS:
            ap.error(f"--whatif-output {path}: the extension says the format ({', '.join(FORMATS)})")
        formats.append(FORMATS[ext])

    first_lines, line = [], 1
    for shard in args.shards:
        first_lines.append(line)
        line += count_lines(shard)
    n = len(args.shards)

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        batch = merged = None
        if args.output:
            batch = client.map(run_shard, [args.mmi] * n, [args.policy] * n, args.shards,
                               first_lines, pure=False)
        if args.whatif:
            flags = shlex.split(args.whatif)
            partials = client.map(whatif_shard, [args.mmi] * n, [args.policy] * n, args.shards,
                                  first_lines, [flags] * n, pure=False)
            # The merge runs on a worker too: this machine needs no mmi, only the results.
            merged = client.submit(merge_partials, args.mmi, partials, formats, pure=False)
        batch = client.gather(batch) if batch else None
        merged = merged.result() if merged else None
    finally:
        client.close()
        if cluster:
            cluster.close()
    if batch is not None:
        with open(args.output, "wb") as out:
            for r in batch:
                out.write(r)
    for path, summary in zip(args.whatif_output, merged or []):
        with open(path, "wb") as out:
            out.write(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Peers of the scale benchmark (docs/scale.md): the time to compute only X'X (and X'y, y'y)
of the design [1, x1..xK, y] over a directory of Parquet files, by DuckDB SQL and by Polars
expressions, and the time to read the files' bytes once. Medians of REPS runs after one warm-up.

    bench/scale_peers.py DIR --cols 20 --threads 2 --reps 3

Needs duckdb and polars (benchmark tooling only).
"""
import argparse
import glob
import os
import statistics
import time

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--cols", type=int, default=20)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--reps", type=int, default=3)
a = p.parse_args()
files = sorted(glob.glob(os.path.join(a.dir, "*.parquet")))
names = ["1"] + [f"x{j + 1}" for j in range(a.cols)] + ["y"]


def timed(f):
    f()
    ts = []
    for _ in range(a.reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def read_bytes():
    for f in files:
        with open(f, "rb") as h:
            while h.read(1 << 24):
                pass


print(f"read bytes once: {timed(read_bytes):.2f} s ({sum(os.path.getsize(f) for f in files) / 1e9:.1f} GB)")

import duckdb  # noqa: E402

con = duckdb.connect()
con.execute(f"SET threads = {a.threads}")
terms = []
for i in range(len(names)):
    for j in range(i, len(names)):
        a_, b_ = names[i], names[j]
        terms.append(f"sum({a_}::DOUBLE * {b_})" if a_ != "1" else f"sum({b_}::DOUBLE)")  # sum(1) = n
sql = f"SELECT count(*), {', '.join(terms)} FROM read_parquet('{a.dir}/*.parquet')"
print(f"duckdb {duckdb.__version__} X'X ({len(terms)} sums): {timed(lambda: con.execute(sql).fetchall()):.2f} s")
scan = f"SELECT {', '.join(f'sum({n})' for n in names[1:])} FROM read_parquet('{a.dir}/*.parquet')"
print(f"duckdb one read (a sum of every column): {timed(lambda: con.execute(scan).fetchall()):.2f} s")

os.environ["POLARS_MAX_THREADS"] = str(a.threads)
import polars as pl  # noqa: E402

exprs = []
for i in range(len(names)):
    for j in range(i, len(names)):
        a_, b_ = names[i], names[j]
        if a_ == "1":
            e = pl.len().cast(pl.Float64) if b_ == "1" else pl.col(b_).sum()
        else:
            e = (pl.col(a_) * pl.col(b_)).sum()
        exprs.append(e.alias(f"s{i}_{j}"))
lf = pl.scan_parquet(f"{a.dir}/*.parquet")
print(f"polars {pl.__version__} X'X ({len(exprs)} sums): {timed(lambda: lf.select(exprs).collect()):.2f} s")

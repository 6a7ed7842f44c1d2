#!/usr/bin/env python3
"""Writes the scale benchmark's data: N rows of y, x1..xK and a cluster id g (G clusters), as F
Parquet files in DIR (part-00.parquet ...), in row groups of 1 Mi rows, from a fixed seed.

    bench/make_scale_data.py DIR --rows 20000000 --cols 4 --clusters 1000 --files 8

y = 1 + 0.5 x1 - 0.25 x2 + ... + a cluster effect + noise. Needs numpy and pyarrow (benchmark
tooling only; the project's build and tests do not use it).
"""
import argparse
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--rows", type=int, default=20_000_000)
p.add_argument("--cols", type=int, default=4)
p.add_argument("--clusters", type=int, default=1000)
p.add_argument("--files", type=int, default=8)
p.add_argument("--seed", type=int, default=20261206)
a = p.parse_args()
os.makedirs(a.dir, exist_ok=True)
rng = np.random.default_rng(a.seed)
effect = rng.normal(0, 0.5, a.clusters)
beta = np.array([0.5 * (-0.5) ** j for j in range(a.cols)])
per_file = a.rows // a.files
for f in range(a.files):
    n = per_file if f < a.files - 1 else a.rows - per_file * (a.files - 1)
    g = rng.integers(1, a.clusters + 1, n, dtype=np.int64)
    x = rng.normal(0, 1, (n, a.cols))
    y = 1.0 + x @ beta + effect[g - 1] + rng.normal(0, 1, n)
    cols = {"y": y}
    for j in range(a.cols):
        cols[f"x{j + 1}"] = x[:, j]
    cols["g"] = g
    pq.write_table(pa.table(cols), os.path.join(a.dir, f"part-{f:02d}.parquet"), row_group_size=1 << 20)
    print(f"part-{f:02d}.parquet: {n} rows")

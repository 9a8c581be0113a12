"""The script a user would write instead of `rookery monitor`: read the
capture table with pandas, then scipy's ks_2samp on the four numeric columns
and chisquare on the two categorical ones against the reference CSV. Prints
one line per column; `npm run bench:monitor` times it as its baseline.

    python3 scripts/bench/monitor-baseline.py CAPTURES.db data/penguins.csv
"""
import sqlite3
import sys

import pandas as pd
from scipy import stats

NUMERIC = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island", "sex"]


def main(db_path, reference_path):
    with sqlite3.connect(db_path) as conn:
        current = pd.read_sql(f"SELECT {', '.join(NUMERIC + CATEGORICAL)} FROM data", conn)
    reference = pd.read_csv(reference_path, na_values=["NA", "."])
    for column in NUMERIC:
        result = stats.ks_2samp(reference[column].dropna(), current[column].dropna())
        print(f"{column}: ks statistic {result.statistic:.6g}, p {result.pvalue:.6g}")
    for column in CATEGORICAL:
        ref = reference[column].dropna().value_counts()
        cur = current[column].dropna().value_counts()
        keys = sorted(set(ref.index) | set(cur.index))
        observed = [cur.get(k, 0) for k in keys]
        expected = [ref.get(k, 0) / ref.sum() * cur.sum() for k in keys]
        result = stats.chisquare(observed, expected)
        print(f"{column}: chisquare statistic {result.statistic:.6g}, p {result.pvalue:.6g}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""The script a user would write instead of `rookery score`: a scikit-learn
Pipeline (mean imputation and scaling for the numbers, one-hot for the
categories, logistic regression) fitted on the training CSV, then the batch
file read with pandas and scored with predict_proba; with --write, the
input's columns plus prediction and confidence written back in the same
format. Prints rows, seconds spent reading, scoring and writing, and the
peak resident memory; `npm run bench:score` times it as its baseline.

    pip install scikit-learn pandas pyarrow
    python3 scripts/bench/score-baseline.py data/penguins.csv BATCH.csv|BATCH.parquet [--write OUT]
"""
import resource
import sys
import time

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island", "sex"]


def fitted(train_path):
    train = pd.read_csv(train_path, na_values=["NA"]).dropna(subset=["species"])
    features = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), NUMERIC),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ])
    return Pipeline([("features", features), ("classifier", LogisticRegression(max_iter=1000))]).fit(train[NUMERIC + CATEGORICAL], train["species"])


def main(train_path, batch_path, write_path):
    model = fitted(train_path)
    started = time.perf_counter()
    parquet = batch_path.endswith(".parquet")
    batch = pd.read_parquet(batch_path) if parquet else pd.read_csv(batch_path, na_values=["NA"])
    read = time.perf_counter()
    proba = model.predict_proba(batch[NUMERIC + CATEGORICAL])
    batch["prediction"] = model.classes_[proba.argmax(axis=1)]
    batch["confidence"] = proba.max(axis=1)
    scored = time.perf_counter()
    if write_path:
        if parquet:
            batch.to_parquet(write_path, index=False)
        else:
            batch.to_csv(write_path, index=False)
    written = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"rows {len(batch)} read {read - started:.3f} score {scored - read:.3f} write {written - scored:.3f} peak-bytes {peak}")


if __name__ == "__main__":
    args = sys.argv[1:]
    out = None
    if "--write" in args:
        i = args.index("--write")
        out = args[i + 1]
        del args[i:i + 2]
    main(args[0], args[1], out)

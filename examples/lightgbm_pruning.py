"""LightGBM with per-round pruning on scikit-learn's wine data (offline, CPU).

Each trial trains a multiclass booster for up to 300 rounds; LightGBMPruningCallback reports
the validation multi-log-loss after every round and the median pruner stops weak boosters.

    pip install -e ".[lightgbm,sklearn]" && python examples/lightgbm_pruning.py
"""

from __future__ import annotations

import argparse

import hyperscout as hs
from hyperscout.integrations.lightgbm import LightGBMPruningCallback


def main(argv: list[str] | None = None) -> hs.Study:
    import lightgbm as lgb
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    X, y = load_wine(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

    def objective(trial: hs.Trial) -> float:
        params = {
            "objective": "multiclass", "num_class": 3, "metric": "multi_logloss",
            "verbose": -1, "num_threads": 1, "seed": 0,
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 2, 32, log=True),
            "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 2, 30),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
        }
        booster = lgb.train(params, lgb.Dataset(X_tr, y_tr), args.rounds,
                            valid_sets=[lgb.Dataset(X_va, y_va)], valid_names=["valid"],
                            callbacks=[LightGBMPruningCallback(trial)])
        return float(booster.best_score["valid"]["multi_logloss"])

    study = hs.create_study(direction="minimize", seed=args.seed,
                            pruner=hs.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10))
    study.optimize(objective, n_trials=args.n_trials)
    pruned = len(study.get_trials(["pruned"]))
    print(f"best validation multi-log-loss {study.best_value:.4f} with {study.best_params}; "
          f"{pruned} of {len(study.trials)} trials pruned")
    return study


if __name__ == "__main__":
    main()

"""XGBoost with per-round pruning on scikit-learn's breast-cancer data (offline, CPU).

Each trial trains a booster for up to 300 rounds; XGBoostPruningCallback reports the validation
log-loss after every round and the median pruner stops boosters that lag behind.

    pip install -e ".[xgboost,sklearn]" && python examples/xgboost_pruning.py
"""

from __future__ import annotations

import argparse

import hyperscout as hs
from hyperscout.integrations.xgboost import XGBoostPruningCallback


def main(argv: list[str] | None = None) -> hs.Study:
    import xgboost as xgb
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    dtrain, dvalid = xgb.DMatrix(X_tr, y_tr), xgb.DMatrix(X_va, y_va)

    def objective(trial: hs.Trial) -> float:
        params = {
            "objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1,
            "tree_method": "hist",
            "eta": trial.suggest_float("eta", 0.01, 0.5, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 8),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "lambda": trial.suggest_float("lambda", 1e-3, 10.0, log=True),
        }
        log: dict = {}
        xgb.train(params, dtrain, args.rounds, evals=[(dvalid, "valid")], evals_result=log,
                  verbose_eval=False, callbacks=[XGBoostPruningCallback(trial, "valid", "logloss")])
        return min(log["valid"]["logloss"])

    study = hs.create_study(direction="minimize", seed=args.seed,
                            pruner=hs.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10))
    study.optimize(objective, n_trials=args.n_trials)
    pruned = len(study.get_trials(["pruned"]))
    print(f"best validation log-loss {study.best_value:.4f} with {study.best_params}; "
          f"{pruned} of {len(study.trials)} trials pruned")
    return study


if __name__ == "__main__":
    main()

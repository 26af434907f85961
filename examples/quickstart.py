"""Tune a scikit-learn gradient-boosting classifier on the digits dataset (ships with sklearn).

Runs offline, stores every trial in SQLite (``hyperscout.db`` in the working directory), and can
be stopped and re-run: the study resumes where it stopped (``load_if_exists=True``).

    pip install -e ".[sklearn]" && python examples/quickstart.py
"""

from __future__ import annotations

import argparse

import hyperscout as hs


def objective(trial: hs.Trial) -> float:
    from sklearn.datasets import load_digits
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    X, y = load_digits(return_X_y=True)
    model = HistGradientBoostingClassifier(
        learning_rate=trial.suggest_float("learning_rate", 1e-3, 0.5, log=True),
        max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 4, 64, log=True),
        min_samples_leaf=trial.suggest_int("min_samples_leaf", 2, 64, log=True),
        l2_regularization=trial.suggest_float("l2_regularization", 1e-6, 10.0, log=True),
        max_iter=trial.suggest_int("max_iter", 20, 200, step=20),
        early_stopping=False,
        random_state=0,
    )
    return float(cross_val_score(model, X, y, cv=3, n_jobs=1).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--storage", default="sqlite:///hyperscout.db")
    parser.add_argument("--study", default="quickstart-digits-hgb")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    study = hs.create_study(
        name=args.study,
        storage=args.storage,
        direction="maximize",
        seed=args.seed,
        load_if_exists=True,
    )
    study.optimize(objective, n_trials=args.n_trials, show_progress_bar=True)
    print(f"study {study.name!r}: {len(study.trials)} trials in {args.storage}")
    print(f"best 3-fold CV accuracy: {study.best_value:.4f} (trial {study.best_trial.number})")
    print("best params:", study.best_params)


if __name__ == "__main__":
    main()

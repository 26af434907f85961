"""Log every trial of a study to MLflow: one run per trial under a parent run for the study.

Tunes a random forest on scikit-learn's wine data (offline). By default runs go where MLflow
puts them (``MLFLOW_TRACKING_URI``, else a local ``mlflow.db`` SQLite file in the working
directory); browse them with ``mlflow ui`` (needs the full ``mlflow`` package).

    pip install -e ".[mlflow,sklearn]" && python examples/mlflow_tracking.py
    python examples/mlflow_tracking.py --tracking-uri file:./mlruns   # MLFLOW_ALLOW_FILE_STORE=true
"""

from __future__ import annotations

import argparse

import hyperscout as hs
from hyperscout.integrations.mlflow import MLflowCallback


def main(argv: list[str] | None = None) -> hs.Study:
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import cross_val_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--study", default="wine-forest")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    X, y = load_wine(return_X_y=True)

    def objective(trial: hs.Trial) -> float:
        model = RandomForestClassifier(
            n_estimators=trial.suggest_int("n_estimators", 10, 200, log=True),
            max_depth=trial.suggest_int("max_depth", 2, 16),
            max_features=trial.suggest_float("max_features", 0.1, 1.0),
            random_state=0, n_jobs=1,
        )
        scores = cross_val_score(model, X, y, cv=3)
        for fold, _ in enumerate(scores):  # running mean per fold, as an intermediate history
            trial.report(float(scores[: fold + 1].mean()), fold)
        trial.set_user_attr("fold_scores", [float(s) for s in scores])
        return float(scores.mean())

    tracker = MLflowCallback(args.tracking_uri, metric_name="accuracy",
                             tags={"dataset": "wine"})
    study = hs.create_study(name=args.study, direction="maximize", seed=args.seed)
    study.optimize(objective, n_trials=args.n_trials, callbacks=[tracker])
    print(f"best accuracy {study.best_value:.4f} with {study.best_params}")
    print(f"logged {len(study.trials)} runs to {tracker.tracking_uri}, experiment "
          f"{args.study!r}, parent run {tracker.parent_run_id(study)}")
    return study


if __name__ == "__main__":
    main()

"""HyperscoutSearchCV: a GridSearchCV/RandomizedSearchCV drop-in driven by hyperscout.

Tunes an SVM pipeline on scikit-learn's breast-cancer data (offline) with TPE, pruning
candidates between CV folds with the median pruner, then uses the result like any fitted
scikit-learn search: ``best_params_``, ``cv_results_``, ``predict``, ``score``.

    pip install -e ".[sklearn]" && python examples/sklearn_searchcv.py
"""

from __future__ import annotations

import argparse

import hyperscout as hs
from hyperscout.integrations.sklearn import HyperscoutSearchCV


def main(argv: list[str] | None = None) -> HyperscoutSearchCV:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    search = HyperscoutSearchCV(
        make_pipeline(StandardScaler(), SVC()),
        {
            "svc__C": hs.Float(1e-2, 1e3, log=True),
            "svc__gamma": hs.Float(1e-5, 1e0, log=True),
            "svc__kernel": ["rbf", "sigmoid"],
        },
        n_trials=args.n_trials, cv=5, scoring="balanced_accuracy",
        sampler=hs.samplers.TPESampler(), pruner=hs.pruners.MedianPruner(n_startup_trials=5),
        random_state=args.seed,
    )
    search.fit(X_train, y_train)
    states = list(search.cv_results_["state"])
    print(f"best CV balanced accuracy {search.best_score_:.4f} with {search.best_params_}")
    print(f"held-out balanced accuracy {search.score(X_test, y_test):.4f}; "
          f"{states.count('PRUNED')} of {len(states)} candidates pruned between folds")
    return search


if __name__ == "__main__":
    main()

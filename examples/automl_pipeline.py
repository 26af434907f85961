"""AutoML-style search over whole scikit-learn pipelines, warm-started from an earlier dataset.

The search space is conditional: a preprocessing choice (scaler, optional PCA with its own
size), a model family, and each family's own hyperparameters. Two studies run:

1. ``pipeline-wine``: 30 trials on the wine dataset, with meta-features stored;
2. ``pipeline-breast_cancer``: a new dataset. ``hs.find_similar_studies`` finds the wine study
   from the meta-features, and the new study is warm-started from it: its first trials are
   the wine study's best pipelines (distinct ones), then the transfer model (TPE on this
   conditional space) weighs the wine results by how well they rank the new ones.

Offline (bundled datasets), about 30 s on one core:

    python examples/automl_pipeline.py
"""

from __future__ import annotations

import warnings

import hyperscout as hs

N_TRIALS = 30


def build_pipeline(trial: hs.Trial):
    """A scikit-learn pipeline from the trial's choices (the conditional search space)."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    from sklearn.svm import SVC

    steps = []
    scaler = trial.suggest_categorical("scaler", ["none", "standard", "minmax"])
    if scaler != "none":
        steps.append(("scale", StandardScaler() if scaler == "standard" else MinMaxScaler()))
    if trial.suggest_categorical("pca", [False, True]):
        steps.append(("pca", PCA(n_components=trial.suggest_float("pca_variance", 0.5, 0.99))))
    family = trial.suggest_categorical("model", ["logreg", "svc", "knn", "forest"])
    if family == "logreg":
        model = LogisticRegression(C=trial.suggest_float("logreg_C", 1e-3, 1e3, log=True),
                                   max_iter=2000)
    elif family == "svc":
        model = SVC(C=trial.suggest_float("svc_C", 1e-2, 1e3, log=True),
                    gamma=trial.suggest_float("svc_gamma", 1e-4, 1.0, log=True))
    elif family == "knn":
        model = KNeighborsClassifier(n_neighbors=trial.suggest_int("knn_k", 1, 30),
                                     weights=trial.suggest_categorical("knn_weights",
                                                                       ["uniform", "distance"]))
    else:
        model = RandomForestClassifier(
            n_estimators=trial.suggest_int("forest_trees", 10, 60, step=10),
            max_depth=trial.suggest_int("forest_depth", 2, 12),
            random_state=0, n_jobs=1)
    steps.append(("model", model))
    return Pipeline(steps)


def make_objective(dataset: str):
    from sklearn import datasets
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = getattr(datasets, f"load_{dataset}")(return_X_y=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    def objective(trial: hs.Trial) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings of badly scaled trials
            return float(cross_val_score(build_pipeline(trial), X, y, cv=cv).mean())

    return objective, {"n_samples": len(y), "n_features": X.shape[1],
                       "n_classes": len(set(y.tolist())), "task": "classification"}


def main() -> None:
    hs.set_verbosity("warning")
    store = hs.storage.InMemoryStorage()

    wine, wine_meta = make_objective("wine")
    old = hs.create_study(name="pipeline-wine", storage=store, direction="maximize", seed=0,
                          meta=wine_meta)
    old.optimize(wine, n_trials=N_TRIALS)
    print(f"wine: best CV accuracy {old.best_value:.4f} with {old.best_params}")

    cancer, cancer_meta = make_objective("breast_cancer")
    similar = hs.find_similar_studies(store, cancer_meta)
    print("most similar earlier studies:",
          [(s.name, round(s.similarity, 3)) for s in similar])
    new = hs.create_study(name="pipeline-breast_cancer", storage=store, direction="maximize",
                          seed=0, meta=cancer_meta, warm_start=[s.name for s in similar[:1]])
    new.optimize(cancer, n_trials=N_TRIALS)
    cold = hs.create_study(direction="maximize", seed=0)
    cold.optimize(cancer, n_trials=N_TRIALS)

    def best_after(study, n):
        return max(t.values[0] for t in study.trials[:n])

    for n in (5, 10, N_TRIALS):
        print(f"breast_cancer after {n:2d} trials: warm-started {best_after(new, n):.4f}, "
              f"cold {best_after(cold, n):.4f}")
    weights = [t.system_attrs.get("sampler:transfer", {}).get("weights")
               for t in new.trials]
    last = next((w for w in reversed(weights) if w), None)
    print(f"prior weights at the last model-based trial: {last}")
    print(f"best pipeline: {new.best_params}")


if __name__ == "__main__":
    main()

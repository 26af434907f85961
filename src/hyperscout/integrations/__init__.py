"""Integrations with training frameworks, each an optional extra imported on first use.

=============================  ====================================  =========================
module                         what it gives                         install
=============================  ====================================  =========================
``integrations.sklearn``       ``HyperscoutSearchCV``                ``hyperscout[sklearn]``
``integrations.torch``         ``TorchTrial`` (report, prune,        ``hyperscout[torch]``
                               checkpoint, device) for plain loops
``integrations.lightning``     ``PruningCallback`` for Lightning     ``hyperscout[lightning]``
``integrations.keras``         ``PruningCallback``, ``KerasTuner``   ``hyperscout[keras]``
``integrations.xgboost``       ``XGBoostPruningCallback``            ``hyperscout[xgboost]``
``integrations.lightgbm``      ``LightGBMPruningCallback``           ``hyperscout[lightgbm]``
``integrations.mlflow``        ``MLflowCallback``                    ``hyperscout[mlflow]``
=============================  ====================================  =========================

Nothing here is imported by ``import hyperscout``; each module imports its framework only when
one of its classes is used, and a missing framework raises
:class:`~hyperscout.exceptions.OptionalDependencyError` naming the extra to install.
"""

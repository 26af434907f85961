"""Optimiser adapters with one batch ask/tell interface: ``suggest(n)`` and ``observe(X, y)``.

``make_optimizer(spec, space, seed, budget)`` builds one by name:

- ``hs-<sampler>``: hyperscout with a sampler from ``hyperscout.samplers``, resolved by name
  when it is used (``hs-random``, ``hs-tpe``, ``hs-gp``, ``hs-cmaes``, ``hs-ga``, ``hs-forest``,
  ``hs-auto``; any ``XxxSampler`` as ``hs-xxx``), or ``hs-default`` for what ``create_study``
  picks without a sampler;
- ``optuna-tpe`` (``TPESampler(multivariate=True)``), ``optuna-gp`` (``GPSampler``, needs
  torch), ``optuna-cmaes``, ``optuna-random``;
- ``hyperopt``: Hyperopt's TPE driven through ``Trials``/``Domain`` like Bayesmark's wrapper;
- ``hebo`` and ``smac`` (SMAC3's hyperparameter-optimisation facade) where they install;
- ``random``: uniform (log-uniform for log parameters) sampling with numpy, the baseline the
  scores are normalised by.

Keyword arguments go after a colon: ``hs-tpe:multivariate=False,n_startup_trials=20`` or
``optuna-tpe:constant_liar=False``; values are Python literals.

Batch semantics: ``suggest(8)`` returns 8 points before any of them is observed. hyperscout and
Optuna do 8 asks (the 7 earlier trials are running while the later ones are sampled), then 8
tells; Hyperopt suggests 8 trials one after the other with the pending ones in its ``Trials``
(what ``fmin(max_queue_len=8)`` does); HEBO and SMAC use their own batch ask.

    >>> from search_space import real
    >>> opt = make_optimizer("random", (real("x", 0, 1),), seed=0, budget=10)
    >>> X = opt.suggest(2)
    >>> opt.observe(X, [x["x"] ** 2 for x in X])
    >>> len(X)
    2
"""

from __future__ import annotations

import abc
import ast
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from search_space import (
    Space,
    canonical,
    from_hyperopt,
    sample,
    to_hyperopt,
    to_hyperscout,
    to_optuna,
)

Params = dict[str, Any]


class Optimizer(abc.ABC):
    """Minimises a black box over ``space``; ``budget`` is the total number of evaluations."""

    def __init__(self, space: Space, seed: int, budget: int, **options: Any) -> None:
        self.space = space
        self.seed = int(seed)
        self.budget = int(budget)
        self.options = options

    @abc.abstractmethod
    def suggest(self, n: int) -> list[Params]:
        """``n`` new points, all proposed before any of them is observed."""

    @abc.abstractmethod
    def observe(self, X: Sequence[Params], y: Sequence[float]) -> None:
        """Losses for points this optimiser suggested (any order, any subset)."""

    @staticmethod
    def versions() -> dict[str, str]:
        """Versions of the packages this adapter drives (stored with each result)."""
        return {}


class _Pending:
    """Points handed out and not yet observed, matched back by identity or by value."""

    def __init__(self) -> None:
        self._items: list[tuple[Params, Any]] = []

    def add(self, x: Params, handle: Any) -> None:
        self._items.append((x, handle))

    def pop(self, x: Params) -> Any:
        for i, (p, h) in enumerate(self._items):
            if p is x:
                del self._items[i]
                return h
        for i, (p, h) in enumerate(self._items):
            if p == x:
                del self._items[i]
                return h
        raise ValueError(f"observe(): {x!r} was not suggested, or was observed already")


# -- random search ------------------------------------------------------------------------------
class RandomSearch(Optimizer):
    """Independent uniform sampling with numpy (log-uniform for log parameters)."""

    def __init__(self, space: Space, seed: int, budget: int, **options: Any) -> None:
        super().__init__(space, seed, budget, **options)
        if options:
            raise ValueError(f"random takes no options, got {options!r}")
        # a stream of its own: hs-random / optuna-random seeded alike must not replay it
        self._rng = np.random.default_rng([seed, 0x5EED])

    def suggest(self, n: int) -> list[Params]:
        return [sample(self.space, self._rng) for _ in range(n)]

    def observe(self, X: Sequence[Params], y: Sequence[float]) -> None:
        return None

    @staticmethod
    def versions() -> dict[str, str]:
        return {"numpy": np.__version__}


# -- hyperscout ---------------------------------------------------------------------------------
HS_ALIASES = {"tpe": "TPESampler", "gp": "GPSampler", "cmaes": "CmaEsSampler",
              "ga": "GASampler", "forest": "ForestSampler", "random": "RandomSampler",
              "auto": "AutoSampler", "qmc": "QMCSampler"}


def resolve_hs_sampler(short: str) -> type:
    """The class in ``hyperscout.samplers`` that ``hs-<short>`` names."""
    import hyperscout.samplers as hss
    from hyperscout.samplers.base import Sampler

    classes = {n: c for n in dir(hss) if isinstance(c := getattr(hss, n), type)
               and issubclass(c, Sampler) and c is not Sampler}
    wanted = HS_ALIASES.get(short.lower())
    if wanted in classes:
        return classes[wanted]
    for n, c in classes.items():
        if n.lower() in (short.lower(), short.lower() + "sampler"):
            return c
    names = sorted(f"hs-{k}" for k, v in HS_ALIASES.items() if v in classes)
    names += sorted(f"hs-{n.lower().removesuffix('sampler')}" for n in classes
                    if n not in HS_ALIASES.values())
    raise ValueError(f"optimizer 'hs-{short}': hyperscout.samplers has no such sampler "
                     f"(yet); available now: {names + ['hs-default']}")


class Hyperscout(Optimizer):
    """A hyperscout study in memory, driven by ``study.ask(space)`` / ``study.tell``."""

    def __init__(self, space: Space, seed: int, budget: int, *, sampler: str = "default",
                 **options: Any) -> None:
        super().__init__(space, seed, budget, **options)
        import hyperscout as hs

        hs.set_verbosity("warning")
        if sampler == "default":
            if options:
                raise ValueError(f"hs-default takes no options, got {options!r}")
            self.study = hs.create_study(direction="minimize", seed=seed)
        else:
            cls = resolve_hs_sampler(sampler)
            self.study = hs.create_study(direction="minimize", sampler=cls(seed=seed, **options))
        self._dists = to_hyperscout(space)
        self._pending = _Pending()

    def suggest(self, n: int) -> list[Params]:
        out = []
        for _ in range(n):
            trial = self.study.ask(self._dists)
            x = dict(trial.params)
            self._pending.add(x, trial)
            out.append(x)
        return out

    def observe(self, X: Sequence[Params], y: Sequence[float]) -> None:
        for x, v in zip(X, y, strict=True):
            self.study.tell(self._pending.pop(x), float(v))

    @staticmethod
    def versions() -> dict[str, str]:
        import hyperscout

        return {"hyperscout": hyperscout.__version__}


# -- Optuna -------------------------------------------------------------------------------------
def _optuna_sampler(kind: str, seed: int, options: dict[str, Any]) -> Any:
    import optuna

    samplers: dict[str, Callable[..., Any]] = {
        "tpe": lambda **kw: optuna.samplers.TPESampler(**{"multivariate": True, **kw}),
        "gp": lambda **kw: optuna.samplers.GPSampler(**kw),
        "cmaes": lambda **kw: optuna.samplers.CmaEsSampler(**kw),
        "random": lambda **kw: optuna.samplers.RandomSampler(**kw),
        "qmc": lambda **kw: optuna.samplers.QMCSampler(**kw),
    }
    if kind not in samplers:
        raise ValueError(f"optimizer 'optuna-{kind}' is unknown; use one of "
                         f"{sorted('optuna-' + k for k in samplers)}")
    if kind == "gp":
        try:
            import torch  # noqa: F401  (GPSampler needs it; say so before Optuna does)
        except ImportError as e:
            raise ImportError("optuna-gp needs torch: pip install torch==2.13.0") from e
    return samplers[kind](seed=seed, **options)


class Optuna(Optimizer):
    """An Optuna study in memory with ``ask(fixed_distributions)`` / ``tell``."""

    def __init__(self, space: Space, seed: int, budget: int, *, sampler: str,
                 **options: Any) -> None:
        super().__init__(space, seed, budget, **options)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        self.study = optuna.create_study(direction="minimize",
                                         sampler=_optuna_sampler(sampler, seed, options))
        self._dists = to_optuna(space)
        self._pending = _Pending()

    def suggest(self, n: int) -> list[Params]:
        out = []
        for _ in range(n):
            trial = self.study.ask(self._dists)
            x = dict(trial.params)
            self._pending.add(x, trial)
            out.append(x)
        return out

    def observe(self, X: Sequence[Params], y: Sequence[float]) -> None:
        for x, v in zip(X, y, strict=True):
            self.study.tell(self._pending.pop(x), float(v))

    @staticmethod
    def versions() -> dict[str, str]:
        import optuna

        out = {"optuna": optuna.__version__}
        try:
            import torch

            out["torch"] = torch.__version__
        except ImportError:
            pass
        return out


# -- Hyperopt -----------------------------------------------------------------------------------
class Hyperopt(Optimizer):
    """Hyperopt's TPE (``tpe.suggest``) on a ``Trials`` object, without ``fmin``.

    Each suggestion inserts a new trial document; pending documents stay in ``Trials`` with no
    loss (TPE counts them as bad points), as with ``fmin(max_queue_len=n)``. Options go to
    ``tpe.suggest`` (``n_startup_jobs``, ``gamma``, ...).
    """

    def __init__(self, space: Space, seed: int, budget: int, **options: Any) -> None:
        super().__init__(space, seed, budget, **options)
        import functools

        from hyperopt import Domain, Trials, tpe

        logging.getLogger("hyperopt").setLevel(logging.WARNING)
        self._domain = Domain(lambda params: 0.0, to_hyperopt(space))
        self._trials = Trials()
        self._algo = functools.partial(tpe.suggest, **options) if options else tpe.suggest
        self._rng = np.random.default_rng(seed)
        self._pending = _Pending()

    def suggest(self, n: int) -> list[Params]:
        out = []
        for _ in range(n):
            new_ids = self._trials.new_trial_ids(1)
            self._trials.refresh()
            docs = self._algo(new_ids, self._domain, self._trials,
                              int(self._rng.integers(2 ** 31 - 1)))
            self._trials.insert_trial_docs(docs)
            self._trials.refresh()
            x = from_hyperopt(self.space, docs[0]["misc"]["vals"])
            self._pending.add(x, docs[0]["tid"])
            out.append(x)
        return out

    def observe(self, X: Sequence[Params], y: Sequence[float]) -> None:
        from hyperopt import JOB_STATE_DONE, STATUS_OK

        by_tid = {doc["tid"]: doc for doc in self._trials._dynamic_trials}
        for x, v in zip(X, y, strict=True):
            doc = by_tid[self._pending.pop(x)]
            doc["state"] = JOB_STATE_DONE
            doc["result"] = {"loss": float(v), "status": STATUS_OK}
        self._trials.refresh()

    @staticmethod
    def versions() -> dict[str, str]:
        import hyperopt

        return {"hyperopt": hyperopt.__version__}


# -- HEBO ---------------------------------------------------------------------------------------
class Hebo(Optimizer):
    """HEBO (Huawei's winner of the NeurIPS 2020 BBO challenge): ``suggest(n)`` / ``observe``."""

    def __init__(self, space: Space, seed: int, budget: int, **options: Any) -> None:
        super().__init__(space, seed, budget, **options)
        try:
            from hebo.design_space.design_space import DesignSpace
            from hebo.optimizers.hebo import HEBO
        except ImportError as e:
            raise ImportError("optimizer 'hebo' needs the hebo package (pip install hebo); "
                              "see RESULTS.md for whether it installs here") from e
        import torch

        np.random.seed(seed)
        torch.manual_seed(seed)
        spec = []
        for p in space:
            if p.kind == "cat":
                spec.append({"name": p.name, "type": "cat",
                             "categories": [str(c) for c in p.choices]})
            elif p.kind == "int":
                spec.append({"name": p.name, "type": "pow_int" if p.log else "int",
                             "lb": int(p.low), "ub": int(p.high)})
            else:
                spec.append({"name": p.name, "type": "pow" if p.log else "num",
                             "lb": p.low, "ub": p.high})
        self._opt = HEBO(DesignSpace().parse(spec), scramble_seed=seed, **options)
        self._pending = _Pending()

    def suggest(self, n: int) -> list[Params]:
        df = self._opt.suggest(n_suggestions=n)
        out = []
        for i in range(len(df)):
            row = df.iloc[[i]]
            x = canonical(self.space, {k: row[k].iloc[0] for k in row.columns})
            self._pending.add(x, row)
            out.append(x)
        return out

    def observe(self, X: Sequence[Params], y: Sequence[float]) -> None:
        import pandas as pd

        rows = [self._pending.pop(x) for x in X]
        self._opt.observe(pd.concat(rows), np.asarray(y, dtype=float).reshape(-1, 1))

    @staticmethod
    def versions() -> dict[str, str]:
        from importlib.metadata import version

        return {"hebo": version("hebo")}


# -- SMAC3 --------------------------------------------------------------------------------------
class Smac(Optimizer):
    """SMAC3's ``HyperparameterOptimizationFacade`` (random-forest BO) through ask/tell.

    The scenario is deterministic (one evaluation per configuration) with ``n_trials`` set to
    the budget; SMAC writes its run history to a temporary folder, removed when done.
    """

    def __init__(self, space: Space, seed: int, budget: int, **options: Any) -> None:
        super().__init__(space, seed, budget, **options)
        try:
            import ConfigSpace as CS
            from smac import HyperparameterOptimizationFacade as HPO
            from smac import Scenario
        except ImportError as e:
            raise ImportError("optimizer 'smac' needs SMAC3 (pip install smac)") from e

        cs = CS.ConfigurationSpace(seed=seed)
        for p in space:
            if p.kind == "cat":
                cs.add(CS.Categorical(p.name, [str(c) for c in p.choices]))
            elif p.kind == "int":
                cs.add(CS.Integer(p.name, (int(p.low), int(p.high)), log=p.log))
            else:
                cs.add(CS.Float(p.name, (p.low, p.high), log=p.log))
        self._dir = tempfile.mkdtemp(prefix="smac-")
        scenario = Scenario(cs, deterministic=True, n_trials=max(budget, 1), seed=seed,
                            output_directory=self._dir)
        self._smac = HPO(scenario, lambda config, seed=0: 0.0, overwrite=True,
                         logging_level=logging.ERROR,
                         intensifier=HPO.get_intensifier(scenario, max_config_calls=1),
                         **options)
        self._pending = _Pending()

    def suggest(self, n: int) -> list[Params]:
        out = []
        for _ in range(n):
            info = self._smac.ask()
            x = canonical(self.space, dict(info.config))
            self._pending.add(x, info)
            out.append(x)
        return out

    def observe(self, X: Sequence[Params], y: Sequence[float]) -> None:
        from smac.runhistory.dataclasses import TrialValue

        for x, v in zip(X, y, strict=True):
            self._smac.tell(self._pending.pop(x), TrialValue(cost=float(v)))

    def __del__(self) -> None:
        shutil.rmtree(getattr(self, "_dir", ""), ignore_errors=True)

    @staticmethod
    def versions() -> dict[str, str]:
        from importlib.metadata import version

        return {"smac": version("smac"), "ConfigSpace": version("ConfigSpace")}


# -- registry -----------------------------------------------------------------------------------
def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"hs-tpe:multivariate=False,gamma=0.2"`` -> ``("hs-tpe", {...})``."""
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    if rest:
        try:
            call = ast.parse(f"f({rest})", mode="eval").body
        except SyntaxError as e:
            raise ValueError(f"optimizer {spec!r}: options must look like key=value,... "
                             f"with Python literals ({e.msg})") from e
        assert isinstance(call, ast.Call)
        if call.args:
            raise ValueError(f"optimizer {spec!r}: options must be key=value pairs")
        for kw in call.keywords:
            try:
                options[str(kw.arg)] = ast.literal_eval(kw.value)
            except ValueError as e:
                raise ValueError(f"optimizer {spec!r}: option {kw.arg}= is not a Python "
                                 "literal (quote strings)") from e
    return name, options


def optimizer_class(name: str) -> tuple[type[Optimizer], dict[str, Any]]:
    """The adapter class for a bare optimiser name and its fixed keyword arguments."""
    if name == "random":
        return RandomSearch, {}
    if name.startswith("hs-"):
        return Hyperscout, {"sampler": name[3:]}
    if name.startswith("optuna-"):
        return Optuna, {"sampler": name[7:]}
    fixed = {"hyperopt": Hyperopt, "hebo": Hebo, "smac": Smac}
    if name in fixed:
        return fixed[name], {}
    raise ValueError(f"optimizer {name!r} is unknown; use random, hyperopt, hebo, smac, "
                     "optuna-{tpe,gp,cmaes,random,qmc} or hs-<sampler> (hs-tpe, hs-gp, "
                     "hs-auto, hs-default, ...)")


def make_optimizer(spec: str, space: Space, seed: int, budget: int) -> Optimizer:
    """Build the optimiser ``spec`` names (see the module docstring)."""
    name, options = parse_spec(spec)
    cls, fixed = optimizer_class(name)
    if name.startswith("hs-") and name != "hs-default":
        resolve_hs_sampler(name[3:])  # fail early with the list of samplers
    return cls(space, seed, budget, **fixed, **options)


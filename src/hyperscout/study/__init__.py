"""Studies: create, load, optimize, ask/tell."""

from hyperscout.study.study import Study, create_study, load_study

__all__ = ["Study", "create_study", "load_study"]

"""Executors: where ``study.optimize`` runs trials (threads, processes, Ray), and the worker loop
that ``hyperscout worker`` runs on any machine. All of them share the study's storage and budget.
"""

from hyperscout.execution.local import Executor, ProcessExecutor, ThreadExecutor
from hyperscout.execution.ray import RayExecutor
from hyperscout.execution.worker import run_trials

__all__ = ["Executor", "ProcessExecutor", "RayExecutor", "ThreadExecutor", "run_trials"]

"""The statements of the hot paths, built once: SQLAlchemy then reuses their compiled form."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import bindparam

from hyperscout.storage.sql import schema
from hyperscout.trial.state import TrialState

S = schema.studies
T = schema.trials

#: Column order of a trial row, as ``_rows.build_trial`` reads it.
TRIAL_COLUMNS = (
    T.c.id, T.c.study_id, T.c.number, T.c.state, T.c.params, T.c.distributions,
    T.c.objective_values, T.c.intermediate_values, T.c.user_attrs, T.c.system_attrs,
    T.c.datetime_start, T.c.datetime_complete, T.c.error, T.c.finish_seq,
)
SEQ = 13  # index of finish_seq in TRIAL_COLUMNS
RUNNING = TrialState.RUNNING.value
WAITING = TrialState.WAITING.value
# two constant comparisons instead of IN: an IN list is re-rendered on every execution
IS_UNFINISHED = sa.or_(T.c.state == RUNNING, T.c.state == WAITING)


class Statements:
    """The hot-path statements, built once (SQLAlchemy then reuses their compiled form)."""

    def __init__(self) -> None:
        sid: sa.BindParameter[int] = bindparam("sid")
        by_study = S.c.id == sid
        self.lock_study = sa.select(
            S.c.next_trial_number, S.c.n_waiting, S.c.finish_counter
        ).where(by_study).with_for_update()
        # start_trial: take a number unless a WAITING trial is to be claimed
        self.start_returning = (
            sa.update(S).where(by_study)
            .values(next_trial_number=S.c.next_trial_number
                    + sa.case((S.c.n_waiting > 0, 0), else_=1))
            .returning(S.c.next_trial_number, S.c.n_waiting)
        )
        self.create_returning = (
            sa.update(S).where(by_study)
            .values(next_trial_number=S.c.next_trial_number + 1,
                    n_waiting=S.c.n_waiting + bindparam("w"))
            .returning(S.c.next_trial_number)
        )
        self.bump_next = (
            sa.update(S).where(by_study)
            .values(next_trial_number=S.c.next_trial_number + 1,
                    n_waiting=S.c.n_waiting + bindparam("w"))
        )
        self.add_waiting = sa.update(S).where(by_study).values(
            n_waiting=S.c.n_waiting + bindparam("w"))
        self.fix_waiting = sa.update(S).where(by_study).values(n_waiting=0)
        self.finish_returning = (
            sa.update(S).where(by_study)
            .values(finish_counter=S.c.finish_counter + 1)
            .returning(S.c.finish_counter)
        )
        self.set_finish = sa.update(S).where(by_study).values(finish_counter=bindparam("seq"))
        self.insert_trial = sa.insert(T)
        self.trial_study = sa.select(T.c.study_id).where(T.c.id == bindparam("tid"))
        self.trial_for_update = (
            sa.select(*TRIAL_COLUMNS).where(T.c.id == bindparam("tid")).with_for_update()
        )
        self.trial = sa.select(*TRIAL_COLUMNS).where(T.c.id == bindparam("tid"))
        self.first_waiting = (
            sa.select(*TRIAL_COLUMNS)
            .where(T.c.study_id == sid, T.c.state == WAITING)
            .order_by(T.c.number).limit(1).with_for_update()
        )
        self.claim = sa.update(T).where(T.c.id == bindparam("tid")).values(
            state=RUNNING, datetime_start=bindparam("now"), heartbeat=bindparam("hb"))
        # the shared budget: a slot and a number in one statement (the study row stays locked)
        budget_ok = sa.and_(
            S.c.stopped == 0,
            sa.or_(S.c.budget_trials.is_(None), S.c.budget_used < S.c.budget_trials),
            sa.or_(S.c.budget_deadline.is_(None), S.c.budget_deadline > bindparam("now")),
        )
        self.start_budget_returning = (
            sa.update(S).where(by_study, budget_ok)
            .values(next_trial_number=S.c.next_trial_number
                    + sa.case((S.c.n_waiting > 0, 0), else_=1),
                    budget_used=S.c.budget_used + 1)
            .returning(S.c.next_trial_number, S.c.n_waiting)
        )
        self.lock_budget = sa.select(
            S.c.next_trial_number, S.c.n_waiting, S.c.budget_trials, S.c.budget_used,
            S.c.budget_deadline, S.c.stopped,
        ).where(by_study).with_for_update()
        self.bump_next_take_slot = sa.update(S).where(by_study).values(
            next_trial_number=S.c.next_trial_number + 1, budget_used=S.c.budget_used + 1)
        self.take_slot = sa.update(S).where(by_study).values(budget_used=S.c.budget_used + 1)
        self.refund_slot = sa.update(S).where(by_study, S.c.budget_used > 0).values(
            budget_used=S.c.budget_used - 1)
        self.budget = sa.select(
            S.c.budget_trials, S.c.budget_used, S.c.budget_deadline, S.c.stopped).where(by_study)
        self.beat = sa.update(T).where(
            T.c.id.in_(bindparam("tids", expanding=True)), T.c.state == RUNNING
        ).values(heartbeat=bindparam("now"))
        self.stale = sa.select(*TRIAL_COLUMNS, T.c.heartbeat).where(
            T.c.study_id == sid, T.c.state == RUNNING, T.c.heartbeat < bindparam("cutoff"))
        # RUNNING -> FAIL only if nobody beat or finished it since we looked
        self.reap = sa.update(T).where(
            T.c.id == bindparam("tid"), T.c.state == RUNNING,
            T.c.heartbeat == bindparam("hb"),
        ).values(state=TrialState.FAIL.value, datetime_complete=bindparam("now"),
                 error=bindparam("b_error"), finish_seq=bindparam("b_seq"))
        self.finish = (
            sa.update(T)
            .where(T.c.id == bindparam("tid"), IS_UNFINISHED)
            .values(
                state=bindparam("b_state"),
                params=bindparam("b_params"),
                distributions=bindparam("b_dists"),
                objective_values=bindparam("b_values"),
                intermediate_values=bindparam("b_iv"),
                user_attrs=bindparam("b_ua"),
                system_attrs=bindparam("b_sa"),
                datetime_start=bindparam("b_start"),
                datetime_complete=bindparam("b_complete"),
                error=bindparam("b_error"),
                finish_seq=bindparam("b_seq"),
            )
        )
        self.finished_since = (
            sa.select(*TRIAL_COLUMNS)
            .where(T.c.study_id == sid, T.c.finish_seq > bindparam("seq"))
            .order_by(T.c.finish_seq)
        )
        # no ORDER BY: SQLite would then walk the (study_id, number) index over the whole
        # study instead of the (study_id, state) entries of the few unfinished trials
        self.unfinished = sa.select(*TRIAL_COLUMNS).where(T.c.study_id == sid, IS_UNFINISHED)
        self.study_row = sa.select(S.c.name, S.c.directions, S.c.next_trial_number).where(
            by_study)

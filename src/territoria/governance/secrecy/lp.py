"""Many linear programs over one feasible set: ``min c.x`` subject to ``A x = b``, ``lower <= x <= upper``
for a sequence of objectives ``c``.

The adversary and the protection loop ask, for every suppressed cell of a component, for its least
and greatest value: hundreds of programs that differ only in their objective. One HiGHS model is
kept for the whole sequence and each solve starts from the previous optimal basis (the feasible
set does not change, so that basis stays primal feasible and the simplex only walks from it).
Solving each program from scratch (``scipy.optimize.linprog``) costs one presolve and one crash
basis per program: ten to fifty times more on the demo's components.

HiGHS is the solver scipy ships (``scipy.optimize._highspy``), used without scipy's per-call
wrapper; when that module is missing the programs fall back to ``linprog``, same answers.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csc_matrix, spmatrix

try:  # scipy's bundled HiGHS bindings (private module: checked at import, linprog otherwise)
    from scipy.optimize._highspy import _core as _highs
except ImportError:  # pragma: no cover - every supported scipy ships it
    _highs = None

Array = np.ndarray
_LIBC = ctypes.CDLL(None)


@contextmanager
def _quiet() -> Iterator[None]:
    """HiGHS prints a few diagnostics with printf whatever its options (an ``Unknown`` model
    status): C's stdout goes to /dev/null while it runs, so that ``--json`` output stays JSON."""
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        _LIBC.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class Program:
    """A feasible set ``{x : A x = b, lower <= x <= upper}`` and its solver, kept warm."""

    def __init__(self, matrix: spmatrix, rhs: Array, lower: Array | float = 0.0, upper: Array | float = math.inf):
        self.matrix = csc_matrix(matrix)
        self.rows, self.cols = self.matrix.shape
        self.rhs = np.asarray(rhs, dtype=np.float64)
        self.lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), (self.cols,)).copy()
        self.upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), (self.cols,)).copy()
        self.solves = 0
        self._cost_set: Array = np.zeros(0, dtype=np.int32)
        self._model: Any = self._build() if _highs is not None else None

    def _build(self) -> Any:
        assert _highs is not None
        inf = _highs.kHighsInf
        lp = _highs.HighsLp()
        lp.num_col_, lp.num_row_ = self.cols, self.rows
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.cols, self.rows
        lp.a_matrix_.format_ = _highs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = self.matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = self.matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = self.matrix.data.astype(np.float64)
        lp.col_cost_ = np.zeros(self.cols)
        lp.col_lower_ = np.where(np.isinf(self.lower), -inf, self.lower)
        lp.col_upper_ = np.where(np.isinf(self.upper), inf, self.upper)
        lp.row_lower_ = self.rhs
        lp.row_upper_ = self.rhs
        model = _highs._Highs()
        model.setOptionValue("output_flag", False)
        model.setOptionValue("threads", 1)
        # only the objective changes between programs: the last optimal basis stays primal
        # feasible, and the primal simplex walks from it (the dual simplex, HiGHS's default,
        # takes about three times longer on the demo's components; same optima)
        model.setOptionValue("simplex_strategy", 4)
        model.passModel(lp)
        return model

    def minimize(self, cost: Array) -> tuple[str, float, Array | None]:
        """(status, objective, point): status ``optimal`` (with a point reaching the minimum),
        ``unbounded`` (objective -inf) or ``infeasible``."""
        self.solves += 1
        cost = np.asarray(cost, dtype=np.float64)
        if self._model is None:
            return self._linprog(cost)
        model = self._model
        nonzero = np.flatnonzero(cost).astype(np.int32)
        reset = np.union1d(self._cost_set, nonzero).astype(np.int32)
        if len(reset):
            model.changeColsCost(len(reset), reset, cost[reset])
        self._cost_set = nonzero
        with _quiet():
            model.run()
        status = model.getModelStatus()
        if status == _highs.HighsModelStatus.kOptimal:
            x = np.asarray(model.getSolution().col_value)
            return "optimal", float(cost @ x), x
        if status in (_highs.HighsModelStatus.kUnbounded, _highs.HighsModelStatus.kUnboundedOrInfeasible):
            if status == _highs.HighsModelStatus.kUnboundedOrInfeasible:
                return self._linprog(cost)  # tell the two apart the slow way (rare)
            return "unbounded", -math.inf, None
        if status == _highs.HighsModelStatus.kInfeasible:
            return "infeasible", math.nan, None
        model.clearSolver()  # anything unusual (iteration limit...): drop the basis, solve from scratch
        return self._linprog(cost)

    def _linprog(self, cost: Array) -> tuple[str, float, Array | None]:
        bounds = np.column_stack([self.lower, self.upper])
        res = linprog(cost, A_eq=self.matrix, b_eq=self.rhs, bounds=bounds, method="highs")
        if res.status == 0:
            return "optimal", float(res.fun), np.asarray(res.x)
        if res.status == 3:
            return "unbounded", -math.inf, None
        return "infeasible", math.nan, None

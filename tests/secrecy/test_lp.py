"""The warm-started programs answer what scipy's linprog answers, objective after objective."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from territoria.governance.secrecy.lp import Program


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 6), cols=st.integers(2, 9))
def test_a_sequence_of_objectives_matches_linprog(seed: int, rows: int, cols: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(-1, 2, size=(rows, cols)).astype(float)
    truth = rng.uniform(0, 10, size=cols)  # a feasible point: the set is never empty
    rhs = matrix @ truth
    upper = np.where(rng.random(cols) < 0.3, truth + rng.uniform(0, 5, size=cols), np.inf)
    program = Program(csr_matrix(matrix), rhs, 0.0, upper)
    for _ in range(8):
        cost = rng.integers(-2, 3, size=cols).astype(float)
        status, value, point = program.minimize(cost)
        ref = linprog(cost, A_eq=matrix, b_eq=rhs, bounds=list(zip([0.0] * cols, upper, strict=True)), method="highs")
        if ref.status == 3:
            assert status == "unbounded" and value == -math.inf
            continue
        assert ref.status == 0 and status == "optimal" and point is not None
        assert math.isclose(value, ref.fun, rel_tol=1e-7, abs_tol=1e-7)
        assert np.allclose(matrix @ point, rhs, atol=1e-6) and (point >= -1e-9).all() and (point <= upper + 1e-9).all()
    assert program.solves == 8

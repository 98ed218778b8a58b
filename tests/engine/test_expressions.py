"""Expressions that cannot be evaluated count as false (when) or failed (validate), never crash."""

from __future__ import annotations

from bot.engine.expressions import compile_expr, truthy, value_of


def test_missing_map_key_is_not_a_crash() -> None:
    rows = [{"occupation": "电工"}, {"occupation": "焊工", "job_type": "电焊工"}]
    expr = compile_expr('rows.exists(r, r.job_type == "电焊工")')
    assert truthy(expr, {"rows": rows}) is False
    assert value_of(expr, {"rows": rows}) is None


def test_index_out_of_range_is_not_a_crash() -> None:
    assert truthy(compile_expr("rows[3] == 1"), {"rows": [1]}) is False

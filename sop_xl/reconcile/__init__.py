"""Reconciliation: top-down proration and the finance view of the plan (revenue, margin, gaps)."""

from sop_xl.reconcile.finance import LABELS, reconcile, reconcile_table
from sop_xl.reconcile.prorate import prorate, prorate_groups

__all__ = ["LABELS", "prorate", "prorate_groups", "reconcile", "reconcile_table"]

"""The step registry (issue 9): declarations, the order they give, and what a choice runs."""

import pandas as pd
import pytest

from sop_xl.cycle import steps
from sop_xl.cycle.steps import BY_NAME, ORDER, OUTPUTS, REGISTRY, STEPS, compute, needs, plan
from sop_xl.errors import SopError
from sop_xl.workbook import schema


def test_the_cycle_order_follows_the_declarations():
    assert STEPS == ("forecast", "demand", "supply", "capacity", "finance", "sopplan",
                     "reconcile", "kpis", "summary")  # fmt: skip
    position = {step.name: i for i, step in enumerate(ORDER)}
    for step in REGISTRY:
        for name in step.reads + step.optional:
            for maker in REGISTRY:
                if name in maker.writes and maker is not step:
                    assert position[maker.name] < position[step.name], (maker.name, step.name)


def test_every_table_a_step_reads_is_an_input_or_made_by_one_chosen_step():
    inputs = set(schema.INPUT_TABLES)
    for step in REGISTRY:
        for name in step.reads + step.optional:
            makers = [s.name for s in REGISTRY if name in s.writes and not s.on_demand]
            if name.startswith("tbl") and name not in inputs:
                assert len(makers) == 1, (step.name, name, makers)


def test_steps_write_output_tables_of_the_template_each_once():
    written = [t for name in STEPS for t in OUTPUTS[name]]
    assert len(written) == len(set(written))
    for table in written:
        assert schema.table(table).role == "output"


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (
            None,
            [
                "forecast",
                "demand",
                "supply",
                "capacity",
                "finance",
                "sopplan",
                "reconcile",
                "kpis",
                "summary",
            ],
        ),  # fmt: skip
        (["kpis"], ["holdout", "kpis"]),  # the holdout is measured again without the forecast
        (["kpis", "forecast"], ["forecast", "kpis"]),
        # the forecast errors (safety stock) are measured again without the forecast
        (["Supply plan", "capacity"], ["errors", "supply", "capacity"]),
        (["supply", "kpis"], ["errors", "supply", "kpis"]),  # that measures the holdout too
        ("reconciliation", ["reconcile"]),
    ],
)
def test_plan_runs_the_chosen_steps_in_order_with_what_they_need(chosen, expected):
    assert [step.name for step in plan(chosen)] == expected


def test_needs_lists_what_the_chosen_steps_take_from_the_book():
    required, optional = needs(plan(["supply", "capacity"]))
    assert required == ("tblDemandPlan", "tblForecast")
    assert optional == ()
    required, optional = needs(plan(["reconcile"]))
    assert required == ("tblSupplyPlan", "tblCapacity")
    assert optional == ("tblScenarios", "tblDemandPlan", "tblForecast")


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        (["plan"], r"^unknown step 'plan'; the steps are forecast, demand, supply, capacity, "
                   r"finance, sopplan, reconcile, kpis, summary$"),
        ([], r"^no step given; the steps are forecast"),
        (["holdout"], r"^unknown step 'holdout'"),  # on-demand steps are not chosen by name
    ],
)  # fmt: skip
def test_unknown_steps_are_refused(chosen, message):
    with pytest.raises(SopError, match=message):
        plan(chosen)


def test_compute_refuses_a_step_without_what_it_reads():
    with pytest.raises(SopError, match=r"^the supply step needs tblDemandPlan, which nobody gave"):
        compute(["supply"], inputs=None, given={})


def test_compute_runs_steps_in_memory_and_reports_each(monkeypatch):
    calls = []

    def fake(name, table):
        def run(ctx):
            calls.append((name, sorted(ctx.tables)))
            return steps.StepResult({table: pd.DataFrame({"x": [len(calls)]})}, [f"{name} ran"])

        return run

    for step, table in (("demand", "tblDemandPlan"), ("supply", "tblSupplyPlan")):
        patched = steps.Step(
            name=step,
            reads=BY_NAME[step].reads,
            writes=BY_NAME[step].writes,
            compute=fake(step, table),
        )
        monkeypatch.setitem(BY_NAME, step, patched)
    monkeypatch.setattr(steps, "ORDER", tuple(BY_NAME[s.name] for s in ORDER))
    seen = []
    out = compute(
        ["supply", "demand"],
        inputs=None,
        # the forecast errors given: the on-demand step that would measure them does not run
        given={"tblForecast": pd.DataFrame(), steps.FORECAST_ERRORS: pd.DataFrame()},
        done=lambda step, result, seconds: seen.append((step.name, result.notes)),
    )
    assert calls == [
        ("demand", ["forecast errors", "tblForecast"]),
        ("supply", ["forecast errors", "tblDemandPlan", "tblForecast"]),
    ]
    assert seen == [("demand", ["demand ran"]), ("supply", ["supply ran"])]
    assert out["tblSupplyPlan"]["x"].tolist() == [2]

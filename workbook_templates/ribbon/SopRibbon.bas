Attribute VB_Name = "SopRibbon"
' Ribbon callbacks of the S&OP tab (customUI.xml): one Sub per button, each running one macro
' of the Python module sop_xl.macros through xlwings' RunPython (the xlwings VBA module is in the
' same VBA project). The macro works on the workbook that called it (xw.Book.caller()).
Option Explicit

Sub ValidateInputs(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.validate_inputs()"
End Sub

Sub RefreshForecast(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.refresh_forecast()"
End Sub

Sub BuildDemandPlan(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.build_demand_plan()"
End Sub

Sub BuildSupplyPlan(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.build_supply_plan()"
End Sub

Sub Reconcile(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.reconcile()"
End Sub

Sub RefreshKpis(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.refresh_kpis()"
End Sub

Sub RunCycle(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.run_cycle()"
End Sub

Sub SnapshotCycle(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.snapshot_cycle()"
End Sub

Sub RollForward(control As IRibbonControl)
    RunPython "import sop_xl.macros as m; m.roll_forward()"
End Sub

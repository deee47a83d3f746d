Attribute VB_Name = "SopRibbon"
' Ribbon callbacks of the S&OP tab (customUI.xml): one Sub per button, each handing the name of
' one macro of the Python module sop_xl.macros to SopRun. SopRun first checks that there is a
' workbook to run on (no workbook open, or a file in Protected View, would otherwise stop with
' VBA error 91), then calls xlwings' RunPython (the xlwings VBA module is in the same project)
' with the xlwings version of that module: Python refuses in one line when its own xlwings
' differs and says how to rebuild (sop_xl.addin.run_button).
Option Explicit

Private Const SOP_TITLE As String = "S&OP"

Sub ValidateInputs(control As IRibbonControl)
    SopRun "validate_inputs"
End Sub

Sub RefreshForecast(control As IRibbonControl)
    SopRun "refresh_forecast"
End Sub

Sub BuildDemandPlan(control As IRibbonControl)
    SopRun "build_demand_plan"
End Sub

Sub BuildSupplyPlan(control As IRibbonControl)
    SopRun "build_supply_plan"
End Sub

Sub Reconcile(control As IRibbonControl)
    SopRun "reconcile"
End Sub

Sub RefreshKpis(control As IRibbonControl)
    SopRun "refresh_kpis"
End Sub

Sub RunCycle(control As IRibbonControl)
    SopRun "run_cycle"
End Sub

Sub SnapshotCycle(control As IRibbonControl)
    SopRun "snapshot_cycle"
End Sub

Sub RollForward(control As IRibbonControl)
    SopRun "roll_forward"
End Sub

Private Sub SopRun(macro As String)
    #If Not Mac Then
    If Not Application.ActiveProtectedViewWindow Is Nothing Then
        MsgBox "This file is open in Protected View: click Enable Editing, then the button " & _
               "again.", vbExclamation, SOP_TITLE
        Exit Sub
    End If
    #End If
    If ActiveWorkbook Is Nothing Then
        MsgBox "No workbook is open: open an S&OP workbook, then click the button again.", _
               vbExclamation, SOP_TITLE
        Exit Sub
    End If
    On Error GoTo failed
    RunPython "import sop_xl.addin as a; a.run_button('" & macro & "', '" & XLWINGS_VERSION & "')"
    Exit Sub
failed:
    MsgBox "Python did not start (" & Err.Description & "). This file's VBA comes from " & _
           "xlwings " & XLWINGS_VERSION & "; if xlwings was upgraded since, rebuild it with: " & _
           "sop-xl build-addin", vbCritical, SOP_TITLE
End Sub

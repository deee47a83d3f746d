"""Imports point inward: core <- workbook <- cycle <- faces (issue 9); see tests/import_graph.py."""

import import_graph


def test_every_module_has_a_layer():
    for name in import_graph.modules():
        assert import_graph.layer(name) in import_graph.LAYERS


def test_no_import_points_outward():
    assert import_graph.violations() == []


def test_the_check_finds_an_outward_import(monkeypatch):
    # the check can fail: pretend the forecast core imported the cycle runner
    real = import_graph.imports

    def imports(name, path):
        found = real(name, path)
        return found | {"sop_xl.cycle.runner"} if name == "sop_xl.forecast.auto" else found

    monkeypatch.setattr(import_graph, "imports", imports)
    assert import_graph.violations() == [
        "sop_xl.forecast.auto (core) imports sop_xl.cycle.runner (cycle)"
    ]


def test_layers_of_known_modules():
    assert import_graph.layer("sop_xl.forecast.auto") == "core"
    assert import_graph.layer("sop_xl.records.accuracy") == "core"
    assert import_graph.layer("sop_xl.workbook.live") == "workbook"
    assert import_graph.layer("sop_xl.cycle.steps") == "cycle"
    assert import_graph.layer("sop_xl.commands.run") == "faces"
    assert import_graph.layer("sop_udfs") == "faces"

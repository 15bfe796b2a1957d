"""NicheLab desktop application (PySide6 + vispy + pyqtgraph).

Layout of the package:
    app.py            run_gui(args): QApplication set-up, screenshot mode
    main_window.py    layout, menus, wiring
    controller.py     RunController: engine worker + scenario model, render timer (no widgets)
    engine_worker.py  the engine thread, command queue, latest-frame slot
    scenario_model.py the scenario being edited (what the panels show)
    viewport.py       vispy 3D view;  legend.py  legend and colour bar
    plots.py          live pyqtgraph plots
    panels/           scenario picker, genotype, treatments, perturbations, transplant, run controls, inspector
    file_actions.py   open/save scenarios, CSV and PNG export (atomic)
    dialogs.py        error, unsaved-changes and About dialogs
    diagnostics.py    UI latency and frame-rate measurements for benchmarks
"""

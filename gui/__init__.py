"""NicheLab desktop application (PySide6 + vispy + pyqtgraph).

Layout of the package:
    app.py              run_gui(args): QApplication set-up, screenshot mode
    main_window.py      layout, menus, wiring
    controller.py       RunController: engine worker + scenario model, render timer, schedule edits (no widgets)
    engine_worker.py    the engine thread: command queue, named queries, latest-frame slot, replay frames
    thread_relay.py     the one way back from worker and study threads to the GUI thread
    scenario_model.py   the scenario being edited (what the panels show; what Reset runs)
    schedule_questions.py  what to ask when the run refuses a schedule edit
    view_panel.py       the 3D view with its legend, presets, SDF-1 and replay controls, cell card
    viewport.py         vispy 3D view;  view_frame.py  compact frames and the replay store
    legend.py           legend and colour bar;  palette.py  cell classes, symbols, view presets
    plots.py            live pyqtgraph plots;  plot_panel.py  plots and the run's table
    parameter_use.py    which parameters a scenario can feel; readable parameter names (no Qt)
    colour_vision.py    colour-vision deficiency simulation (Machado 2009; no Qt)
    panels/             scenario picker, genotype, schedule list, treatments, perturbations, transplant,
                        parameters, run controls, inspector
    research/           lessons, kept runs, ensembles, sweeps, movies, sessions, glossary, help
    file_actions.py     open/save scenarios, CSV and PNG export (atomic)
    dialogs.py          error, unsaved-changes and About dialogs
    diagnostics.py      UI latency and frame-rate measurements for benchmarks
"""

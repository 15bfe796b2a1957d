"""NicheLab studies: what sits on top of single runs (no Qt here, ever).

* :mod:`studies.runs`     finished runs kept for comparison (RunRecord, RunList, comparison table)
* :mod:`studies.ensemble` one scenario over many seeds in parallel processes, mean and spread
* :mod:`studies.sweep`    one or two parameters over a range, locally or on a Dask cluster
* :mod:`studies.movie`    MP4/GIF writer with a burned-in day label
* :mod:`studies.session`  workspace files and autosave
* :mod:`studies.lessons`  classroom lessons (TOML) and their loader
* :mod:`studies.glossary` the glossary behind tooltips and the Help menu
* helpers: :mod:`studies.worker` (top-level task functions), ``make_lesson_images`` (lesson diagrams)

Outcome measures, statistics, plots and the process-pool runner they share with ``validate`` live
in :mod:`analysis` (outcomes, stats, plotting, runner).
"""

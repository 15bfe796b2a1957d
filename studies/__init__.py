"""NicheLab studies: what sits on top of single runs (no Qt here, ever).

* :mod:`studies.outcomes` key outcomes of a run (platelet nadir, recovery, chimerism, engraftment)
* :mod:`studies.runs`     finished runs kept for comparison (RunRecord, RunList, comparison table)
* :mod:`studies.ensemble` one scenario over many seeds in parallel processes, mean and spread
* :mod:`studies.sweep`    one or two parameters over a range, locally or on a Dask cluster
* :mod:`studies.svgplot`  dependency-free SVG line plots and heat maps
* :mod:`studies.movie`    MP4/GIF writer with a burned-in day label
* :mod:`studies.session`  workspace files and autosave
* :mod:`studies.lessons`  classroom lessons (TOML) and their loader
* :mod:`studies.glossary` the glossary behind tooltips and the Help menu
* helpers: :mod:`studies.parallel` (local process pool / Dask back-ends, StudyJob),
  :mod:`studies.worker` (top-level task functions), :mod:`studies.stats` (t intervals),
  ``make_lesson_images`` (lesson diagrams)
"""

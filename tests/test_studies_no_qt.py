"""studies/, analysis/ and validation/ are model-side code: importing it must not pull in Qt, vispy or pyqtgraph."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_studies_modules_import_without_gui_libraries():
    code = ("import sys, studies.runs, studies.ensemble, studies.sweep, studies.movie, "
            "studies.session, studies.lessons, studies.glossary, studies.make_lesson_images, "
            "analysis.outcomes, analysis.stats, analysis.runner, analysis.plotting, analysis.progress, "
            "analysis.published, validation, validation.report, cli.ensemble, cli.sweep, cli.validate\n"
            "import analysis.plotting as P, numpy as np\n"
            "P.svg_text(P.line_figure([P.Line('a', np.arange(3.0), np.arange(3.0))], xlabel='x', ylabel='y'))\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'vispy', 'pyqtgraph', 'gui'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""

"""Help > User guide: a short guide to the window and every keyboard shortcut (read from the
window's own actions, so the list is always right)."""
from __future__ import annotations

import html

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

GUIDE = """
<h2>NicheLab in five minutes</h2>
<ol>
<li><b>Pick a scenario</b> in the <i>Scenario</i> tab (double-click, or select and press <i>Load scenario</i>).
 Its description says what it shows and what to look for.</li>
<li><b>Press Play</b> (Space). The 3D view shows the marrow tile: megakaryocytes (large pink spheres) crawl to
 the sinusoids (orange tubes), dock (white ring) and release platelets (yellow ring, yellow dots in the
 vessels). The plots on the right follow the blood platelets, the blood neutrophils (shown after a
 transplant, irradiation or 5-FU), stem-cell engraftment, plasma TPO and the megakaryocytes.</li>
<li><b>Change the experiment</b> in the <i>Schedule</i> tab: tick a treatment or perturbation, set its dose,
 start day and duration. Before a run starts, a change rebuilds the run; during a run it applies from now on.
 Something already given cannot change in the run: NicheLab asks whether to start it now or to start again
 from day 0 with the change. <i>Reset</i> always runs the scenario as the panels show it from day 0.</li>
<li><b>Change the model</b> in the <i>Parameters</i> tab: every parameter with its unit, range, default and
 source. Changed values carry a gear (\u2699) in the title bar and on kept runs.</li>
<li><b>Compare</b>: <i>Keep this run</i> (Ctrl+K) in the <i>Runs</i> tab overlays it on the platelet plot and
 adds it to the comparison table. Lessons keep each step's run for you.</li>
</ol>
<h3>The 3D view</h3>
<p>Drag to rotate, scroll to zoom, Shift+drag to pan; click a cell to see its type, age, maturity and whether it
touches a sinusoid (the card in the view's corner). <i>Overview</i> / <i>Focus on megakaryocytes</i> / <i>Stem
cells and niches</i> choose what is shown; the legend below the view switches single classes on and off.
Each class has its own symbol (sphere, star, triangle, diamond, cross), so colour is never the only cue.
<i>SDF-1</i> shows the chemokine field as a slice, an isosurface or a volume. The <i>Replay</i> slider scrubs
back through the run (one stored picture per sampling interval).</p>
<h3>The plots</h3>
<p>Hover to read the values at any day; drag to pan, scroll to zoom; the small <b>A</b> button in a plot's corner
restores the automatic range; right-click for the view menu and <i>Export\u2026</i> (PNG, SVG, CSV). The strip
above the plots shows the schedule; the <i>Table</i> tab lists the run's numbers. Black squares with error bars,
when present, are published measurements of the same experiment (hover for the source).</p>
<h3>Studies and files</h3>
<p><i>Simulation \u203a Run ensemble</i> repeats the scenario over many seeds (mean, spread, 95% intervals);
<i>Parameter sweep</i> varies one or two parameters. <i>File</i> saves scenarios (TOML), sessions, the time
series (CSV, with seed, scenario and version), pictures and movies of the 3D view. The same scenario and
seed always give the same numbers, here and from the command line (<code>main.py run</code>).</p>
"""

EXTRA_KEYS = [("Drag (3D view)", "rotate the camera"), ("Scroll (3D view)", "zoom"),
              ("Shift+drag (3D view)", "pan"), ("Click (3D view)", "inspect a cell"),
              ("Drag / scroll (plots)", "pan / zoom the plots (x is shared)"),
              ("Right-click (plots)", "view menu and Export\u2026"), ("Ctrl+C (table)", "copy the selected numbers")]


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(key, what it does) for every action of the window that has a shortcut."""
    rows, seen = [], set()
    for a in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.NativeText) for k in a.shortcuts() if not k.isEmpty()]
        text = a.text().replace("&", "").replace("\u2026", "").strip()
        if not keys or not text or (text, tuple(keys)) in seen:
            continue
        seen.add((text, tuple(keys)))
        rows.append((" or ".join(keys), text))
    return sorted(rows, key=lambda r: r[1].lower())


def help_html(window) -> str:
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
                   for k, v in shortcut_rows(window) + EXTRA_KEYS)
    return (GUIDE + "<h3>Keyboard shortcuts</h3><table cellpadding='3'>" + rows + "</table>")


class HelpDialog(QDialog):
    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("NicheLab user guide")
        self.resize(720, 640)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(help_html(window))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)

"""The main window: layout, menus and the wiring between model, controller and views.

Layout: run controls on top; the 3D view (with legend and SDF-1 controls) in
the centre; scenario, treatment, perturbation and transplant panels as tabbed
docks on the left; plots and the cell inspector as docks on the right. Later
features (lessons, run comparison, ensembles) add docks with ``add_dock``.
"""
from __future__ import annotations

import logging
import sys
import time
from functools import partial

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QHBoxLayout, QLabel, QMainWindow, QProgressBar,
                               QPushButton, QScrollArea, QSizePolicy, QSlider, QTabWidget, QVBoxLayout,
                               QWidget)

from engine import GENOTYPES, InputError, load_scenario
from engine.runtime import APP_NAME

from . import dialogs
from .controller import RunController
from .file_actions import FileActions
from .frame_pacer import PLOTS, VIEW, FramePacer
from .legend import ColorBar, LegendBar
from .menu_actions import add_action
from .panels.events import perturbations_panel, treatments_panel
from .panels.genotype import GenotypePanel
from .panels.inspector import InspectorPanel
from .panels.run_controls import RunControls
from .panels.scenario_picker import ScenarioPicker
from .panels.transplant import TransplantPanel
from .plots import LivePlots
from .research import install_research_features
from .scenario_model import ScenarioModel
from .texts import VIEW_TIPS
from .viewport import Viewport

log = logging.getLogger("nichelab.gui")

STATUS_INTERVAL_S = 0.25
LEFT_DOCK_MIN_WIDTH = 440
RIGHT_DOCK_MIN_WIDTH = 440
INSPECT_INTERVAL_S = 0.5
#: after a frame that kept the GUI thread busy for t seconds (job + window paint), wait at least
#: PAINT_REST * t before the next one, so that input is handled between frames even with a slow
#: (software) renderer: the GUI thread stays busy at most 1 / (1 + PAINT_REST) of the time
PAINT_REST = 1.0
#: while running, the plots are redrawn at most this often, never in the same paint as the 3D view
PLOT_INTERVAL_S = 0.25


class ViewPanel(QWidget):
    """The 3D viewport with its legend, camera reset and SDF-1 slice controls."""

    def __init__(self, viewport: Viewport, parent=None):
        super().__init__(parent)
        self.viewport = viewport
        self.legend = LegendBar()
        self.camera_button = QPushButton("Reset camera")
        self.camera_button.setToolTip(VIEW_TIPS["camera"])
        self.field_check = QCheckBox("SDF-1 field slice")
        self.field_check.setToolTip(VIEW_TIPS["field"])
        self.slice = QSlider(Qt.Horizontal)
        self.slice.setRange(0, 300)
        self.slice.setValue(30)
        self.slice.setToolTip(VIEW_TIPS["slice"])
        self.slice.setFixedWidth(140)
        self.slice_label = QLabel("z = 30 \u00b5m")
        self.slice_label.setToolTip(VIEW_TIPS["slice"])
        self.slice_label.setMinimumWidth(80)
        self.colorbar = ColorBar()
        for w in (self.slice, self.slice_label, self.colorbar):
            w.setVisible(False)
        self.busy = QLabel("", viewport)
        self.busy.setAlignment(Qt.AlignCenter)
        self.busy.setWordWrap(True)          # a narrow view wraps the message instead of cutting it
        self.busy.setStyleSheet("background: rgba(20,20,20,190); color: white; padding: 14px; "
                                "border-radius: 8px; font-size: 12pt;")
        self.busy.hide()
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(self.camera_button)
        controls.addSpacing(12)
        controls.addWidget(self.field_check)
        controls.addWidget(self.slice)
        controls.addWidget(self.slice_label)
        controls.addWidget(self.colorbar)
        hint = QLabel("Drag: rotate \u00b7 scroll: zoom \u00b7 Shift+drag: pan \u00b7 click a cell: inspect")
        hint.setStyleSheet("color: #666;")
        hint.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)   # never widens the window
        hint.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        hint.setToolTip(VIEW_TIPS["camera"])
        controls.addWidget(hint, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 2)
        lay.setSpacing(2)
        lay.addWidget(viewport, 1)
        lay.addWidget(self.legend)
        lay.addLayout(controls)

    def show_busy(self, message: str) -> None:
        self.busy.setText(message)
        self.busy.setVisible(bool(message))
        if message:
            vp = self.viewport
            self.busy.ensurePolished()       # (the style sheet's font and padding)
            m = self.busy.contentsMargins()
            natural = self.busy.fontMetrics().horizontalAdvance(message) + m.left() + m.right() + 4
            width = max(120, min(natural, vp.width() - 24))      # one line if it fits
            self.busy.setFixedSize(width, self.busy.heightForWidth(width))
            self.busy.move(max(0, (vp.width() - self.busy.width()) // 2),
                           max(0, (vp.height() - self.busy.height()) // 2))
            self.busy.raise_()

    def set_tile_height(self, z_um: float) -> None:
        self.slice.setRange(0, int(z_um))


class MainWindow(QMainWindow):
    def __init__(self, parent=None, *, start: bool = True):
        super().__init__(parent)
        self.setObjectName("main_window")
        self.headless = False          # screenshot mode: errors go to stderr, no questions asked
        self.model = ScenarioModel()
        self.controller = RunController(self.model, parent=self)
        self.files = FileActions(self)
        self._inspect_slot = -1
        self._inspect_identity = None
        self._last_inspect = 0.0
        self._last_status = 0.0
        self._pending_frame = None
        self._pending_events = None
        self._build_views()
        self.viewport.use_native_window()   # software OpenGL: the rest of the window is not GL-composed
        self._build_docks()
        self._build_menus()
        self._build_status()
        # the pacer decides when a running simulation's frames and plot updates are drawn
        self.pacer = FramePacer(self._render_view, self._render_plots, rest=PAINT_REST,
                                plot_interval_s=PLOT_INTERVAL_S, parent=self)
        self.plots.auto_flush = False
        self._connect()
        self.resize(1600, 1000)
        self._update_title()
        if start:
            self.controller.start()
        install_research_features(self)

    # ------------------------------------------------------------------ construction
    def _build_views(self) -> None:
        self.viewport = Viewport()
        self.view_panel = ViewPanel(self.viewport)
        self.setCentralWidget(self.view_panel)
        self.run_controls = RunControls(self)
        self.addToolBar(Qt.TopToolBarArea, self.run_controls)
        self.plots = LivePlots()
        self.inspector = InspectorPanel()
        self.picker = ScenarioPicker()
        self.genotype = GenotypePanel()
        self.treatments = treatments_panel()
        self.perturbations = perturbations_panel()
        self.transplant = TransplantPanel()

    def add_dock(self, title: str, widget: QWidget, area=Qt.LeftDockWidgetArea, name: str | None = None,
                 tabify_with: QDockWidget | None = None, scroll: bool = False) -> QDockWidget:
        """Add a panel as a dock (other features use this too)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name or f"dock_{title.lower().replace(' ', '_')}")
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable |
                         QDockWidget.DockWidgetClosable)
        if scroll:
            sa = QScrollArea()
            sa.setWidgetResizable(True)
            sa.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            sa.setMinimumWidth(widget.minimumSizeHint().width() + 8)
            sa.setFrameShape(QScrollArea.NoFrame)
            sa.setWidget(widget)
            dock.setWidget(sa)
        else:
            dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if tabify_with is not None:
            self.tabifyDockWidget(tabify_with, dock)
        self.view_menu_docks.append(dock)
        return dock

    def _build_docks(self) -> None:
        self.view_menu_docks: list[QDockWidget] = []
        self.setTabPosition(Qt.LeftDockWidgetArea, QTabWidget.North)
        self.setTabPosition(Qt.RightDockWidgetArea, QTabWidget.North)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)
        scen = QWidget()
        lay = QVBoxLayout(scen)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.picker, 1)
        lay.addWidget(self.genotype)
        self.dock_scenario = self.add_dock("Scenario", scen, name="dock_scenario")
        self.dock_treatments = self.add_dock("Treatments", self.treatments, name="dock_treatments",
                                             tabify_with=self.dock_scenario, scroll=True)
        self.dock_perturbations = self.add_dock("Perturbations", self.perturbations, name="dock_perturbations",
                                                tabify_with=self.dock_treatments, scroll=True)
        self.dock_transplant = self.add_dock("Transplant", self.transplant, name="dock_transplant",
                                             tabify_with=self.dock_perturbations, scroll=True)
        self.dock_plots = self.add_dock("Live plots", self.plots, Qt.RightDockWidgetArea, name="dock_plots")
        self.dock_inspector = self.add_dock("Cell inspector", self.inspector, Qt.RightDockWidgetArea,
                                            name="dock_inspector")
        self.splitDockWidget(self.dock_plots, self.dock_inspector, Qt.Vertical)
        for dock in (self.dock_scenario, self.dock_treatments, self.dock_perturbations, self.dock_transplant):
            dock.setMinimumWidth(LEFT_DOCK_MIN_WIDTH)
        self.dock_plots.setMinimumWidth(RIGHT_DOCK_MIN_WIDTH)
        self.dock_scenario.raise_()
        self.resizeDocks([self.dock_scenario, self.dock_plots], [LEFT_DOCK_MIN_WIDTH, 500], Qt.Horizontal)
        self.resizeDocks([self.dock_plots, self.dock_inspector], [780, 150], Qt.Vertical)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")

        act = partial(add_action, self)

        self.open_action = act(f, "&Open scenario\u2026", self.files.open_scenario, QKeySequence.Open,
                               "Open a scenario file (.toml)")
        self.save_action = act(f, "&Save scenario", self.files.save_scenario, QKeySequence.Save,
                               "Save the scenario as shown in the panels")
        act(f, "Save scenario &as\u2026", self.files.save_scenario_as, QKeySequence("Ctrl+Shift+S"))
        f.addSeparator()
        act(f, "&Export time series (CSV)\u2026", self.files.export_csv, QKeySequence("Ctrl+E"),
            "All recorded observables, with the seed, scenario and app version")
        act(f, "Save 3D &view as PNG\u2026", self.files.save_view_png)
        act(f, "Save &plots as PNG\u2026", self.files.save_plots_png)
        f.addSeparator()
        act(f, "&Quit", self.close, QKeySequence.Quit)
        s = mb.addMenu("&Simulation")
        for a in (self.run_controls.play_action, self.run_controls.step_action, self.run_controls.reset_action):
            s.addAction(a)
        v = mb.addMenu("&View")
        act(v, "Reset &camera", self.viewport.reset_camera, QKeySequence("Home"), VIEW_TIPS["camera"])
        self.field_action = QAction("Show SDF-1 &field", self, checkable=True)
        self.field_action.setShortcut(QKeySequence("F"))
        self.field_action.toggled.connect(self.view_panel.field_check.setChecked)
        v.addAction(self.field_action)
        v.addSeparator()
        for dock in self.view_menu_docks:
            v.addAction(dock.toggleViewAction())
        self.view_menu = v
        h = mb.addMenu("&Help")
        act(h, f"&About {APP_NAME}", self.show_about)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.hide()
        self.status_day = QLabel("day \u2013")
        self.status_agents = QLabel("agents \u2013")
        self.status_steps = QLabel("engine \u2013 steps/s")
        self.status_fps = QLabel("\u2013 frames/s")
        for w in (self.status_day, self.status_agents, self.status_steps, self.status_fps):
            w.setMinimumWidth(110)
        self.status_day.setToolTip("Simulated day")
        self.status_agents.setToolTip("Agents alive in the tile (cells and platelet particles)")
        self.status_steps.setToolTip("Engine time steps per second (one step = dt hours)")
        self.status_fps.setToolTip("3D view frames drawn per second")
        sb.addPermanentWidget(self.busy_bar)
        for w in (self.status_day, self.status_agents, self.status_steps, self.status_fps):
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        c, m, rc = self.controller, self.model, self.run_controls
        rc.play_toggled.connect(c.toggle)
        rc.step_requested.connect(lambda: c.step(1))
        rc.reset_requested.connect(self.reset)
        rc.speed_changed.connect(c.set_speed)
        rc.seed_changed.connect(lambda v: m.set_field("seed", int(v)))
        c.running_changed.connect(rc.set_running)
        c.reset_pending_changed.connect(rc.set_reset_pending)
        c.busy_changed.connect(self._on_busy)
        c.error.connect(self._on_engine_error)
        c.world_changed.connect(self._on_world)
        c.frame_ready.connect(self._on_frame)
        c.rows_ready.connect(self._on_rows)
        c.inspected.connect(self._on_inspected)
        c.status_message.connect(lambda msg: self.statusBar().showMessage(msg, 6000))
        c.reached.connect(lambda day: self.statusBar().showMessage(
            f"Day {day:g} reached. Press Play to run on, or Reset to start again.", 8000))
        m.loaded.connect(self._on_loaded)
        m.field_changed.connect(self._on_field_changed)
        m.event_changed.connect(lambda _o, _n: self._refresh_events())
        m.events_synced.connect(self._refresh_events)
        m.dirty_changed.connect(lambda _d: self._update_title())
        m.path_changed.connect(lambda _p: self._update_title())
        self.genotype.changed.connect(m.set_field)
        for panel in (self.treatments, self.perturbations, self.transplant):
            panel.changed.connect(m.set_event)
        self.picker.load_requested.connect(self.load_builtin)
        vp, vpanel = self.viewport, self.view_panel
        vp.cell_picked.connect(self._on_pick)
        vp.field_range_changed.connect(vpanel.colorbar.set_range)
        vpanel.legend.class_toggled.connect(vp.set_class_visible)
        vpanel.legend.layer_toggled.connect(vp.set_layer_visible)
        vpanel.camera_button.clicked.connect(vp.reset_camera)
        vpanel.field_check.toggled.connect(self._on_field_toggled)
        vpanel.slice.valueChanged.connect(self._on_slice)

    # ------------------------------------------------------------------ actions
    def reset(self) -> None:
        self.controller.reset()
        self.inspector.clear()
        self._inspect_slot = -1

    def load_builtin(self, sid: str) -> bool:
        if not self.confirm_discard("loading another scenario"):
            return False
        try:
            scn = load_scenario(sid)
        except InputError as exc:
            self._error("Cannot load scenario", str(exc))
            return False
        self.controller.load_scenario(scn, builtin_id=sid)
        return True

    def confirm_discard(self, what: str) -> bool:
        """True when there are no unsaved edits, or the user saved or discarded them."""
        if not self.model.dirty or self.headless:
            return True
        answer = dialogs.ask_unsaved(self, what)
        if answer == "save":
            return self.files.save_scenario()
        return answer == "discard"

    def show_about(self) -> None:
        dialogs.AboutDialog(self).exec()

    def _error(self, title: str, message: str, details: str | None = None) -> None:
        if self.headless:
            print(f"nichelab: {title}: {message}", file=sys.stderr)
            return
        dialogs.show_error(self, title, message, details)

    # ------------------------------------------------------------------ controller -> views
    def _on_engine_error(self, title: str, message: str, details: str) -> None:
        self._error(title, message, details)

    def _on_busy(self, message: str) -> None:
        self.busy_bar.setVisible(bool(message))
        self.view_panel.show_busy(message)
        if message:
            self.statusBar().showMessage(message)
        else:
            self.statusBar().clearMessage()

    def _on_world(self, world) -> None:
        self.viewport.set_world(world.size, world.vessel_p0, world.vessel_p1, world.vessel_radius)
        self.view_panel.set_tile_height(world.size[2])
        self.viewport.set_slice_z(self.view_panel.slice.value())
        self.plots.reset(world)
        self.plots.set_x_span(self.model.scenario.days)
        self.inspector.clear()
        self._inspect_slot = -1
        self.run_controls.set_seed(world.seed)

    def _on_frame(self, frame) -> None:
        self._pending_frame = frame
        if frame.running:
            self.pacer.want(VIEW)
        else:
            self.flush_frame()          # paused, stepped, reached, reset: show it at once

    def _on_rows(self, rows) -> None:
        self.plots.append(rows)          # the buffer is always current; the curves follow when paced
        if self.plots.dirty:
            self.pacer.want(PLOTS)

    def flush_frame(self) -> None:
        """Show the newest frame in the 3D view and the plots now (outside the pacer's schedule)."""
        self._render_view()
        self._render_plots()
        self.pacer.drop(VIEW)
        self.pacer.drop(PLOTS)

    def _render_view(self) -> None:
        """Pacer job: apply the newest frame to the 3D view and the read-outs (one window paint)."""
        frame = self._pending_frame
        if frame is None:
            return
        self._pending_frame = None
        self.viewport.set_snapshot(frame.snapshot)
        if self.plots.markers_differ(frame.events):
            self._pending_events = frame.events
            self.pacer.want(PLOTS)       # markers change the plots: their own paint
        now = time.perf_counter()
        if self._inspect_slot >= 0 and frame.running and now - self._last_inspect > INSPECT_INTERVAL_S:
            self._last_inspect = now
            self.controller.inspect(self._inspect_slot)
        if now - self._last_status > STATUS_INTERVAL_S or not frame.running:
            self._last_status = now
            self.update_status(frame)

    def _render_plots(self) -> None:
        """Pacer job: redraw the curves (and the schedule markers, when they changed)."""
        if self._pending_events is not None:
            self.plots.set_events(self._pending_events)
            self._pending_events = None
        self.plots.flush(force=True)

    def event(self, ev) -> bool:
        """Time every repaint of the window (it includes the 3D paint and the OpenGL composition)."""
        pacer = getattr(self, "pacer", None)
        if pacer is None or ev.type() != QEvent.UpdateRequest:
            return super().event(ev)
        t0 = time.perf_counter()
        handled = super().event(ev)
        pacer.painted(t0, time.perf_counter())
        return handled

    def update_status(self, frame=None) -> None:
        frame = frame or self.controller.frame
        if frame is None:
            return
        self.run_controls.set_day(frame.day, self.model.scenario.days)
        agents = frame.snapshot.counts.get("agents", len(frame.snapshot.kinds))
        self.status_day.setText(f"day {frame.day:.2f}")
        self.status_agents.setText(f"{int(agents):,} agents")
        if frame.running:
            self.status_steps.setText(f"engine {frame.steps_per_second:.0f} steps/s")
            self.status_fps.setText(f"{self.viewport.frames_per_second():.0f} frames/s")
        else:
            self.status_steps.setText("engine paused")
            self.status_fps.setText("view idle")

    def _on_inspected(self, info: dict) -> None:
        # a slot is reused when its cell dies: a different type or origin means the cell is gone
        first = self._inspect_identity
        ident = (info.get("type"), info.get("origin")) if info else None
        if first is None:
            self._inspect_identity = ident
        elif ident != first:
            info = {}
        if not info:
            self._inspect_slot = -1
            self.viewport.set_highlight(-1)
        self.inspector.show_info(info)

    def _on_pick(self, slot: int) -> None:
        self._inspect_slot = slot
        self._inspect_identity = None
        if slot >= 0:
            self.controller.inspect(slot)
            self.dock_inspector.raise_()
        else:
            self.inspector.clear()

    def _on_field_toggled(self, on: bool) -> None:
        vp = self.view_panel
        for w in (vp.slice, vp.slice_label, vp.colorbar):
            w.setVisible(on)
        self.field_action.blockSignals(True)
        self.field_action.setChecked(on)
        self.field_action.blockSignals(False)
        self.controller.want_field(on)
        self.viewport.set_field_visible(on)

    def _on_slice(self, z: int) -> None:
        self.view_panel.slice_label.setText(f"z = {z} \u00b5m")
        self.viewport.set_slice_z(float(z))

    # ------------------------------------------------------------------ model -> panels
    def _on_loaded(self, scn) -> None:
        self.genotype.show_scenario(scn)
        self.transplant.set_species(scn.species)
        self.run_controls.set_seed(scn.seed)
        self.picker.select(self.model.builtin_id)
        self._refresh_events()
        self.plots.set_x_span(scn.days)
        self._update_title()

    def _on_field_changed(self, name: str, value) -> None:
        if name == "species":
            self.transplant.set_species(value)
        elif name == "days":
            self.plots.set_x_span(float(value))
            self.update_status()
        elif name == "seed":
            self.run_controls.set_seed(int(value))
        self._show_explanation()

    def _refresh_events(self) -> None:
        for panel in (self.treatments, self.perturbations, self.transplant):
            panel.show_events(self.model)
        self._show_explanation()
        for dock, panel, title in ((self.dock_treatments, self.treatments, "Treatments"),
                                   (self.dock_perturbations, self.perturbations, "Perturbations"),
                                   (self.dock_transplant, self.transplant, "Transplant")):
            n = panel.active_count()
            dock.setWindowTitle(f"{title} ({n})" if n else title)

    def _show_explanation(self) -> None:
        m = self.model
        src = f"built-in: {m.builtin_id}" if m.builtin_id else (m.path.name if m.path else "")
        self.picker.show_scenario(m.scenario, src)

    def _update_title(self) -> None:
        m = self.model
        star = "*" if m.dirty else ""
        geno = GENOTYPES.get(m.scenario.genotype, m.scenario.genotype)
        self.setWindowTitle(f"{m.scenario.name}{star} \u2014 {APP_NAME}")
        self.run_controls.scenario_label.setText(f"<b>{m.scenario.name}</b>{star}  \u00b7  {m.scenario.species}, "
                                                 f"{geno}  ")

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:
        if not self.confirm_discard("closing"):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the render timer and join the engine thread (idempotent)."""
        if getattr(self, "_shut", False):
            return
        self._shut = True
        self.pacer.stop()
        self.controller.shutdown()
        self.viewport.close_canvas()

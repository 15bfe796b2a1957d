"""The main window: layout, menus and the wiring between model, controller and views.

Layout (it fits a 1280 x 720 screen): run controls on top; the 3D view (with its
legend, presets, SDF-1 and replay controls, and the clicked cell's card inside
it) in the centre; tabbed docks on the left (scenario, schedule, and the docks
that later features add with ``add_dock``: parameters, lesson, kept runs); the
live plots (and their table) on the right, at full height.
"""
from __future__ import annotations

import html
import logging
import sys
import time
from functools import partial

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QProgressBar, QScrollArea, QSizePolicy,
                               QTabWidget, QVBoxLayout, QWidget)

from engine import GENOTYPES, InputError, SetParameter, load_scenario
from engine.runtime import APP_NAME

from . import dialogs
from . import palette as P
from . import schedule_questions
from .controller import RunController
from .file_actions import FileActions
from .frame_pacer import PLOTS, VIEW, FramePacer
from .menu_actions import add_action
from .panels.events import perturbations_panel, treatments_panel
from .panels.genotype import GenotypePanel
from .panels.run_controls import RunControls
from .panels.scenario_picker import ScenarioPicker
from .panels.parameters import ParameterPanel
from .panels.schedule_list import ScheduleList
from .panels.transplant import TransplantPanel
from .plots import LivePlots
from .plot_panel import PlotsPanel
from .research import install_research_features
from .scenario_model import ScenarioModel
from .texts import VIEW_TIPS, count_text
from .view_frame import ReplayStore
from .view_panel import ViewPanel
from .viewport import Viewport

log = logging.getLogger("nichelab.gui")

STATUS_INTERVAL_S = 0.25
#: dock widths: the minimums let the window fit 1280 x 720; the defaults are used on larger screens
LEFT_DOCK_MIN_WIDTH = 300
RIGHT_DOCK_MIN_WIDTH = 300
LEFT_DOCK_WIDTH = 380
RIGHT_DOCK_WIDTH = 420
#: the smallest window that stays usable (a 1280 x 720 screen less its taskbar and title bar)
MIN_WINDOW = (1100, 600)
INSPECT_INTERVAL_S = 0.5
#: after a frame that kept the GUI thread busy for t seconds (job + window paint), wait at least
#: PAINT_REST * t before the next one, so that input is handled between frames even with a slow
#: (software) renderer: the GUI thread stays busy at most 1 / (1 + PAINT_REST) of the time
PAINT_REST = 1.0
#: while running, the plots are redrawn at most this often, never in the same paint as the 3D view
PLOT_INTERVAL_S = 0.25


def _schedule_key(state) -> tuple | None:
    """What the panels show of a schedule: ids, events and statuses (not the day)."""
    if state is None:
        return None
    return (state.generation, tuple((it.id, it.status, it.event.kind, it.event.start_day, it.event.duration_days,
                                     it.event.dose, it.event.msc_coinfusion) for it in state.items))


class MainWindow(QMainWindow):
    def __init__(self, parent=None, *, start: bool = True):
        super().__init__(parent)
        self.setObjectName("main_window")
        self.headless = False          # screenshot mode: errors go to stderr, no questions asked
        self.model = ScenarioModel()
        self.controller = RunController(self.model, parent=self)
        self.files = FileActions(self)
        self._inspect_id = -1
        self._schedule_key = None
        self._chosen_events: dict[str, int] = {}
        self.replay = ReplayStore()
        self._replaying: int | None = None      # index of the stored frame shown, None: live
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
        self.setMinimumSize(*MIN_WINDOW)
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
        self.plots_panel = PlotsPanel(self.plots)
        self.inspector = self.view_panel.inspector
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
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        scen = QWidget()
        lay = QVBoxLayout(scen)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.picker, 1)
        lay.addWidget(self.genotype)
        self.dock_scenario = self.add_dock("Scenario", scen, name="dock_scenario")
        sched = QWidget()
        lay = QVBoxLayout(sched)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.schedule_list = ScheduleList()
        lay.addWidget(self.schedule_list)
        for panel in (self.treatments, self.perturbations, self.transplant):
            lay.addWidget(panel)
        lay.addStretch(1)
        self.schedule_panel = sched
        self.dock_schedule = self.add_dock("Schedule", sched, name="dock_schedule", tabify_with=self.dock_scenario,
                                           scroll=True)
        self.parameters = ParameterPanel()
        self.dock_parameters = self.add_dock("Parameters", self.parameters, name="dock_parameters",
                                             tabify_with=self.dock_schedule)
        # (older names: the schedule's three parts used to be docks of their own)
        self.dock_treatments = self.dock_perturbations = self.dock_transplant = self.dock_schedule
        self.dock_plots = self.add_dock("Live plots", self.plots_panel, Qt.RightDockWidgetArea, name="dock_plots")
        for dock in (self.dock_scenario, self.dock_schedule):
            dock.setMinimumWidth(LEFT_DOCK_MIN_WIDTH)
        self.dock_plots.setMinimumWidth(RIGHT_DOCK_MIN_WIDTH)
        self.dock_scenario.raise_()
        self.resizeDocks([self.dock_scenario, self.dock_plots], [LEFT_DOCK_WIDTH, RIGHT_DOCK_WIDTH], Qt.Horizontal)

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
        self.field_action = QAction("Show SDF-1 &field (slice)", self, checkable=True)
        self.field_action.setShortcut(QKeySequence("F"))
        self.field_action.toggled.connect(lambda on: self._on_field_mode("slice" if on else "off"))
        v.addAction(self.field_action)
        self.mk_focus_action = act(v, "Focus on &megakaryocytes", lambda: self.apply_preset("megakaryocytes"),
                                   QKeySequence("M"), P.VIEW_PRESETS[P.PRESET_INDEX["megakaryocytes"]].tooltip)
        act(v, "&Overview", lambda: self.apply_preset("overview"), QKeySequence("O"),
            P.VIEW_PRESETS[P.PRESET_INDEX["overview"]].tooltip)
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
        self.status_agents = QLabel("cells \u2013")
        self.status_steps = QLabel("engine \u2013 steps/s")
        self.status_fps = QLabel("\u2013 frames/s")
        for w in (self.status_day, self.status_agents, self.status_steps, self.status_fps):
            w.setMinimumWidth(90)
        self.status_day.setToolTip("Simulated day")
        self.status_agents.setToolTip("Cells alive in the tile (the released-platelet display particles are not counted)")
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
        m.event_changed.connect(lambda _o, _n: self._on_document_events())
        m.texts_changed.connect(self._update_title)
        m.texts_changed.connect(self._show_explanation)
        c.schedule_changed.connect(self._show_schedule)
        self.parameters.changed.connect(m.set_parameter)
        self.parameters.apply_now.connect(self._apply_parameter_now)
        m.parameters_changed.connect(self._update_title)
        m.parameters_changed.connect(self._show_explanation)
        c.edit_refused.connect(self._on_edit_refused)
        self.schedule_list.picked.connect(self._on_schedule_pick)
        self.schedule_list.remove_requested.connect(lambda kind, eid: c.edit_event(kind, eid, None))
        m.dirty_changed.connect(lambda _d: self._update_title())
        m.path_changed.connect(lambda _p: self._update_title())
        self.genotype.changed.connect(m.set_field)
        for panel in (self.treatments, self.perturbations, self.transplant):
            panel.changed.connect(c.edit_event)
        self.picker.load_requested.connect(self.load_builtin)
        vp, vpanel = self.viewport, self.view_panel
        vp.cell_picked.connect(self._on_pick)
        vp.field_range_changed.connect(self._on_field_range)
        vpanel.legend.class_toggled.connect(vp.set_class_visible)
        vpanel.legend.layer_toggled.connect(vp.set_layer_visible)
        vpanel.camera_button.clicked.connect(lambda: vp.reset_camera())
        vpanel.preset_chosen.connect(self.apply_preset)
        vpanel.depth_check.toggled.connect(vp.set_depth_cue)
        vpanel.section.currentIndexChanged.connect(lambda i: vp.set_section(vpanel.section.itemData(i)))
        vpanel.field_mode_chosen.connect(self._on_field_mode)
        vpanel.slice.valueChanged.connect(self._on_slice)
        vpanel.iso.valueChanged.connect(self._on_iso)
        vpanel.card.closed.connect(self._on_card_closed)
        vpanel.replay_moved.connect(self._on_replay_moved)
        vpanel.live_requested.connect(self.show_live)
        c.replay_ready.connect(self._on_replay_frames)
        for a in (rc.play_action, rc.step_action, rc.reset_action):
            a.triggered.connect(self.show_live)

    # ------------------------------------------------------------------ actions
    def reset(self) -> None:
        self.controller.reset()
        self._clear_inspection()

    def apply_preset(self, key: str) -> None:
        """Show a view preset (palette.VIEW_PRESETS) and tell the legend what is shown."""
        vp = self.viewport
        vp.apply_preset(key)
        self.view_panel.set_preset(key)
        self.view_panel.set_section(vp.section_um)
        self.view_panel.legend.sync(vp._class_visible, {"vessels": vp._vessels_on, "bone": vp.bone.visible})

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
        self.plots_panel.set_buffer(self.plots.buffer, world.units)
        self.plots.set_published(self._published_series())
        self.plots.set_x_span(self.model.scenario.days)
        self._chosen_events = {}
        self._clear_inspection()
        self.replay.clear()
        self.show_live()
        self.view_panel.set_replay_days([], follow=True)
        self.run_controls.set_seed(world.seed)

    def _published_series(self) -> list:
        """Published measurements for the loaded built-in scenario (analysis/published.py, when
        present; none once the scenario is edited: they belong to the original experiment)."""
        sid = self.model.builtin_id
        if not sid or self.model.dirty:
            return []
        try:
            from analysis.published import published_for_scenario
        except ImportError:
            return []
        try:
            return list(published_for_scenario(sid))
        except Exception:  # noqa: BLE001 - bad data must not stop the app
            log.exception("published data for %s could not be read", sid)
            return []

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
        if self._replaying is None:
            self.viewport.set_snapshot(frame.snapshot)
            self.view_panel.set_live_day(frame.day)
        self._show_day(frame.day)          # with every frame drawn (the rates below are updated less often)
        for panel in (self.treatments, self.perturbations, self.transplant):
            panel.set_now(frame.day)
        if self.parameters.started != self.controller.started:
            self.parameters.set_started(self.controller.started)
        if frame.schedule is not None and _schedule_key(frame.schedule) != self._schedule_key:
            self._show_schedule(frame.schedule)       # an event started, was given or ended
        if self.plots.markers_differ(frame.events):
            self._pending_events = frame.events
            self.pacer.want(PLOTS)       # markers change the plots: their own paint
        now = time.perf_counter()
        if self._inspect_id >= 0 and frame.running and now - self._last_inspect > INSPECT_INTERVAL_S:
            self._last_inspect = now
            self.controller.inspect(self._inspect_id)
        if now - self._last_status > STATUS_INTERVAL_S or not frame.running:
            self._last_status = now
            self.update_status(frame)

    def _render_plots(self) -> None:
        """Pacer job: redraw the curves (and the schedule markers, when they changed)."""
        if self._pending_events is not None:
            self.plots.set_events(self._pending_events)
            self._pending_events = None
        self.plots.flush(force=True)
        self.plots_panel.refresh()

    def resizeEvent(self, ev) -> None:
        """Side panels take a share of the width (more room for the plots on a large screen); refitted
        when the window's width changes a lot (maximised, restored), not on small drags."""
        super().resizeEvent(ev)
        w = self.width()
        fitted = getattr(self, "_docks_fitted_at", 0)
        if fitted and abs(w - fitted) < 0.15 * fitted:
            return
        self._docks_fitted_at = w
        left = max(LEFT_DOCK_MIN_WIDTH, min(460, int(0.25 * w)))
        right = max(RIGHT_DOCK_MIN_WIDTH, min(620, int(0.30 * w)))
        self.resizeDocks([self.dock_scenario, self.dock_plots], [left, right], Qt.Horizontal)

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
        self._show_day(frame.day)
        agents = frame.snapshot.counts.get("agents", len(frame.snapshot.kinds))
        self.status_agents.setText(count_text(int(agents), "cell", "cells"))
        if frame.running:
            self.status_steps.setText(f"engine {count_text(frame.steps_per_second, 'step/s', 'steps/s')}")
            self.status_fps.setText(count_text(self.viewport.frames_per_second(), "frame/s", "frames/s"))
        else:
            self.status_steps.setText("engine paused")
            self.status_fps.setText("view idle")

    def _show_day(self, day: float) -> None:
        """The simulated day in the run controls and the status bar."""
        self.run_controls.set_day(day, self.model.scenario.days)
        self.status_day.setText(f"day {day:.2f}")

    def _on_inspected(self, info: dict) -> None:
        """The engine's description of the inspected cell ({} when that cell no longer lives)."""
        if self._inspect_id < 0:
            return
        if not info:
            self._inspect_id = -1
            self.viewport.set_highlight(-1)
        if self.view_panel.card.isVisible() or info:
            self.view_panel.card.show_info(info)

    def _on_pick(self, agent_id: int) -> None:
        self._inspect_id = agent_id
        if agent_id >= 0:
            self.controller.inspect(agent_id)
        else:
            self._clear_inspection()

    def _clear_inspection(self) -> None:
        self._inspect_id = -1
        self.inspector.clear()
        self.view_panel.card.hide()
        self.viewport.set_highlight(-1)

    def _on_card_closed(self) -> None:
        self._inspect_id = -1
        self.viewport.set_highlight(-1)

    # ------------------------------------------------------------------ SDF-1 field
    def _on_field_mode(self, mode: str) -> None:
        vp = self.view_panel
        vp.show_field_controls(mode)
        self.field_action.blockSignals(True)
        self.field_action.setChecked(mode == "slice")
        self.field_action.blockSignals(False)
        self.controller.want_field(mode != "off")
        self.viewport.set_field_mode(mode)
        self._on_iso(vp.iso.value())

    def _on_field_range(self, lo: float, hi: float) -> None:
        self.view_panel.colorbar.set_range(lo, hi)
        self._on_iso(self.view_panel.iso.value())

    def _on_slice(self, z: int) -> None:
        self.view_panel.slice_label.setText(f"z = {z} \u00b5m")
        self.viewport.set_slice_z(float(z))

    def _on_iso(self, value: int) -> None:
        self.viewport.set_iso_fraction(value / 100.0)
        level = self.viewport.iso_level
        self.view_panel.iso_label.setText(f"{level:.3g} ng/mL" if level is not None else "")

    # ------------------------------------------------------------------ replay
    def _on_replay_frames(self, frames) -> None:
        for f in frames:
            self.replay.add(f)
        self.view_panel.set_replay_days(self.replay.days, follow=self._replaying is None)

    def _on_replay_moved(self, index: int) -> None:
        if index >= len(self.replay) - 1 and self._replaying is not None:
            self.show_live()
            return
        if index >= len(self.replay) or index >= len(self.replay) - 1 and self._replaying is None:
            return
        self.show_replay(index)

    def show_replay(self, index: int) -> None:
        """Show the stored frame ``index`` in the 3D view (and its day on the plots)."""
        if not len(self.replay):
            return
        index = max(0, min(int(index), len(self.replay) - 1))
        frame = self.replay.frame(index)
        self._replaying = index
        self.viewport.set_frame(frame)
        self.view_panel.set_replaying(frame.day)
        self.plots.set_cursor(frame.day)

    def show_live(self) -> None:
        """Leave replay: the view follows the simulation again."""
        if self._replaying is None:
            return
        self._replaying = None
        self.view_panel.set_replaying(None)
        self.plots.set_cursor(None)
        self.view_panel.set_replay_days(self.replay.days, follow=True)
        frame = self.controller.frame
        if frame is not None:
            self.viewport.set_snapshot(frame.snapshot)
            self.view_panel.set_live_day(frame.day)

    @property
    def replaying(self) -> bool:
        return self._replaying is not None

    # ------------------------------------------------------------------ model -> panels
    def _apply_parameter_now(self, name: str, value: float) -> None:
        def done(_state, error):
            if error is not None:
                self._error("Cannot change the parameter now", error[0])
            else:
                self.statusBar().showMessage(f"{name} = {value:g} from day {self.controller.day:.1f} on "
                                             "(recorded in the run's metadata)", 8000)
        self.controller.apply(SetParameter(name, value), done)

    def _on_loaded(self, scn) -> None:
        self.parameters.show_scenario(scn, started=False)
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
        """Panels show the document's events (before the run's schedule is known)."""
        for panel in (self.treatments, self.perturbations, self.transplant):
            panel.show_events(self.model)
        self._on_document_events()

    def _on_document_events(self) -> None:
        self._show_explanation()
        n = len(self.model.scenario.events)
        self.dock_schedule.setWindowTitle(f"Schedule ({n})" if n else "Schedule")

    def _show_schedule(self, state) -> None:
        """The panels and the schedule list show the run's schedule (ids and statuses)."""
        self._schedule_key = _schedule_key(state)
        if state is None:
            return
        for panel in (self.treatments, self.perturbations, self.transplant):
            panel.show_schedule(state.items, state.day, self._chosen_events)
        self.schedule_list.show_state(state)
        self._on_document_events()

    def _on_schedule_pick(self, kind: str, event_id: int) -> None:
        self._chosen_events[kind] = event_id
        if self.controller.schedule is not None:
            self._show_schedule(self.controller.schedule)

    def _on_edit_refused(self, req) -> None:
        if self.headless:
            print(f"nichelab: schedule edit refused: {req.message}", file=sys.stderr)
            self.controller.resolve(req, "cancel")
            return
        choice = schedule_questions.ask(self, req)
        runs = getattr(getattr(self, "research", None), "runs", None)
        if choice == "reset" and req.keep_current and runs is not None:
            runs.keep_current()          # asked before the reset: the engine answers it first
        self.controller.resolve(req, choice)

    def _show_explanation(self) -> None:
        m = self.model
        src = f"built-in: {m.builtin_id}" if m.builtin_id else (m.path.name if m.path else "")
        self.picker.show_scenario(m.scenario, src)

    def _update_title(self) -> None:
        """Window title and the toolbar's scenario label: name, unsaved mark, and a gear when
        parameters differ from their defaults."""
        m = self.model
        star = "*" if m.dirty else ""
        geno = GENOTYPES.get(m.scenario.genotype, m.scenario.genotype)
        changed = self.parameters.changed_names() if hasattr(self, "parameters") else []
        gear = f"  \u2699 {len(changed)} parameter{'s' if len(changed) != 1 else ''} changed" if changed else ""
        self.setWindowTitle(f"{m.scenario.name}{star}{gear} \u2014 {APP_NAME}")
        label = self.run_controls.scenario_label
        text = f"{m.scenario.name}{star}"
        fm = label.fontMetrics()
        text = fm.elidedText(text, Qt.ElideRight, 360)
        label.setText(f"<b>{html.escape(text)}</b>  \u00b7  {m.scenario.species}, {geno}"
                      + (f" <span style='color:#8a5a00'>{gear}</span>" if gear else "") + "  ")
        label.setToolTip(f"{m.scenario.name}{star}\n" + ("Parameters changed from the defaults: "
                                                         + ", ".join(f"{k} = {m.scenario.parameters[k]:g}"
                                                                     for k in changed) if changed else
                                                         "All parameters at their defaults."))

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

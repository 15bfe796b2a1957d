"""The 3D view: a vispy SceneCanvas embedded in Qt, with set_* methods.

Visuals are created once per world (tile) and updated with ``set_data``; the
vessel mesh is built once and only its colours change (when sinusoid integrity
changes). The viewport knows nothing about the engine thread: it is fed the tile's
geometry and ``ViewFrame`` objects (view_frame.py) by the main window, live or from
the replay store.

What makes a crowded tile readable:
* presets of what is shown (palette.VIEW_PRESETS: overview, focus on megakaryocytes, ...);
* large cells (megakaryocytes, host HSCs) as shaded spheres, small ones as flat glyphs whose
  shape names the class (star, triangle, diamond, cross), drawn at least MIN_GLYPH_UM wide;
* depth cueing: cells fade towards the background with their distance from the camera
  (recomputed when the camera moves), so near cells stand out of the pile;
* the SDF-1 field as a slice, an isosurface or a volume, with a colour range that follows the data.
"""
from __future__ import annotations

import logging
import os
import time

import numpy as np
from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

import vispy

vispy.use("pyside6")
from vispy import scene  # noqa: E402
from vispy.color import Colormap, get_colormap  # noqa: E402
from vispy.visuals.filters.clipping_planes import PlanesClipper  # noqa: E402
from vispy.visuals.transforms import STTransform  # noqa: E402

from . import palette as P  # noqa: E402

log = logging.getLogger("nichelab.gui")

TUBE_SIDES = 8
PLATELET_PX = 4.0
SCALE_BAR_UM = 100.0
BONE_DEPTH_UM = 30.0
FIELD_CMAP = "viridis"
#: depth cueing: the farthest cells keep this share of their colour (the rest is background)
DEPTH_CUE_FAR = 0.35
#: the SDF-1 field's drawing modes (labels for the view panel)
FIELD_MODES = {"off": "off", "slice": "slice", "isosurface": "isosurface", "volume": "volume"}


def volume_rendering_available() -> bool:
    """vispy's volume rendering needs 3D textures, which it reaches through PyOpenGL (optional)."""
    import importlib.util

    return importlib.util.find_spec("OpenGL") is not None
#: the thicknesses of section offered (µm; None: the whole tile)
SECTIONS = (None, 200.0, 120.0, 60.0)
#: an isosurface is rebuilt at most this often while the field changes (marching cubes on the CPU)
ISO_INTERVAL_S = 0.5


def tube_mesh(p0: np.ndarray, p1: np.ndarray, radius: np.ndarray, sides: int = TUBE_SIDES):
    """Vertices (nseg*2*sides, 3) and faces of open cylinders around segments."""
    p0 = np.asarray(p0, float)
    p1 = np.asarray(p1, float)
    r = np.asarray(radius, float)
    d = p1 - p0
    length = np.linalg.norm(d, axis=1, keepdims=True)
    d = d / np.maximum(length, 1e-9)
    # overlap neighbouring tubes a little so that joints look closed
    p0 = p0 - d * (0.5 * r[:, None])
    p1 = p1 + d * (0.5 * r[:, None])
    helper = np.where(np.abs(d[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    u = np.cross(d, helper)
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-9)
    w = np.cross(d, u)
    th = 2.0 * np.pi * np.arange(sides) / sides
    ring = np.cos(th)[None, :, None] * u[:, None, :] + np.sin(th)[None, :, None] * w[:, None, :]
    ring *= r[:, None, None]
    verts = np.concatenate([p0[:, None, :] + ring, p1[:, None, :] + ring], axis=1).reshape(-1, 3)
    k = np.arange(sides)
    k1 = (k + 1) % sides
    base = np.concatenate([np.stack([k, k1, sides + k], 1), np.stack([k1, sides + k1, sides + k], 1)])
    offs = (np.arange(len(r)) * 2 * sides)[:, None, None]
    faces = (base[None, :, :] + offs).reshape(-1, 3)
    return verts.astype(np.float32), faces.astype(np.uint32)


def bone_slab(sx: float, sy: float, depth: float):
    """A box under the tile (z from -depth to 0): top ivory, sides darker."""
    z0, z1 = -depth, -0.5
    c = np.array([[x, y, z] for z in (z0, z1) for y in (0, sy) for x in (0, sx)], np.float32)
    # corners: 0..3 bottom (x0y0, x1y0, x0y1, x1y1), 4..7 top
    quads = [(4, 5, 7, 6), (0, 1, 5, 4), (2, 3, 7, 6), (0, 2, 6, 4), (1, 3, 7, 5), (0, 1, 3, 2)]
    shades = [1.0, 0.8, 0.8, 0.7, 0.7, 0.6]
    faces, colours = [], []
    top = np.array(P.hex_to_rgba(P.BONE), np.float32)
    for (a, b, cc, d), k in zip(quads, shades):
        faces += [(a, b, cc), (a, cc, d)]
        col = top.copy()
        col[:3] *= k
        colours += [col, col]
    return c, np.array(faces, np.uint32), np.array(colours, np.float32)


_SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software rasterizer", "swiftshader", "gdi generic",
                       "microsoft basic render")
_renderer: str | None = None


def gl_renderer() -> str:
    """The OpenGL renderer string of this display (probed once with an offscreen context; "" if none)."""
    global _renderer
    if _renderer is None:
        _renderer = ""
        try:
            from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext

            if QGuiApplication.instance() is None:
                return ""

            ctx = QOpenGLContext()
            if ctx.create():
                surf = QOffscreenSurface()
                surf.setFormat(ctx.format())
                surf.create()
                if ctx.makeCurrent(surf):
                    GL_RENDERER = 0x1F01
                    _renderer = str(ctx.functions().glGetString(GL_RENDERER) or "")
                    ctx.doneCurrent()
                surf.destroy()
        except Exception as exc:  # noqa: BLE001 - a probe only
            log.debug("OpenGL renderer probe failed: %s", exc)
    return _renderer


def software_gl() -> bool:
    """True when OpenGL is rendered by the CPU (Mesa llvmpipe, Xvfb, remote desktops, VMs)."""
    r = gl_renderer().lower()
    return any(k in r for k in _SOFTWARE_RENDERERS)


def own_native_window() -> bool:
    """Whether the 3D view gets a native window of its own (NICHELAB_NATIVE_VIEW=0/1 overrides).

    A window that holds an OpenGL widget is composed with OpenGL on every repaint, whatever
    changed: under software OpenGL that costs ~15 ms of the GUI thread for a status label or a plot
    update (the whole window, 1600 x 1000 pixels, is blended and copied again). With the 3D view in
    a native child window only that child is composed with OpenGL; the rest of the window is
    flushed as a plain raster image (< 1 ms for a label). On a GPU the composition is cheap, so
    the default layout is kept there.
    """
    env = os.environ.get("NICHELAB_NATIVE_VIEW", "").strip()
    if env in ("0", "1"):
        return env == "1"
    return software_gl()


class _Signals(QObject):
    cell_picked = Signal(int)              # stable agent id, -1 when the click hit nothing
    field_range_changed = Signal(float, float)
    view_moved = Signal()                  # the camera moved or the canvas was resized


def nice_range(lo: float, hi: float) -> tuple[float, float]:
    """A readable colour range around [lo, hi]: ends on 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k."""
    hi = max(hi, lo + 1e-6)
    span = hi - lo
    top = _nice_ceiling(hi)
    bottom = 0.0
    if lo > 0.25 * hi:                     # far from zero: start near the data, not at 0
        step = _nice_ceiling(span) / 10.0
        bottom = float(np.floor(lo / step) * step)
        top = float(np.ceil(hi / step) * step)
    return bottom, max(top, bottom + 1e-6)


def depth_factor(pos: np.ndarray, eye: np.ndarray, near: float, far: float) -> np.ndarray:
    """1 for the nearest cells, DEPTH_CUE_FAR for the farthest (linear in distance from ``eye``)."""
    d = np.linalg.norm(pos - eye[None, :], axis=1)
    t = np.clip((d - near) / max(far - near, 1e-6), 0.0, 1.0)
    return (1.0 - (1.0 - DEPTH_CUE_FAR) * t).astype(np.float32)


class _Camera(scene.TurntableCamera):
    """A turntable camera that tells its owner when the view changed (to recolour for depth cueing)."""

    def __init__(self, on_change=None, **kw):
        self._on_change = None
        super().__init__(**kw)
        self._on_change = on_change

    def view_changed(self):
        super().view_changed()
        if self._on_change is not None:
            self._on_change()


class Viewport(QWidget):
    """Canvas wrapper: owns the SceneCanvas and every visual."""

    def __init__(self, parent=None):
        super().__init__(parent)
        #: the view has a native window of its own (see own_native_window and use_native_window)
        self.native_window = False
        self.signals = _Signals()
        self.cell_picked = self.signals.cell_picked
        self.field_range_changed = self.signals.field_range_changed
        self.view_moved = self.signals.view_moved
        self.canvas = scene.SceneCanvas(keys=None, bgcolor=P.VIEW_BACKGROUND, show=False, size=(800, 600))
        self.canvas.native.setMinimumSize(240, 180)
        self.canvas.native.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.canvas.native)
        self.view = self.canvas.central_widget.add_view()
        # depth_value is the far/near ratio: the default 1e6 leaves too little depth precision (banding)
        self._depth_parts: list = []          # (visual, positions, rgba, kwargs) drawn with depth cueing
        self._cue_key = None
        self.view.camera = _Camera(self._on_camera_change, fov=30.0, elevation=24.0, azimuth=-35.0)
        self.view.camera.depth_value = 2000.0
        s = self.view.scene
        # opaque cells first (they write depth), then translucent things that only test it
        self.cells = scene.visuals.Markers(parent=s, scaling="scene", spherical=True, antialias=1.0)
        self.cells.order = 1
        self.glyphs = scene.visuals.Markers(parent=s, scaling="scene", antialias=1.0)
        self.glyphs.order = 1
        self.stroma = scene.visuals.Markers(parent=s, scaling="scene")
        self.stroma.order = 2
        self.stroma.set_gl_state("translucent", depth_test=True, depth_mask=False)
        self.bone = scene.visuals.Mesh(parent=s, color=P.BONE)
        self.bone.order = 0
        self.bone_grid = scene.visuals.Line(parent=s, color=(0.55, 0.5, 0.4, 0.55), connect="segments")
        self.bone_grid.order = 0
        self.outline = scene.visuals.Line(parent=s, color=P.TILE_OUTLINE, connect="segments", width=1.0)
        self.outline.order = 0
        self.vessels = scene.visuals.Mesh(parent=s, shading="smooth")
        self.vessels.order = 4
        # closed-looking tubes: drawing only their outer (front) faces halves the blended fill
        self.vessels.set_gl_state("translucent", depth_test=True, depth_mask=False, cull_face="back")
        self.platelets = scene.visuals.Markers(parent=s, scaling="fixed", antialias=1.0)
        self.platelets.order = 5
        # visuals drawn after the translucent ones turn depth writes back on: glClear of the depth
        # buffer obeys the depth mask, so a frame must never end with it off
        self.platelets.set_gl_state("translucent", depth_test=True, depth_mask=True)
        self.highlight = scene.visuals.Markers(parent=s, scaling="scene")
        self.highlight.order = 6
        self.highlight.set_gl_state("translucent", depth_test=False, depth_mask=True)
        self.scale_bar = scene.visuals.Line(parent=s, color="white", width=3.0)
        self.scale_bar.order = 7
        self.scale_bar.set_gl_state("translucent", depth_test=True, depth_mask=True)
        self.scale_text = scene.visuals.Text("", parent=s, color=P.TEXT_ON_VIEW, font_size=10,
                                             anchor_x="left", anchor_y="center", bold=True)
        self.scale_text.order = 8
        self.scale_text.update_gl_state(depth_mask=True, cull_face=False)
        self.bone_text = scene.visuals.Text("", parent=s, color=(0.25, 0.22, 0.15, 1.0), font_size=9,
                                            anchor_x="center", anchor_y="center", bold=True)
        self.bone_text.order = 8
        self.bone_text.update_gl_state(depth_mask=True, cull_face=False)
        self.field_image: scene.visuals.Mesh | None = None   # SDF-1 slice
        self.field_iso: scene.visuals.Isosurface | None = None
        self.field_volume: scene.visuals.Volume | None = None
        self._field_mesh_shape = None
        cmap = get_colormap(FIELD_CMAP)
        rgba = cmap.map(np.linspace(0.0, 1.0, 64))
        rgba[:, 3] = 0.88
        self.field_cmap = Colormap(rgba)
        for vis in (self.cells, self.glyphs, self.stroma, self.platelets, self.highlight, self.vessels,
                    self.scale_bar, self.scale_text, self.bone_text, self.bone_grid):
            vis.visible = False
        # a section through the tile's centre, facing the camera: two clipping planes shared by the
        # cells, vessels and field (the bone and the tile outline stay whole, for orientation)
        self.section_um: float | None = P.VIEW_PRESETS[0].section_um
        self.clipper = PlanesClipper()
        for vis in (self.cells, self.glyphs, self.stroma, self.platelets, self.vessels):
            vis.attach(self.clipper)
        # state
        self._size = np.array([800.0, 800.0, 300.0])
        self._class_visible = P.DEFAULT_SHOWN.copy()
        self._frame = None
        self._pick_pos = np.zeros((0, 3), np.float32)
        self._pick_ids = np.zeros(0, np.int64)
        self._pick_radius = np.zeros(0, np.float32)
        self._highlight_id = -1
        self._vessels_on = True
        self._integrity_shown: np.ndarray | None = None
        self._verts_per_seg = 2 * TUBE_SIDES
        self.depth_cue = True
        self._field_mode = "off"
        self._field = None
        self._field_voxel = 10.0
        self._slice_z = 30.0
        self._iso_fraction = 0.6
        self._last_iso = 0.0
        self._clim: tuple[float, float] | None = None
        self._press = None
        self._draw_times: list[float] = []
        self._draws = 0
        self.preset = P.VIEW_PRESETS[0]
        self.canvas.events.mouse_press.connect(self._on_mouse_press)
        self.canvas.events.mouse_release.connect(self._on_mouse_release)
        self.canvas.events.draw.connect(self._on_draw_start, position="first")
        self.canvas.events.draw.connect(self._on_draw, position="first")
        self._draw_start = None
        #: seconds the last frame kept the GUI thread busy (draw + Qt composition); for frame pacing
        self.last_paint_s = 0.0

    def use_native_window(self, enabled: bool | None = None) -> bool:
        """Give the view a native window of its own (default: own_native_window()); call it once the
        view sits in its parent's layout and before the window is shown. Returns whether it has one."""
        if enabled is None:
            enabled = own_native_window()
        if enabled and not self.native_window:
            from PySide6.QtWidgets import QApplication

            # only this widget (and its ancestors) become native, not every sibling of them
            QApplication.setAttribute(Qt.AA_DontCreateNativeWidgetSiblings, True)
            self.setAttribute(Qt.WA_NativeWindow, True)
            self.native_window = True
        return self.native_window

    # ------------------------------------------------------------------ world
    def set_world(self, size, vessel_p0, vessel_p1, vessel_radius) -> None:
        """Build the static scene of a tile: bone, outline, sinusoid tubes, scale bar."""
        size = np.asarray(size, float)
        self._size = size
        sx, sy, sz = size
        v, f, fc = bone_slab(sx, sy, BONE_DEPTH_UM)
        self.bone.set_data(vertices=v, faces=f, face_colors=fc)
        grid = []
        step = 100.0
        for x in np.arange(step, sx, step):
            grid += [[x, 0, 0.2], [x, sy, 0.2]]
        for y in np.arange(step, sy, step):
            grid += [[0, y, 0.2], [sx, y, 0.2]]
        if grid:
            self.bone_grid.set_data(pos=np.array(grid, np.float32))
            self.bone_grid.visible = self.bone.visible
        c = np.array([[x, y, z] for x in (0, sx) for y in (0, sy) for z in (0, sz)], np.float32)
        edges = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7)]
        self.outline.set_data(pos=np.array([c[i] for e in edges for i in e], np.float32))
        v, f = tube_mesh(vessel_p0, vessel_p1, vessel_radius)
        self._nseg = len(vessel_radius)
        self._integrity_shown = np.ones(self._nseg, np.float32)
        self.vessels.set_data(vertices=v, faces=f, vertex_colors=self._vessel_colours(self._integrity_shown))
        self.vessels.visible = self._vessels_on
        x0, y0 = 0.04 * sx, -0.04 * sy
        self.scale_bar.set_data(pos=np.array([[x0, y0, 0], [x0 + SCALE_BAR_UM, y0, 0]], np.float32))
        self.scale_text.text = f"{SCALE_BAR_UM:g} \u00b5m"
        self.scale_text.pos = (x0 + SCALE_BAR_UM + 4.0, y0, 0.0)
        self.bone_text.text = "bone"
        self.bone_text.pos = (0.5 * sx, 0.0, -0.5 * BONE_DEPTH_UM)
        self.scale_bar.visible = self.scale_text.visible = True
        self.bone_text.visible = self.bone.visible
        self._clim = None
        self._highlight_id = -1
        self.highlight.visible = False
        for vis in (self.field_image, self.field_iso, self.field_volume):
            if vis is not None:
                vis.visible = False
        self.reset_camera()

    def _vessel_colours(self, integrity: np.ndarray) -> np.ndarray:
        good = np.array(P.hex_to_rgba(P.VESSEL), np.float32)
        bad = np.array(P.hex_to_rgba(P.VESSEL_DISRUPTED), np.float32)
        i = np.clip(integrity, 0.0, 1.0)[:, None].astype(np.float32)
        col = bad[None, :] * (1 - i) + good[None, :] * i
        col[:, 3] = P.VESSEL_DISRUPTED_ALPHA + (P.VESSEL_ALPHA - P.VESSEL_DISRUPTED_ALPHA) * i[:, 0]
        return np.repeat(col, self._verts_per_seg, axis=0)

    def set_vessel_state(self, integrity: np.ndarray) -> None:
        """Recolour sinusoids (vermillion = intact, pale grey and fainter = disrupted) when integrity changed."""
        if self._integrity_shown is None or len(integrity) != len(self._integrity_shown):
            return
        integrity = np.asarray(integrity, np.float32)
        if np.max(np.abs(integrity - self._integrity_shown)) < 0.02:
            return
        self._integrity_shown = integrity.copy()
        md = self.vessels.mesh_data
        md.set_vertex_colors(self._vessel_colours(integrity))
        self.vessels.mesh_data_changed()

    # ------------------------------------------------------------------ camera
    def reset_camera(self, zoom: float | None = None) -> None:
        """The overview (``zoom`` < 1 comes closer; default: the preset's zoom)."""
        sx, sy, sz = self._size
        cam = self.view.camera
        cam.center = (0.5 * sx, 0.5 * sy, 0.25 * sz)
        cam.elevation = 24.0
        cam.azimuth = -35.0
        w, h = self.canvas.size
        portrait = max(1.0, h / max(w, 1))      # the camera fits the height; widen for tall canvases
        zoom = self.preset.zoom if zoom is None else float(zoom)
        cam.scale_factor = 0.9 * float(np.hypot(sx, sy)) * portrait * zoom
        cam.distance = None
        self._refresh_depth_cue()
        self.canvas.update()

    def apply_preset(self, key: str) -> None:
        """Show the classes (and layers) of a view preset and move the camera to its zoom."""
        preset = P.VIEW_PRESETS[P.PRESET_INDEX[key]]
        self.preset = preset
        for i, c in enumerate(P.CELL_CLASSES):
            self._class_visible[i] = c.key in preset.classes
        self.set_layer_visible("vessels", preset.vessels)
        self.set_layer_visible("bone", preset.bone)
        self.section_um = preset.section_um
        self.reset_camera()
        if self._frame is not None:
            self.set_frame(self._frame)

    def set_section(self, thickness_um: float | None) -> None:
        """Show only a section of this thickness through the tile's centre, facing the camera (None:
        the whole tile)."""
        self.section_um = None if not thickness_um else float(thickness_um)
        self._update_section()
        self._cue_key = None
        self._refresh_depth_cue()
        self.canvas.update()

    def _update_section(self) -> None:
        if not hasattr(self, "clipper"):
            return
        if self.section_um is None:
            self.clipper.clipping_planes = np.empty((0, 2, 3), np.float32)
            return
        centre = 0.5 * self._size
        try:
            d = centre - self.camera_position()
        except Exception:  # noqa: BLE001 - a degenerate camera: no section
            return
        n = d / max(float(np.linalg.norm(d)), 1e-9)
        half = 0.5 * self.section_um
        self.clipper.clipping_planes = np.array([[centre - n * half, n], [centre + n * half, -n]], np.float32)

    def set_depth_cue(self, on: bool) -> None:
        self.depth_cue = bool(on)
        self._cue_key = None
        self._refresh_depth_cue()

    def camera_position(self) -> np.ndarray:
        """Camera position in scene coordinates (µm)."""
        m = self.view.camera.transform.map([0.0, 0.0, 0.0, 1.0])
        return np.asarray(m[:3], float) / float(m[3])

    def _on_camera_change(self) -> None:
        self._refresh_depth_cue()
        self.signals.view_moved.emit()

    def scale_bar_rect(self) -> QRect | None:
        """Where the scale bar and its label ("100 µm") are on screen: their bounding rectangle in this
        widget's pixels, a few pixels of margin included (None while there is no scale bar). Overlays
        in the view keep clear of it."""
        if not getattr(self.scale_text, "visible", False) or not self.scale_text.text:
            return None
        try:
            tr = self.scale_text.get_transform("visual", "canvas")
            bar = np.asarray(self.scale_bar.pos, float)
            pts = [np.asarray(tr.map(np.r_[p[:3], 1.0]), float) for p in
                   (bar[0], bar[-1], np.asarray(self.scale_text.pos, float).reshape(-1, 3)[0])]
        except Exception:  # noqa: BLE001 - no transform yet (not drawn)
            return None
        xy = [(p[0] / p[3], p[1] / p[3]) for p in pts if p[3] > 0]
        if len(xy) < 3 or not np.all(np.isfinite(xy)):
            return None
        # the label: left-anchored at its position, centred vertically (vispy's text sizes are points at
        # the canvas's dpi)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(1, round(float(self.scale_text.font_size) * float(self.canvas.dpi) / 72.0)))
        fm = QFontMetrics(font)
        tx, ty = xy[2]
        tw, th = fm.horizontalAdvance(self.scale_text.text), fm.height()
        x0 = min(xy[0][0], xy[1][0], tx)
        x1 = max(xy[0][0], xy[1][0], tx + tw)
        y0 = min(xy[0][1], xy[1][1], ty - th / 2)
        y1 = max(xy[0][1], xy[1][1], ty + th / 2)
        pad = 4
        return QRect(int(np.floor(x0)) - pad, int(np.floor(y0)) - pad, int(np.ceil(x1 - x0)) + 2 * pad,
                     int(np.ceil(y1 - y0)) + 2 * pad)

    def _refresh_depth_cue(self) -> None:
        """Recolour the depth-cued visuals when the camera moved (or the data changed)."""
        if not hasattr(self, "cells"):
            return                            # (the camera is set up before the visuals)
        cam = self.view.camera
        key = (round(float(cam.azimuth), 2), round(float(cam.elevation), 2),
               tuple(np.round(np.asarray(cam.center, float), 1)), round(float(cam.scale_factor), 1),
               self.depth_cue, id(self._frame))
        if key == self._cue_key:
            return
        self._cue_key = key
        self._update_section()
        if not self._depth_parts:
            return
        eye = None
        if self.depth_cue:
            try:
                eye = self.camera_position()
                if not np.all(np.isfinite(eye)):
                    eye = None
            except Exception:  # noqa: BLE001 - a degenerate transform: draw without cueing
                eye = None
        if eye is not None:
            corners = np.array([[x, y, z] for x in (0, self._size[0]) for y in (0, self._size[1])
                                for z in (0, self._size[2])], float)
            dist = np.linalg.norm(corners - eye[None, :], axis=1)
            near, far = float(dist.min()), float(dist.max())
            if self.section_um is not None:            # fade across the section, not the tile
                mid = float(np.linalg.norm(0.5 * self._size - eye))
                near, far = mid - 0.5 * self.section_um, mid + 0.5 * self.section_um
        bg = np.array(P.hex_to_rgba(P.VIEW_BACKGROUND), np.float32)
        for vis, pos, face, kw in self._depth_parts:
            if eye is not None and len(pos):
                k = depth_factor(pos, eye, near, far)[:, None]
                shaded = face.copy()
                shaded[:, :3] = face[:, :3] * k + bg[None, :3] * (1 - k)
                vis.set_data(pos=pos, face_color=shaded, **kw)
            else:
                vis.set_data(pos=pos, face_color=face, **kw)

    # ------------------------------------------------------------------ cells
    def set_class_visible(self, index: int, visible: bool) -> None:
        self._class_visible[index] = bool(visible)
        if self._frame is not None:
            self.set_frame(self._frame)

    def set_layer_visible(self, name: str, visible: bool) -> None:
        """Show/hide a static layer: 'vessels' or 'bone'."""
        if name == "vessels":
            self._vessels_on = bool(visible)
            self.vessels.visible = self._vessels_on and self._integrity_shown is not None
        elif name == "bone":
            self.bone.visible = self.bone_grid.visible = self.bone_text.visible = bool(visible)
        self.canvas.update()

    def class_visible(self, index: int) -> bool:
        return bool(self._class_visible[index])

    def set_snapshot(self, snap) -> None:
        """Show an engine Snapshot (live)."""
        from .view_frame import live_frame

        self.set_frame(live_frame(snap))

    def set_frame(self, frame) -> None:
        """Update cells, stroma and platelets from a ViewFrame (live or replayed)."""
        self._frame = frame
        cls = frame.classes.astype(np.intp)
        show = self._class_visible[cls]
        plt_i = P.CLASS_INDEX["platelet"]
        str_i = P.CLASS_INDEX["stroma"]
        is_plt = cls == plt_i
        is_str = cls == str_i
        pos = frame.positions
        radius = np.asarray(frame.radius, np.float32)
        parts = []
        sph = P.SPHERICAL[cls] & ~is_plt & show
        if sph.any():
            c = cls[sph]
            parts.append((self.cells, pos[sph], P.FACE_RGBA[c],
                          dict(size=2.0 * radius[sph], edge_color=P.EDGE_RGBA[c], edge_width=P.EDGE_WIDTH_UM[c],
                               symbol="disc")))
        self.cells.visible = bool(sph.any())
        gly = ~P.SPHERICAL[cls] & ~is_plt & ~is_str & show
        if gly.any():
            c = cls[gly]
            parts.append((self.glyphs, pos[gly], P.FACE_RGBA[c],
                          dict(size=np.maximum(2.0 * radius[gly], P.MIN_GLYPH_UM), edge_color=P.EDGE_RGBA[c],
                               edge_width=P.EDGE_WIDTH_UM[c], symbol=P.SYMBOLS[c])))
        self.glyphs.visible = bool(gly.any())
        sm = is_str & show
        if sm.any():
            parts.append((self.stroma, pos[sm], np.repeat(P.FACE_RGBA[str_i][None, :], int(sm.sum()), 0),
                          dict(size=np.maximum(2.0 * radius[sm], P.MIN_GLYPH_UM), edge_width=0.0,
                               symbol=P.SYMBOLS[str_i])))
        self.stroma.visible = bool(sm.any())
        pm = is_plt & show
        if pm.any():
            self.platelets.set_data(pos=pos[pm], size=PLATELET_PX, face_color=P.FACE_RGBA[plt_i], edge_width=0.0)
        self.platelets.visible = bool(pm.any())
        self._depth_parts = parts
        self._cue_key = None
        self._refresh_depth_cue()
        pickable = (~is_plt) & show
        if frame.ids is not None:
            ids = frame.ids[pickable]
            pickable_ok = ids >= 0
            self._pick_pos = pos[pickable][pickable_ok]
            self._pick_ids = ids[pickable_ok]
            self._pick_radius = radius[pickable][pickable_ok]
        else:                               # a replayed frame: nothing to click
            self._pick_pos = np.zeros((0, 3), np.float32)
            self._pick_ids = np.zeros(0, np.int64)
            self._pick_radius = np.zeros(0, np.float32)
        self._update_highlight()
        if frame.vessel_integrity is not None:
            self.set_vessel_state(np.asarray(frame.vessel_integrity, np.float32))
        if frame.field is not None:
            self.set_field(frame.field, frame.field_voxel_um)
        self.canvas.update()

    @property
    def _pick_slots(self) -> np.ndarray:
        """(older name of the clickable cells' ids)"""
        return self._pick_ids

    # ------------------------------------------------------------------ picking
    def set_highlight(self, agent_id: int) -> None:
        self._highlight_id = int(agent_id)
        self._update_highlight()

    def _update_highlight(self) -> None:
        hit = np.flatnonzero(self._pick_ids == self._highlight_id) if self._highlight_id >= 0 else []
        if len(hit):
            i = hit[0]
            self.highlight.set_data(pos=self._pick_pos[i:i + 1], size=2.0 * self._pick_radius[i] + 12.0,
                                    face_color=(0, 0, 0, 0), edge_color=(1, 1, 1, 1), edge_width=2.5,
                                    symbol="ring")
            self.highlight.visible = True
        else:
            self.highlight.visible = False
        self.canvas.update()

    def highlighted_visible(self) -> bool:
        return bool(self.highlight.visible)

    def pick(self, x: float, y: float, tolerance_px: float = 9.0) -> int:
        """Stable id of the cell drawn nearest to canvas point (x, y), or -1."""
        if len(self._pick_pos) == 0:
            return -1
        tr = self.cells.get_transform("visual", "canvas")
        m = tr.map(self._pick_pos)
        w = m[:, 3:4]
        ok = (w[:, 0] > 0)
        xy = m[:, :2] / np.where(w == 0, 1, w)
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        d[~ok] = np.inf
        i = int(np.argmin(d))
        return int(self._pick_ids[i]) if d[i] <= tolerance_px else -1

    def _on_mouse_press(self, event) -> None:
        if event.button == 1:
            self._press = (np.array(event.pos[:2], float), time.perf_counter())

    def _on_mouse_release(self, event) -> None:
        if event.button != 1 or self._press is None:
            return
        start, t0 = self._press
        self._press = None
        if np.hypot(*(np.array(event.pos[:2], float) - start)) <= 4.0 and time.perf_counter() - t0 < 0.6:
            agent = self.pick(*event.pos[:2])
            self.set_highlight(agent)
            self.cell_picked.emit(agent)

    # ------------------------------------------------------------------ SDF-1 field
    @property
    def field_mode(self) -> str:
        return self._field_mode

    def set_field_mode(self, mode: str) -> None:
        """'off', 'slice', 'isosurface' or 'volume'."""
        if mode not in FIELD_MODES:
            raise ValueError(f"unknown field mode {mode!r}")
        if mode == "volume" and not volume_rendering_available():
            mode = "isosurface"
        self._field_mode = mode
        self._last_iso = 0.0
        self._show_field()

    def set_field_visible(self, visible: bool) -> None:
        """(the slice on or off; kept for older callers)"""
        self.set_field_mode("slice" if visible else "off")

    def set_slice_z(self, z_um: float) -> None:
        self._slice_z = float(z_um)
        if self._field is not None and self._field_mode == "slice":
            self._update_slice()

    def set_iso_fraction(self, fraction: float) -> None:
        """Isosurface level as a fraction of the colour range (0..1)."""
        self._iso_fraction = float(np.clip(fraction, 0.02, 0.98))
        self._last_iso = 0.0
        if self._field is not None and self._field_mode == "isosurface":
            self._update_iso(force=True)

    @property
    def iso_level(self) -> float | None:
        if self._clim is None:
            return None
        lo, hi = self._clim
        return lo + self._iso_fraction * (hi - lo)

    @property
    def slice_z(self) -> float:
        return self._slice_z

    def set_field(self, field: np.ndarray, voxel_um: float) -> None:
        self._field = field
        self._field_voxel = float(voxel_um)
        if self._field_mode != "off":
            self._update_range()
            self._show_field()

    def _update_range(self) -> None:
        """Automatic colour range: the 1st to 99.5th percentile of the field, on readable numbers; it
        follows the data when they leave the range or shrink to less than half of it."""
        f = self._field
        lo, hi = float(np.percentile(f, 1)), float(np.percentile(f, 99.5))
        cur = self._clim
        if cur is None or lo < cur[0] - 0.05 * (cur[1] - cur[0]) or hi > cur[1] or \
                (hi - lo) < 0.5 * (cur[1] - cur[0]):
            self._clim = nice_range(lo, hi)
            self.field_range_changed.emit(*self._clim)

    def _show_field(self) -> None:
        mode = self._field_mode
        for vis, m in ((self.field_image, "slice"), (self.field_iso, "isosurface"), (self.field_volume, "volume")):
            if vis is not None and (mode != m or self._field is None):
                vis.visible = False
        if self._field is not None:
            if self._clim is None:
                self._update_range()
            if mode == "slice":
                self._update_slice()
            elif mode == "isosurface":
                self._update_iso()
            elif mode == "volume":
                self._update_volume()
        self.canvas.update()

    def _update_slice(self) -> None:
        """Colour a grid mesh (one vertex per voxel centre) with the field at the slice height."""
        f = self._field
        h = self._field_voxel
        k = int(np.clip(self._slice_z / h, 0, f.shape[2] - 1))
        data = np.asarray(f[:, :, k], np.float32)
        lo, hi = self._clim
        colours = self.field_cmap.map(np.clip((data.ravel() - lo) / (hi - lo), 0.0, 1.0)).astype(np.float32)
        z = (k + 0.5) * h
        if self.field_image is None or self._field_mesh_shape != data.shape:
            nx, ny = data.shape
            xs = (np.arange(nx) + 0.5) * h
            ys = (np.arange(ny) + 0.5) * h
            gx, gy = np.meshgrid(xs, ys, indexing="ij")
            verts = np.column_stack([gx.ravel(), gy.ravel(), np.zeros(nx * ny)]).astype(np.float32)
            idx = np.arange(nx * ny).reshape(nx, ny)
            a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
            faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)]).astype(np.uint32)
            if self.field_image is None:
                self.field_image = scene.visuals.Mesh(parent=self.view.scene, shading=None)
                self.field_image.order = 3
                self.field_image.set_gl_state("translucent", depth_test=True, depth_mask=False, cull_face=False)
            self.field_image.set_data(vertices=verts, faces=faces, vertex_colors=colours)
            self._field_mesh_shape = data.shape
        else:
            md = self.field_image.mesh_data
            md.set_vertex_colors(colours)
            self.field_image.mesh_data_changed()
        self.field_image.transform = STTransform(translate=(0.0, 0.0, z))
        self.field_image.visible = True
        self.canvas.update()

    def _update_iso(self, force: bool = False) -> None:
        """The surface where SDF-1 equals the chosen level (rebuilt at most every ISO_INTERVAL_S)."""
        now = time.perf_counter()
        if not force and now - self._last_iso < ISO_INTERVAL_S and self.field_iso is not None:
            self.field_iso.visible = True
            return
        self._last_iso = now
        level = self.iso_level
        lo, hi = self._clim
        frac = (level - lo) / max(hi - lo, 1e-9)
        rgba = list(self.field_cmap.map(np.array([frac]))[0])
        rgba[3] = 0.45
        h = self._field_voxel
        data = np.asarray(self._field, np.float32)
        if self.field_iso is None:
            self.field_iso = scene.visuals.Isosurface(parent=self.view.scene, shading="smooth")
            self.field_iso.order = 3
            self.field_iso.set_gl_state("translucent", depth_test=True, depth_mask=False, cull_face=False)
        # vispy's marching cubes reads (z, y, x) ordered data: give it the field transposed
        self.field_iso.set_data(np.ascontiguousarray(data.transpose(2, 1, 0)))
        self.field_iso.level = float(level)
        self.field_iso.color = tuple(float(c) for c in rgba)
        self.field_iso.transform = STTransform(scale=(h, h, h), translate=(0.5 * h, 0.5 * h, 0.5 * h))
        self.field_iso.visible = True

    def _update_volume(self) -> None:
        """Translucent volume rendering of the field (colour and opacity rise with concentration)."""
        h = self._field_voxel
        data = np.ascontiguousarray(np.asarray(self._field, np.float32).transpose(2, 1, 0))
        lo, hi = self._clim
        if self.field_volume is None:
            cm = get_colormap(FIELD_CMAP).map(np.linspace(0, 1, 64))
            cm[:, 3] = np.linspace(0.0, 0.6, 64) ** 1.5
            self.field_volume = scene.visuals.Volume(data, parent=self.view.scene, clim=(lo, hi),
                                                     method="translucent", cmap=Colormap(cm),
                                                     relative_step_size=1.5)
            self.field_volume.order = 3
            self.field_volume.set_gl_state("translucent", depth_test=True, depth_mask=False, cull_face=False)
        else:
            self.field_volume.set_data(data, clim=(lo, hi))
        self.field_volume.transform = STTransform(scale=(h, h, h), translate=(0.5 * h, 0.5 * h, 0.5 * h))
        self.field_volume.visible = True

    @property
    def field_clim(self) -> tuple[float, float] | None:
        return self._clim

    # ------------------------------------------------------------------ drawing
    def request_draw(self) -> None:
        self.canvas.update()

    def _on_draw_start(self, _event) -> None:
        self._draw_start = time.perf_counter()

    def _after_paint(self) -> None:
        if self._draw_start is not None:
            self.last_paint_s = time.perf_counter() - self._draw_start
            self._draw_start = None

    def _on_draw(self, _event) -> None:
        # vispy calls this before the scene draws (callbacks connect 'first'); the 0-ms timer fires
        # once Qt has finished the whole paint (draw, swap, composition): last_paint_s covers it all
        QTimer.singleShot(0, self._after_paint)
        now = time.perf_counter()
        self._draws += 1
        self._draw_times.append(now)
        if len(self._draw_times) > 240:
            del self._draw_times[:120]

    def frames_per_second(self, window_s: float = 2.0) -> float:
        """Canvas draws per second over the last ``window_s`` seconds."""
        now = time.perf_counter()
        t = [x for x in self._draw_times if now - x <= window_s]
        if len(t) < 2:
            return 0.0
        return (len(t) - 1) / (t[-1] - t[0]) if t[-1] > t[0] else 0.0

    @property
    def draw_count(self) -> int:
        return self._draws

    def render_image(self, size: tuple[int, int] | None = None) -> np.ndarray:
        """RGBA uint8 image of the 3D view alone (offscreen render, no widgets; ``size`` (w, h) or the
        canvas size)."""
        return self.canvas.render(alpha=False, size=size)

    def close_canvas(self) -> None:
        try:
            self.canvas.events.mouse_press.disconnect(self._on_mouse_press)
            self.canvas.events.mouse_release.disconnect(self._on_mouse_release)
            self.canvas.events.draw.disconnect(self._on_draw)
            self.canvas.events.draw.disconnect(self._on_draw_start)
        except Exception:  # noqa: BLE001 - already gone
            pass
        self.canvas.close()


def _nice_ceiling(x: float) -> float:
    """1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above x."""
    if x <= 0:
        return 1.0
    e = 10.0 ** np.floor(np.log10(x))
    for m in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * e >= x - 1e-12:
            return float(m * e)
    return float(10.0 * e)

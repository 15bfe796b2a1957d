"""Legend (clickable swatches that show/hide a cell class) and the SDF-1 colour bar."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen, QPolygonF
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QAbstractButton, QSizePolicy, QWidget

from . import palette as P


def swatch_pixmap_paint(p: QPainter, rect: QRectF, cls: P.CellClass) -> None:
    p.setRenderHint(QPainter.Antialiasing)
    c = QColor(cls.colour)
    if cls.key == "stroma":
        c.setAlphaF(0.7)
    p.setBrush(c)
    pen = QPen(QColor(cls.edge)) if cls.edge else QPen(Qt.NoPen)
    if cls.edge:
        pen.setWidthF(2.0)
    p.setPen(pen)
    r = rect.adjusted(2, 2, -2, -2)
    if cls.key == "platelet":
        r = QRectF(rect.center().x() - 3, rect.center().y() - 3, 6, 6)
    cx, cy = r.center().x(), r.center().y()
    if cls.symbol == "diamond":
        p.drawPolygon(QPolygonF([QPointF(cx, r.top()), QPointF(r.right(), cy), QPointF(cx, r.bottom()),
                                 QPointF(r.left(), cy)]))
    elif cls.symbol == "triangle_up":
        p.drawPolygon(QPolygonF([QPointF(cx, r.top()), QPointF(r.right(), r.bottom()),
                                 QPointF(r.left(), r.bottom())]))
    elif cls.symbol == "star":
        import math

        pts = []
        for k in range(10):
            rad = (r.width() / 2) * (1.0 if k % 2 == 0 else 0.45)
            a = -math.pi / 2 + k * math.pi / 5
            pts.append(QPointF(cx + rad * math.cos(a), cy + rad * math.sin(a)))
        p.drawPolygon(QPolygonF(pts))
    elif cls.symbol == "cross":
        w = r.width() / 3
        p.drawRect(QRectF(cx - w / 2, r.top(), w, r.height()))
        p.drawRect(QRectF(r.left(), cy - w / 2, r.width(), w))
    else:
        p.drawEllipse(r)


class LegendItem(QAbstractButton):
    """A swatch and its label; unchecking hides the class in the 3D view."""

    def __init__(self, index: int, cls: P.CellClass, parent=None):
        super().__init__(parent)
        self.index = index
        self.cls = cls
        self.setCheckable(True)
        self.setChecked(True)
        self.setText(cls.label)
        self.setToolTip(f"{cls.tooltip}\n\nClick to hide or show it in the 3D view.")
        self.setCursor(Qt.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        return QSize(22 + fm.horizontalAdvance(self.text()) + 4, max(20, fm.height() + 4))

    def paintEvent(self, ev):
        p = QPainter(self)
        h = self.height()
        if not self.isChecked():
            p.setOpacity(0.35)
        swatch_pixmap_paint(p, QRectF(3, (h - 14) / 2, 14, 14), self.cls)
        p.setPen(self.palette().windowText().color())
        f = p.font()
        f.setStrikeOut(not self.isChecked())
        p.setFont(f)
        p.drawText(QRectF(22, 0, self.width() - 22, h), Qt.AlignVCenter | Qt.AlignLeft, self.text())
        if self.hasFocus():
            p.setOpacity(0.5)
            p.drawRect(QRectF(0.5, 0.5, self.width() - 1, h - 1))
        p.end()


class LayerItem(QAbstractButton):
    """A bar swatch for a scene layer (sinusoids, bone); checkable to show/hide the layer."""

    def __init__(self, key: str | None, text: str, colour: str, tooltip: str, alpha: float = 1.0, parent=None):
        super().__init__(parent)
        self.key = key
        self._colour = QColor(colour)
        self._colour.setAlphaF(alpha)
        self.setText(text)
        self.setCheckable(key is not None)
        self.setChecked(True)
        self.setToolTip(tooltip + ("\n\nClick to hide or show it in the 3D view." if key else ""))
        if key:
            self.setCursor(Qt.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        return QSize(22 + fm.horizontalAdvance(self.text()) + 4, max(20, fm.height() + 4))

    def paintEvent(self, ev):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        h = self.height()
        on = self.isChecked() or not self.isCheckable()
        if not on:
            p.setOpacity(0.35)
        p.setPen(Qt.NoPen)
        p.setBrush(self._colour)
        p.drawRoundedRect(QRectF(3, h / 2 - 4, 16, 8), 3, 3)
        p.setPen(self.palette().windowText().color())
        f = p.font()
        f.setStrikeOut(not on)
        p.setFont(f)
        p.drawText(QRectF(22, 0, self.width() - 22, h), Qt.AlignVCenter | Qt.AlignLeft, self.text())
        p.end()


class LegendBar(QWidget):
    """Rows of legend items (wrapping to the available width)."""

    class_toggled = Signal(int, bool)
    layer_toggled = Signal(str, bool)     # "vessels" or "bone"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[QWidget] = []
        for i, cls in enumerate(P.CELL_CLASSES):
            item = LegendItem(i, cls, self)
            item.setChecked(cls.shown)
            item.toggled.connect(lambda on, i=i: self.class_toggled.emit(i, on))
            self.items.append(item)
        layers = [LayerItem("vessels", "Sinusoid (intact)", P.VESSEL,
                            "Sinusoidal blood vessels (translucent tubes). They turn grey and fade when their "
                            "endothelium is disrupted.", 0.8, self),
                  LayerItem(None, "Sinusoid (disrupted)", P.VESSEL_DISRUPTED,
                            "Sinusoid whose endothelium is damaged (5-FU, irradiation, anti-VE-cadherin); it "
                            "regenerates over days.", 0.8, self),
                  LayerItem("bone", "Bone surface", P.BONE,
                            "The endosteal bone surface at the bottom of the tile (z = 0).", 1.0, self)]
        for item in layers:
            if item.key:
                item.toggled.connect(lambda on, key=item.key: self.layer_toggled.emit(key, on))
        self.items += layers
        for it in self.items:
            it.setParent(self)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)

    def sync(self, class_visible, layers: dict[str, bool]) -> None:
        """Show the viewport's state (after a preset) without emitting toggles."""
        for it in self.items:
            it.blockSignals(True)
            if isinstance(it, LegendItem):
                it.setChecked(bool(class_visible[it.index]))
            elif isinstance(it, LayerItem) and it.key in layers:
                it.setChecked(bool(layers[it.key]))
            it.blockSignals(False)
            it.update()

    def _layout(self, width: int, apply: bool) -> int:
        x, y, row_h = 4, 2, 0
        for it in self.items:
            hint = it.sizeHint()
            w, h = hint.width(), max(hint.height(), 20)
            if x + w > width - 4 and x > 4:
                x = 4
                y += row_h + 2
                row_h = 0
            if apply:
                it.setGeometry(x, y, w, h)
            x += w + 6
            row_h = max(row_h, h)
        return y + row_h + 2

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout(width, apply=False)

    def sizeHint(self) -> QSize:
        w = max(self.width(), 600)
        return QSize(w, self._layout(w, apply=False))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self._layout(max(self.width(), 200), apply=False))

    def resizeEvent(self, ev):
        self._layout(self.width(), apply=True)
        h = self._layout(self.width(), apply=False)
        if self.minimumHeight() != h:
            self.setMinimumHeight(h)
        super().resizeEvent(ev)


class ColorBar(QWidget):
    """Horizontal colour bar with its range and unit (for the SDF-1 slice)."""

    def __init__(self, title: str = "SDF-1 (ng/mL)", cmap: str = "viridis", parent=None):
        super().__init__(parent)
        from vispy.color import get_colormap


        self.title = title
        self._colours = [QColor.fromRgbF(*map(float, c[:3])) for c in
                         get_colormap(cmap).map(np.linspace(0, 1, 16))]
        self.lo, self.hi = 0.0, 1.0
        self.setMinimumSize(210, 34)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)
        self.setToolTip("Colour scale of the SDF-1 field: ng/mL of CXCL12 in the marrow interstitium. The range "
                        "follows the data.")

    def sizeHint(self) -> QSize:
        return QSize(230, 36)

    def set_range(self, lo: float, hi: float) -> None:
        self.lo, self.hi = float(lo), float(hi)
        self.update()

    def paintEvent(self, ev):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        fm = p.fontMetrics()
        w = self.width()
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(255, 255, 255, 225))
        p.drawRoundedRect(QRectF(0, 0, w, self.height()), 4, 4)
        bar = QRectF(6, fm.height() + 2, w - 12, 10)
        g = QLinearGradient(bar.left(), 0, bar.right(), 0)
        for i, c in enumerate(self._colours):
            g.setColorAt(i / (len(self._colours) - 1), c)
        p.fillRect(bar, g)
        p.setPen(QColor("#202020"))
        p.drawText(QRectF(6, 0, w - 12, fm.height()), Qt.AlignLeft, f"{self.lo:g}")
        p.drawText(QRectF(6, 0, w - 12, fm.height()), Qt.AlignHCenter, self.title)
        p.drawText(QRectF(6, 0, w - 12, fm.height()), Qt.AlignRight, f"{self.hi:g}")
        p.end()

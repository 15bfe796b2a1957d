"""What the user learns about a clicked cell."""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

TYPE_LABELS = {"HSPC": "Haematopoietic stem/progenitor cell", "MK progenitor": "Megakaryocyte progenitor",
               "megakaryocyte": "Megakaryocyte", "CAR/MSC stroma": "Stromal cell (CAR cell / MSC)",
               "infused MSC": "Infused MSC", "platelet": "Platelet"}


class InspectorPanel(QWidget):
    FIELDS = ("Type", "Origin", "Age", "Maturity", "State", "Touches a sinusoid", "Position")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hint = QLabel("Click a cell in the 3D view to see its type, age, maturity and whether it "
                           "touches a sinusoid.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setVerticalSpacing(2)
        for name in self.FIELDS:
            lab = QLabel("\u2013")
            lab.setWordWrap(True)
            self.values[name] = lab
            form.addRow(f"{name}:", lab)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.hint)
        lay.addLayout(form)
        self.stretch = lay.addStretch(1)
        self.info: dict = {}

    def clear(self) -> None:
        self.info = {}
        for lab in self.values.values():
            lab.setText("\u2013")

    def show_info(self, info: dict) -> None:
        """Fill in engine.Simulation.describe_agent(slot) output ({} = cell gone)."""
        self.info = dict(info)
        if not info:
            self.clear()
            self.values["Type"].setText("(no cell here any more)")
            return
        v = self.values
        v["Type"].setText(TYPE_LABELS.get(info.get("type"), str(info.get("type"))))
        v["Origin"].setText(str(info.get("origin", "\u2013")))
        age = float(info.get("age_hours", 0.0))
        v["Age"].setText(f"{age:.0f} h ({age / 24:.1f} days)")
        if "maturity" in info:
            mat = f"{100 * float(info['maturity']):.0f}%"
            if "ploidy" in info:
                mat += f" (ploidy {info['ploidy']})"
            v["Maturity"].setText(mat)
        else:
            v["Maturity"].setText("\u2013")
        v["State"].setText(str(info.get("state", "\u2013")))
        if "touches_vessel" in info:
            gap = info.get("gap_to_sinusoid_um")
            txt = "yes" if info["touches_vessel"] else "no"
            if gap is not None and gap != float("inf"):
                txt += f" (gap {max(0.0, float(gap)):.0f} \u00b5m)"
            v["Touches a sinusoid"].setText(txt)
        else:
            v["Touches a sinusoid"].setText("\u2013")
        pos = info.get("position_um")
        v["Position"].setText(", ".join(f"{x:.0f}" for x in pos) + " \u00b5m" if pos else "\u2013")

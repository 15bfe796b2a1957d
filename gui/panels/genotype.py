"""Species and genotype (and the scenario length)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QRadioButton, QVBoxLayout, QWidget)

from engine import GENOTYPES

from ..texts import GENOTYPE_LABELS, GENOTYPE_TIPS, RUN_TIPS, SPECIES_TIPS

SPECIES_LABELS = {"mouse": "Mouse", "human": "Human"}


class GenotypePanel(QGroupBox):
    """Writes species, genotype and days to the scenario model."""

    changed = Signal(str, object)   # field name, value

    def __init__(self, parent=None):
        super().__init__("Species and genotype", parent)
        self.species = QComboBox()
        for key, label in SPECIES_LABELS.items():
            self.species.addItem(label, key)
            self.species.setItemData(self.species.count() - 1, SPECIES_TIPS[key], 3)  # Qt.ToolTipRole
        self.species.setToolTip("Species preset (platelet counts, lifespans, dose units).\n\n"
                                + "\n".join(SPECIES_TIPS.values()))
        self.species.currentIndexChanged.connect(
            lambda _i: self.changed.emit("species", self.species.currentData()))
        self.genotype_buttons: dict[str, QRadioButton] = {}
        self._group = QButtonGroup(self)
        gl = QVBoxLayout()
        gl.setSpacing(2)
        for key in GENOTYPES:
            b = QRadioButton(GENOTYPE_LABELS[key])
            b.setToolTip(GENOTYPE_TIPS[key])
            self._group.addButton(b)
            self.genotype_buttons[key] = b
            gl.addWidget(b)
            b.toggled.connect(lambda on, key=key: on and self.changed.emit("genotype", key))
        self.days = QDoubleSpinBox()
        self.days.setRange(1.0, 3650.0)
        self.days.setDecimals(0)
        self.days.setSuffix(" days")
        self.days.setKeyboardTracking(False)
        self.days.setToolTip(RUN_TIPS["days"])
        self.days.valueChanged.connect(lambda v: self.changed.emit("days", float(v)))
        form = QFormLayout(self)
        form.addRow("Species", self.species)
        w = QWidget()
        w.setLayout(gl)
        gl.setContentsMargins(0, 0, 0, 0)
        form.addRow("Genotype", w)
        row = QHBoxLayout()
        row.addWidget(self.days)
        row.addStretch(1)
        form.addRow("Length", row)

    def show_scenario(self, scn) -> None:
        """Show the scenario's values without emitting edits."""
        for w in [self.species, self.days, *self.genotype_buttons.values()]:
            w.blockSignals(True)
        self.species.setCurrentIndex(max(0, self.species.findData(scn.species)))
        self.genotype_buttons[scn.genotype].setChecked(True)
        self.days.setValue(float(scn.days))
        for w in [self.species, self.days, *self.genotype_buttons.values()]:
            w.blockSignals(False)

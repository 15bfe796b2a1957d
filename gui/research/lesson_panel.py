"""Lesson panel: a dock that walks a student through a lesson (studies/lessons.py).

Each step shows its text (Markdown) and image (click it to enlarge), can load its
scenario and run it (to ``run_days``, or to the scenario's last day, at the set
speed), and asks its prediction question; the explanation appears only after the
student chose an answer and pressed "Check my answer". Lessons compare runs
("all later runs stay on the plots"): each step's run is kept in the Runs list
when it reaches its end, labelled with the lesson and step, and overlaid on the
platelet plot.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImageReader, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QGroupBox,
                               QHBoxLayout, QLabel, QMessageBox, QPushButton, QRadioButton, QScrollArea,
                               QSizePolicy, QTextBrowser, QVBoxLayout, QWidget)

from engine import InputError, builtin_scenarios, load_scenario
from studies.lessons import list_lessons, load_lesson

log = logging.getLogger("nichelab.gui")

IMAGE_MAX_HEIGHT = 200


def read_image(path, width: int | None = None) -> QPixmap:
    """The image at ``path`` (SVG rendered sharp at ``width`` pixels wide)."""
    reader = QImageReader(str(path))
    size = reader.size()
    if width and size.isValid() and size.width() > 0:
        reader.setScaledSize(QSize(int(width), int(round(width * size.height() / size.width()))))
    img = reader.read()
    return QPixmap.fromImage(img) if not img.isNull() else QPixmap()


class ClickableLabel(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, ev):
        if ev.button() == Qt.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(ev)


class ImageDialog(QDialog):
    """A lesson diagram, large (scrolls when it is larger than the screen)."""

    def __init__(self, path, title: str, alt: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        screen = self.screen().availableGeometry() if self.screen() else None
        width = int(min(1400, 0.8 * screen.width())) if screen else 1000
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignCenter)
        self.label.setPixmap(read_image(path, width))
        self.label.setToolTip(alt)
        self.label.setAccessibleDescription(alt)
        area = QScrollArea()
        area.setWidget(self.label)
        area.setWidgetResizable(True)
        caption = QLabel(alt)
        caption.setWordWrap(True)
        caption.setStyleSheet("color: #444;")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(area, 1)
        lay.addWidget(caption)
        lay.addWidget(buttons)
        pix = self.label.pixmap()
        if screen is not None and pix is not None and not pix.isNull():
            self.resize(min(pix.width() + 40, int(0.9 * screen.width())),
                        min(pix.height() + 110, int(0.9 * screen.height())))


class LessonPanel(QWidget):
    step_changed = Signal(int)

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.lesson = None
        self.step_index = 0
        #: step index -> chosen letter (kept for sessions)
        self.answers: dict[str, str] = {}
        #: extra scenario parameters (tests and screenshots use a small tile)
        self.scenario_overrides: dict[str, float] = {}
        #: a shorter scenario length (tests and screenshots)
        self.days_override: float | None = None
        #: the run started from a step, kept when it reaches ``day``: (ticket, day, label)
        self._pending_keep: tuple[int, float, str] | None = None
        self._image_dialog = None
        errors: list[InputError] = []
        self.lessons = list_lessons(errors)
        for exc in errors:
            log.warning("lesson skipped: %s", exc)
        lay = QVBoxLayout(self)
        self.combo = QComboBox()
        for les in self.lessons:
            self.combo.addItem(les.title, les.id)
        self.combo.setToolTip("Choose a lesson")
        self.combo.currentIndexChanged.connect(lambda i: self.open_lesson(self.lessons[i]) if i >= 0 else None)
        lay.addWidget(self.combo)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(20)
        self.step_label = QLabel()
        self.step_label.setStyleSheet("font-weight: bold")
        self.step_label.setWordWrap(True)
        lay.addWidget(self.step_label)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setMinimumHeight(90)
        lay.addWidget(self.text, 3)
        self.image = ClickableLabel()
        self.image.setAlignment(Qt.AlignCenter)
        self.image.setCursor(Qt.PointingHandCursor)
        self.image.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.image.clicked.connect(self.enlarge_image)
        lay.addWidget(self.image)
        row = QHBoxLayout()
        self.load_button = QPushButton("Load this step's scenario")
        self.load_button.setToolTip("Load the scenario this step is about (unsaved edits are asked about)")
        self.load_button.clicked.connect(self.load_step_scenario)
        self.run_check = QCheckBox("and run it")
        self.run_check.setChecked(True)
        self.run_check.setToolTip("Run it at the set speed after loading")
        row.addWidget(self.load_button)
        row.addWidget(self.run_check)
        row.addStretch(1)
        lay.addLayout(row)
        self.keep_check = QCheckBox("Keep each step's run for comparison")
        self.keep_check.setChecked(True)
        self.keep_check.setToolTip("When a run started here reaches its end it is added to the Runs list and "
                                   "overlaid on the platelet plot")
        lay.addWidget(self.keep_check)
        self.look_for = QLabel()
        self.look_for.setWordWrap(True)
        self.look_for.setTextFormat(Qt.MarkdownText)
        lay.addWidget(self.look_for)
        self.question_box = QGroupBox("Predict")
        qlay = QVBoxLayout(self.question_box)
        self.prompt = QLabel()
        self.prompt.setWordWrap(True)
        self.prompt.setStyleSheet("font-weight: bold")
        qlay.addWidget(self.prompt)
        self.options_layout = QVBoxLayout()
        qlay.addLayout(self.options_layout)
        self.option_group = QButtonGroup(self)
        self.option_buttons: list[QRadioButton] = []
        self.check_button = QPushButton("Check my answer")
        self.check_button.clicked.connect(self.check_answer)
        qlay.addWidget(self.check_button)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setTextFormat(Qt.RichText)
        qlay.addWidget(self.feedback)
        lay.addWidget(self.question_box, 2)
        nav = QHBoxLayout()
        self.prev_button = QPushButton("\u25c0 Previous")
        self.next_button = QPushButton("Next \u25b6")
        self.prev_button.clicked.connect(lambda: self.show_step(self.step_index - 1))
        self.next_button.clicked.connect(lambda: self.show_step(self.step_index + 1))
        nav.addWidget(self.prev_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        lay.addLayout(nav)
        if self.lessons:
            self.open_lesson(self.lessons[0])
        window.controller.reached.connect(self._on_reached)

    # ------------------------------------------------------------------ lessons
    def open_lesson(self, lesson, step: int = 0) -> None:
        """Show ``lesson`` (a Lesson, a built-in id or a file path); InputError -> dialog."""
        if not hasattr(lesson, "steps"):
            try:
                lesson = load_lesson(lesson)
            except InputError as exc:
                QMessageBox.critical(self, "Cannot open lesson", str(exc))
                return
        if self.lesson is not None and lesson.id == self.lesson.id and step == self.step_index:
            return
        self.lesson = lesson
        self.answers = {}
        idx = self.combo.findData(lesson.id)
        if idx < 0:
            self.lessons.append(lesson)
            self.combo.blockSignals(True)
            self.combo.addItem(lesson.title, lesson.id)
            self.combo.blockSignals(False)
            idx = self.combo.count() - 1
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(idx)
        self.combo.blockSignals(False)
        self.step_index = -1
        self.show_step(step)

    @property
    def step(self):
        return self.lesson.steps[self.step_index] if self.lesson else None

    def show_step(self, i: int) -> None:
        if self.lesson is None:
            return
        i = max(0, min(int(i), len(self.lesson.steps) - 1))
        self.step_index = i
        st = self.lesson.steps[i]
        n = len(self.lesson.steps)
        self.step_label.setText(f"Step {i + 1} of {n}: {st.title}")
        md = st.text
        if st.cite:
            md += "\n\n" + self.lesson.references_markdown(i)
        self.text.setMarkdown(md)
        self._show_image(i)
        self.load_button.setVisible(bool(st.scenario))
        self.run_check.setVisible(bool(st.scenario))
        self.keep_check.setVisible(bool(st.scenario))
        self.run_check.setText(f"and run it to day {st.run_days:g}" if st.run_days else "and run it")
        self.look_for.setText(f"**Look for:**\n\n{st.look_for.strip()}" if st.look_for else "")
        self.look_for.setVisible(bool(st.look_for))
        self._show_question(st.question)
        self.prev_button.setEnabled(i > 0)
        self.next_button.setEnabled(i < n - 1)
        self.step_changed.emit(i)

    def _show_image(self, i: int) -> None:
        path = self.lesson.image_path(i)
        self.image.clear()
        self.image.setVisible(False)
        if path is None:
            return
        width = max(200, min(self.width() - 20, 520))
        pix = read_image(path, width)
        if pix.isNull():
            log.warning("lesson image not readable: %s", path)
            return
        if pix.height() > IMAGE_MAX_HEIGHT:
            pix = pix.scaledToHeight(IMAGE_MAX_HEIGHT, Qt.SmoothTransformation)
        self.image.setPixmap(pix)
        self.image.setToolTip((self.step.image_alt or "") + "\n\nClick to enlarge.")
        self.image.setAccessibleDescription(self.step.image_alt or "")
        self.image.setVisible(True)

    def enlarge_image(self) -> QDialog | None:
        """Show the step's diagram in a large window."""
        if self.lesson is None:
            return None
        path = self.lesson.image_path(self.step_index)
        if path is None:
            return None
        self._image_dialog = ImageDialog(path, f"{self.lesson.title} \u2013 {self.step.title}",
                                         self.step.image_alt or "", self)
        self._image_dialog.show()
        return self._image_dialog

    def _show_question(self, q) -> None:
        for b in self.option_buttons:
            self.option_group.removeButton(b)
            b.deleteLater()
        self.option_buttons = []
        self.feedback.clear()
        self.question_box.setVisible(q is not None)
        if q is None:
            return
        self.prompt.setText(q.prompt)
        for row in getattr(self, "_option_rows", []):
            row.deleteLater()
        self._option_rows = []
        for k, text in enumerate(q.options):
            # a radio button with its letter and a label that wraps (a radio button's own text does not)
            letter = "ABCDEF"[k]
            b = QRadioButton(letter)
            label = ClickableLabel(text)
            label.setWordWrap(True)
            label.clicked.connect(b.click)
            row = QWidget()
            hl = QHBoxLayout(row)
            hl.setContentsMargins(0, 0, 0, 0)
            hl.addWidget(b, 0, Qt.AlignTop)
            hl.addWidget(label, 1)
            self.option_group.addButton(b, k)
            self.options_layout.addWidget(row)
            self.option_buttons.append(b)
            self._option_rows.append(row)
        chosen = self.answers.get(str(self.step_index))
        if chosen is not None:
            self.choose(chosen)

    # ------------------------------------------------------------------ question
    def choose(self, choice) -> None:
        """Select an option by letter ('B') or 0-based index."""
        idx = "ABCDEF".index(choice.upper()) if isinstance(choice, str) else int(choice)
        self.option_buttons[idx].setChecked(True)

    def check_answer(self) -> bool | None:
        """Reveal whether the chosen option is right, with the explanation (None if nothing chosen)."""
        q = self.step.question if self.step else None
        if q is None:
            return None
        idx = self.option_group.checkedId()
        if idx < 0:
            self.feedback.setText("Choose an answer first.")
            return None
        self.answers[str(self.step_index)] = "ABCDEF"[idx]
        ok = q.is_correct(idx)
        verdict = ("<span style='color:#007a4d'><b>Correct.</b></span>" if ok else
                   f"<span style='color:#b00020'><b>Not quite</b></span> \u2013 the answer is {q.answer}.")
        self.feedback.setText(f"{verdict} {q.explanation}")
        return ok

    # ------------------------------------------------------------------ scenario
    def load_step_scenario(self) -> bool:
        st = self.step
        if st is None or not st.scenario:
            return False
        w = self.window
        if not w.confirm_discard("loading the lesson's scenario"):
            return False
        ref = self.lesson.scenario_ref(self.step_index)
        try:
            scn = load_scenario(ref)
        except InputError as exc:
            QMessageBox.critical(self, "Cannot load the lesson's scenario", str(exc))
            return False
        if self.scenario_overrides:
            scn = scn.copy_with(parameters={**dict(scn.parameters), **self.scenario_overrides})
        if self.days_override:
            scn = scn.copy_with(days=float(self.days_override))
        builtin = ref if ref in builtin_scenarios() else None
        c = w.controller
        c.load_scenario(scn, path=None if builtin else ref, builtin_id=builtin)
        end = float(st.run_days) if st.run_days else float(scn.days)
        order = self.lessons.index(self.lesson) + 1 if self.lesson in self.lessons else 0
        label = f"Lesson {order}, step {self.step_index + 1}: {scn.name}" if order else \
            f"Step {self.step_index + 1}: {scn.name}"
        self._pending_keep = (c.ticket, end, label)
        if self.run_check.isChecked():
            c.play(until_day=end)
        return True

    def _on_reached(self, day: float) -> None:
        """A run started from a step reached its end: keep it for comparison."""
        pending = self._pending_keep
        c = self.window.controller
        if pending is None or c.world is None or c.world.ticket != pending[0] or day < pending[1] - 1e-9:
            return
        self._pending_keep = None
        runs = getattr(getattr(self.window, "research", None), "runs", None)
        if runs is not None and self.keep_check.isChecked():
            runs.keep_current(label=pending[2])

    def state(self) -> dict:
        return {"lesson_id": self.lesson.id if self.lesson else "", "step": max(0, self.step_index),
                "answers": dict(self.answers)}

    def restore(self, lesson_id: str, step: int, answers: dict) -> None:
        self.open_lesson(lesson_id, step=-999)
        self.answers = dict(answers)
        self.show_step(step)

"""Knowledge distillation (Hinton et al. 2015): a small student trains on a trained teacher's
softened outputs as well as on the labels, the usual route to a big model's accuracy inside
a microcontroller's budget.

The teacher is any soundbench run (an MLflow run id or a training checkpoint), frozen and in
eval mode, with its *own* front end: it sees the student's (augmented) waveform windows,
resampled to its sample rate and centred in its own window length (cut or zero-padded
evenly at both ends), so teacher and student may differ in features, rate and window.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchaudio
from torch import nn

from soundbench.artifacts.trained import load_trained
from soundbench.config_check import ConfigError


class TeacherMember:
    """One trained network of the teacher, with its own front end, rate and window, and the
    order that maps its outputs onto the student's classes."""

    def __init__(self, frontend: nn.Module, model: nn.Module, sample_rate: int, window_samples: int, source: str = ""):
        self.net = nn.Sequential(frontend, model).eval().requires_grad_(False)
        self.sample_rate, self.window, self.source = sample_rate, window_samples, source
        self.order: torch.Tensor | None = None  # the member's output for each of the student's classes

    @classmethod
    def load(cls, source: str, class_names: tuple[str, ...], tracking_uri: str | None = None) -> TeacherMember:
        trained = load_trained(str(source), tracking_uri)
        teacher_classes, student_classes = list(trained.class_names), list(class_names)
        if sorted(teacher_classes) != sorted(student_classes):
            only_teacher = sorted(set(teacher_classes) - set(student_classes))
            only_student = sorted(set(student_classes) - set(teacher_classes))
            raise ConfigError(
                f"distill.teacher={source} was trained on other classes than this run's: only the "
                f"teacher has {only_teacher or 'none'}, only this run has {only_student or 'none'}; "
                "a teacher must know every class of the dataset and no other"
            )
        frontend = trained.frontend
        member = cls(frontend, trained.model, frontend.sample_rate, frontend.window_samples, str(source))
        if teacher_classes != student_classes:  # same classes, another order: match its outputs by name
            member.order = torch.tensor([teacher_classes.index(name) for name in student_classes])
        return member

    def logits(self, windows: torch.Tensor, student_rate: int) -> torch.Tensor:
        if self.sample_rate != student_rate:
            windows = torchaudio.functional.resample(windows, student_rate, self.sample_rate)
        logits = self.net(_centre(windows, self.window))
        return logits[:, self.order.to(logits.device)] if self.order is not None else logits


class Teacher:
    """Not an ``nn.Module`` on purpose: its weights stay out of the student's checkpoints and
    optimiser, and Lightning's ``train()`` never switches it out of eval mode.

    Several members make an ensemble teacher: its soft targets are the mean of the members'
    probabilities at the temperature (the ensemble's accuracy, taught to one student)."""

    def __init__(self, members: list[TeacherMember], student_rate: int, temperature: float, alpha: float):
        if temperature <= 0:
            raise ConfigError(f"distill.temperature={temperature} must be > 0")
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"distill.alpha={alpha} must be within [0, 1] (the weight of the teacher's term)")
        if not members:
            raise ConfigError("distill.teacher is an empty list: give a run id or checkpoint, or a list of them")
        self.members, self.student_rate = members, student_rate
        self.temperature, self.alpha = float(temperature), float(alpha)

    @classmethod
    def load(
        cls,
        sources: str | list[str] | tuple[str, ...],
        student_rate: int,
        class_names: tuple[str, ...],
        temperature: float,
        alpha: float,
        tracking_uri: str | None = None,
    ) -> Teacher:
        """``sources``: one MLflow run id or checkpoint, or a list of them (an ensemble)."""
        listed = [sources] if isinstance(sources, str) else list(sources)
        members = [TeacherMember.load(str(source), class_names, tracking_uri) for source in listed]
        return cls(members, student_rate, temperature, alpha)

    @property
    def source(self) -> str:
        return ", ".join(member.source for member in self.members)

    def to(self, device) -> Teacher:
        for member in self.members:
            member.net.to(device)
        return self

    @torch.no_grad()
    def soft_targets(self, windows: torch.Tensor) -> torch.Tensor:
        """The teacher's class probabilities at the temperature, ``(batch, classes)``: the mean
        over its members."""
        probs = [F.softmax(m.logits(windows, self.student_rate) / self.temperature, dim=1) for m in self.members]
        return torch.stack(probs).mean(0)

    def loss(self, student_logits: torch.Tensor, teacher_probs: torch.Tensor, label_loss: torch.Tensor) -> torch.Tensor:
        """``alpha·T²·KL(teacher ‖ student)`` at temperature T plus ``(1−alpha)`` of the label
        loss; T² keeps the soft term's gradients on the scale of the hard one."""
        student_log_probs = F.log_softmax(student_logits / self.temperature, dim=1)
        soft = F.kl_div(student_log_probs, teacher_probs, reduction="batchmean") * self.temperature**2
        return self.alpha * soft + (1 - self.alpha) * label_loss


def _centre(windows: torch.Tensor, length: int) -> torch.Tensor:
    excess = windows.shape[-1] - length
    if excess >= 0:
        return windows[..., excess // 2 : excess // 2 + length]
    return F.pad(windows, (-excess // 2, -excess - (-excess // 2)))

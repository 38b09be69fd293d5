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


class Teacher:
    """Not an ``nn.Module`` on purpose: its weights stay out of the student's checkpoints and
    optimiser, and Lightning's ``train()`` never switches it out of eval mode."""

    def __init__(
        self,
        frontend: nn.Module,
        model: nn.Module,
        sample_rate: int,
        window_samples: int,
        student_rate: int,
        temperature: float,
        alpha: float,
        source: str = "",
    ):
        if temperature <= 0:
            raise ConfigError(f"distill.temperature={temperature} must be > 0")
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"distill.alpha={alpha} must be within [0, 1] (the weight of the teacher's term)")
        self.net = nn.Sequential(frontend, model).eval().requires_grad_(False)
        self.sample_rate, self.window, self.student_rate = sample_rate, window_samples, student_rate
        self.temperature, self.alpha, self.source = float(temperature), float(alpha), source
        self.order: torch.Tensor | None = None  # the teacher's output for each of the student's classes

    @classmethod
    def load(
        cls,
        source: str,
        student_rate: int,
        class_names: tuple[str, ...],
        temperature: float,
        alpha: float,
        tracking_uri: str | None = None,
    ) -> Teacher:
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
        teacher = cls(
            frontend,
            trained.model,
            frontend.sample_rate,
            frontend.window_samples,
            student_rate,
            temperature,
            alpha,
            str(source),
        )
        if teacher_classes != student_classes:  # same classes, another order: match its outputs by name
            teacher.order = torch.tensor([teacher_classes.index(name) for name in student_classes])
        return teacher

    def to(self, device) -> Teacher:
        self.net.to(device)
        return self

    @torch.no_grad()
    def soft_targets(self, windows: torch.Tensor) -> torch.Tensor:
        """The teacher's class probabilities at the temperature, ``(batch, classes)``."""
        if self.sample_rate != self.student_rate:
            windows = torchaudio.functional.resample(windows, self.student_rate, self.sample_rate)
        logits = self.net(_centre(windows, self.window))
        if self.order is not None:
            logits = logits[:, self.order.to(logits.device)]
        return F.softmax(logits / self.temperature, dim=1)

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

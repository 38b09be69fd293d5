"""One model's deploy over the cross-validation folds: float and int8 accuracy of every
fold's exported model, and the first fold's full report (footprint, latency, firmware:
they do not depend on the fold). What the `deploy` stage writes to deploy.json and the
`report` stage reads back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundbench.deploy.results import DeployReport


@dataclass(frozen=True)
class CrossFoldDeploy:
    first_fold: DeployReport
    float32_clip_acc: tuple[float, ...]  # onnxruntime, per fold
    int8_clip_acc: tuple[float, ...]

    @classmethod
    def of(cls, reports: list[DeployReport]) -> CrossFoldDeploy:
        return cls(reports[0], tuple(r.accuracy.float32 for r in reports), tuple(r.accuracy.int8 for r in reports))

    @property
    def int8_clip_acc_mean(self) -> float:
        return float(np.mean(self.int8_clip_acc))

    @property
    def int8_clip_acc_std(self) -> float:
        return float(np.std(self.int8_clip_acc))

    def to_dict(self) -> dict:
        report = self.first_fold.to_dict()
        if report["firmware"]["run"]:  # the instruction mix is per window of one fold: noise in deploy.json
            report["firmware"]["run"]["instruction_mix"] = {}
        return {
            "int8_clip_acc_mean": self.int8_clip_acc_mean,
            "int8_clip_acc_std": self.int8_clip_acc_std,
            "float32_clip_acc": list(self.float32_clip_acc),
            "int8_clip_acc": list(self.int8_clip_acc),
            "first_fold": report,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CrossFoldDeploy:
        return cls(
            DeployReport.from_dict(data["first_fold"]), tuple(data["float32_clip_acc"]), tuple(data["int8_clip_acc"])
        )

"""Knowledge distillation: the loss, the teacher's own front end, and a distilled run."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from soundbench.config_check import ConfigError
from soundbench.training.distill import Teacher, TeacherMember, _centre
from soundbench.training.run import run
from tests.conftest import compose_config


def member(rate=8000, window=100):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(window, 3))
    return TeacherMember(torch.nn.Identity(), model, rate, window)


def teacher(alpha=0.5, temperature=2.0, rate=8000, student_rate=8000, window=100):
    return Teacher([member(rate, window)], student_rate, temperature, alpha)


def test_loss_mixes_the_teachers_soft_term_and_the_label_loss():
    t = teacher(alpha=0.7, temperature=2.0)
    student = torch.randn(8, 3)
    label_loss = torch.tensor(1.5)
    agreeing = F.softmax(student / 2.0, dim=1)  # the teacher says what the student says: no soft loss
    assert torch.allclose(t.loss(student, agreeing, label_loss), 0.3 * label_loss)
    disagreeing = F.softmax(-student / 2.0, dim=1)
    expected = 0.7 * 4.0 * F.kl_div(F.log_softmax(student / 2.0, 1), disagreeing, reduction="batchmean") + 0.3 * 1.5
    assert torch.allclose(t.loss(student, disagreeing, label_loss), expected)
    assert t.loss(student, disagreeing, label_loss) > t.loss(student, agreeing, label_loss)


def test_teacher_sees_windows_at_its_own_rate_and_length():
    t = teacher(rate=16000, student_rate=8000, window=150)
    probs = t.soft_targets(torch.randn(4, 100))  # 100 samples at 8 kHz → 200 at 16 kHz → centre 150
    assert probs.shape == (4, 3) and torch.allclose(probs.sum(1), torch.ones(4))
    x = torch.arange(10.0).view(1, 10)
    assert _centre(x, 6).tolist() == [[2, 3, 4, 5, 6, 7]]
    assert _centre(x, 14).tolist() == [[0, 0] + list(range(10)) + [0, 0]]
    assert not any(p.requires_grad for p in t.members[0].net.parameters())


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="temperature"):
        teacher(temperature=0.0)
    with pytest.raises(ConfigError, match="alpha"):
        teacher(alpha=1.5)
    with pytest.raises(ConfigError, match="empty list"):
        Teacher([], 8000, 2.0, 0.5)


def test_an_ensemble_teaches_the_mean_of_its_members_probabilities():
    torch.manual_seed(0)
    members = [member(rate=8000, window=100), member(rate=16000, window=150)]
    ensemble = Teacher(members, 8000, temperature=2.0, alpha=0.5)
    windows = torch.randn(5, 100)
    each = [Teacher([m], 8000, 2.0, 0.5).soft_targets(windows) for m in members]
    assert torch.allclose(ensemble.soft_targets(windows), (each[0] + each[1]) / 2)
    assert not torch.allclose(each[0], each[1])  # the members differ, so the mean is not either one


@pytest.mark.slow
def test_a_student_distils_from_a_trained_run(tmp_path, demo_root):
    common = ["dataset=demo", f"dataset.root={demo_root}", "logger=none", "data.batch_size=32"]
    big = run(compose_config(common + ["trainer.max_epochs=3"]), tmp_path / "teacher")
    checkpoint = next((tmp_path / "teacher" / "checkpoints").glob("best-*.ckpt"))
    student_cfg = compose_config(
        common
        + [
            "model=strided_ds",
            "trainer.max_epochs=2",
            "scheduler=cosine",
            f"distill.teacher={checkpoint}",
            "features.sample_rate=16000",
        ]
    )
    small = run(student_cfg, tmp_path / "student")
    assert big.test_clip_acc > 0 and 0 <= small.test_clip_acc <= 1
    saved = torch.load(next((tmp_path / "student" / "checkpoints").glob("best-*.ckpt")), weights_only=True)
    assert not any(k.startswith("teacher") for k in saved["state_dict"])  # the student's weights only
    assert saved["soundbench_config"]["distill"]["teacher"] == str(checkpoint)

    with pytest.raises(ConfigError, match="classes"):  # a teacher of another dataset
        Teacher.load(str(checkpoint), 22050, ("dog_bark", "siren"), temperature=4.0, alpha=0.5)

    # the same classes in another order: the teacher's outputs are matched to the student's by name
    from soundbench.artifacts.trained import load_trained

    classes = tuple(load_trained(str(checkpoint)).class_names)
    in_order = Teacher.load(str(checkpoint), 22050, classes, temperature=4.0, alpha=0.5)
    reversed_ = Teacher.load(str(checkpoint), 22050, classes[::-1], temperature=4.0, alpha=0.5)
    windows = torch.randn(3, 22050)
    assert torch.allclose(reversed_.soft_targets(windows), in_order.soft_targets(windows).flip(1))
    ensemble = Teacher.load([str(checkpoint), str(checkpoint)], 22050, classes, temperature=4.0, alpha=0.5)
    assert len(ensemble.members) == 2  # a list of runs: an ensemble teacher
    assert torch.allclose(ensemble.soft_targets(windows), in_order.soft_targets(windows), atol=1e-6)
    with pytest.raises(ConfigError, match=r"only the teacher has \['siren'\], only this run has \['thunder'\]"):
        Teacher.load(str(checkpoint), 22050, tuple(c if c != "siren" else "thunder" for c in classes), 4.0, 0.5)

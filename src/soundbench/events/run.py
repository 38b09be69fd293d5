"""``python -m soundbench.events``: build soundscapes, score a model's events on them, tune
its decision layer on validation and report on test (conf/events.yaml)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from soundbench.artifacts.bundle import BundleFrontEnd, ModelBundle
from soundbench.events.soundscapes import ClipSources, SoundscapeSet, SoundscapeSpec, build_split
from soundbench.events.tuning import Tuned, detected, evaluate, trade_off, tune_decision, window_posteriors
from soundbench.predict.decision import DECISION_FILE, EventDecision, tuned_decision
from soundbench.predict.predictor import Predictor
from soundbench.predict.scoring import (
    EventScores,
    ScoringSettings,
    TradeOffPoint,
    false_alarms_at_miss_rate,
)

SPLITS = ("validation", "test")


def soundscape_spec(cfg: DictConfig) -> SoundscapeSpec:
    spec = OmegaConf.to_container(cfg.soundscapes.spec, resolve=True)
    return SoundscapeSpec(**{**spec, "snr_db": tuple(spec["snr_db"])})


def clip_sources(cfg: DictConfig) -> dict[str, ClipSources]:
    """Per split, the dataset's clips of that split and the background recordings of the
    folds given for it (conf/soundscapes/*.yaml)."""
    corpus = instantiate(cfg.soundscapes.dataset)
    splits = corpus.splits(corpus.load_index())
    background = cfg.soundscapes.background
    table = instantiate(background.dataset).load_index().table
    table = table[table["class_name"].isin(list(background.classes))]
    sources = {}
    for split in SPLITS:
        events = getattr(splits, split).table[["path", "class_name", "start", "duration"]]
        folds = table[table["fold"].isin(list(background.folds[split]))]
        sources[split] = ClipSources(events.reset_index(drop=True), tuple(Path(p) for p in sorted(set(folds["path"]))))
    return sources


def check_classes(soundscapes: SoundscapeSet, bundle: ModelBundle) -> None:
    """Refuse soundscapes whose events are none of the model's classes (a wrong pairing)."""
    labels = set(soundscapes.annotations["event_label"].astype(str))
    if labels and not labels & set(bundle.class_names):
        raise SystemExit(
            f"the soundscapes in {soundscapes.folder} hold events of {sorted(labels)[:5]}..., none of which is a "
            f"class of the model {bundle.folder} ({list(bundle.class_names)[:5]}...): check soundscapes= and bundle="
        )


def build(cfg: DictConfig, sources: dict[str, ClipSources] | None = None) -> dict[str, SoundscapeSet]:
    spec, sources = soundscape_spec(cfg), sources or clip_sources(cfg)
    out = Path(cfg.out_dir)
    built = {split: build_split(spec, sources[split], split, out / "soundscapes" / split) for split in SPLITS}
    for split, soundscapes in built.items():
        print(
            f"{split}: {len(soundscapes.audio)} soundscapes, {len(soundscapes.annotations)} events, "
            f"{soundscapes.hours * 60:.0f} min: {soundscapes.folder}"
        )
    return built


@dataclass(frozen=True)
class EventReport:
    """What ``tune`` measures (``score``: only the ``tuned`` half is the bundle's decision)."""

    model: str
    clip_accuracy: float  # the model on the test clips on their own (mean of window posteriors)
    default: EventScores  # test soundscapes, EventDecision's defaults
    tuned: EventScores  # test soundscapes, the decision layer tuned on validation
    tuned_on_validation: EventScores | None
    decision: EventDecision
    trade_off: list[TradeOffPoint]
    miss_rate: float
    at_miss_rate: TradeOffPoint | None
    evaluations: int
    hop_ms: float  # the tuned layer's window hop
    by_hop: list[HopResult]  # the best layer of each window hop tried, on validation

    def table_row(self) -> str:
        fa = f"{self.at_miss_rate.false_alarms_per_hour:.0f}" if self.at_miss_rate else "n/a"
        default, tuned = self.default, self.tuned
        return (
            f"| {self.model} | {self.clip_accuracy:.3f} | {default.event_f1:.3f} / {default.event_error_rate:.3f}"
            f" | {tuned.event_f1:.3f} / {tuned.event_error_rate:.3f} (hop {self.hop_ms:.0f} ms) | "
            f"{tuned.segment_f1:.3f} | {fa} at {self.miss_rate:.0%} miss |"
        )


@dataclass(frozen=True)
class HopResult:
    hop_ms: float
    validation_f1: float
    validation_error_rate: float


def hop_candidates(frontend: BundleFrontEnd, divisions: list[int]) -> list[int]:
    """``hop_samples`` to try: the training window hop (0) and its divisions that keep
    windows on the feature-frame grid (a device computes frames as audio arrives)."""
    frames, rest = divmod(frontend.window_hop_samples, frontend.hop_length)
    hops = []
    for division in divisions:
        if division < 1 or rest or frames % division:
            print(f"hop division {division} skipped: {frames} frames per window hop do not split into {division}")
            continue
        hops.append(0 if division == 1 else frontend.window_hop_samples // division)
    return hops or [0]


def _tune_hops(
    cfg: DictConfig, bundle: ModelBundle, validation: SoundscapeSet, scoring: ScoringSettings
) -> tuple[Tuned, list[HopResult]]:
    """The decision layer tuned at each candidate window hop; the best on validation."""
    fe, best, results = bundle.frontend, None, []
    for hop in hop_candidates(fe, list(cfg.hop_divisions)):
        start = EventDecision(hop_samples=hop)
        posteriors = window_posteriors(Predictor(bundle, decision=start, threads=1), validation)
        print(f"tuning the decision layer on the validation soundscapes (window hop {hop or 'as trained'}) ...")
        tuned = tune_decision(posteriors, validation, bundle.class_names, scoring, start, cfg.min_class_events)
        hop_ms = _hop_ms(start, fe)
        results.append(HopResult(hop_ms, tuned.validation.event_f1, tuned.validation.event_error_rate))
        print(f"  window hop {hop_ms:.0f} ms: {describe(tuned.validation, 'validation')}")
        if best is None or _objective(tuned) > _objective(best):
            best = tuned
    return best, results


def _hop_ms(decision: EventDecision, frontend: BundleFrontEnd) -> float:
    return 1000 * decision.window_hop(frontend.window_hop_samples) / frontend.sample_rate


def _objective(tuned: Tuned) -> tuple[float, float]:
    return tuned.validation.event_f1, -tuned.validation.event_error_rate


def tune(cfg: DictConfig, bundle: ModelBundle) -> EventReport:
    """Tune on the validation soundscapes, report the default and the tuned layer on test,
    save the tuned one in the bundle (``write_bundle``) and the report in ``out_dir``."""
    sources = clip_sources(cfg)
    soundscapes = build(cfg, sources)
    check_classes(soundscapes["test"], bundle)
    scoring = ScoringSettings(**cfg.scoring)
    predictor = Predictor(bundle, decision=EventDecision(), threads=1)  # the window hop as trained
    names = bundle.class_names
    tuned, by_hop = _tune_hops(cfg, bundle, soundscapes["validation"], scoring)
    test = soundscapes["test"]
    as_trained = window_posteriors(predictor, test)
    test_posteriors = (
        window_posteriors(Predictor(bundle, decision=tuned.decision, threads=1), test)
        if tuned.decision.hop_samples
        else as_trained
    )
    points = trade_off(test_posteriors, test, names, tuned.decision, scoring)
    report = EventReport(
        model=_model_name(bundle),
        clip_accuracy=clip_accuracy(predictor, sources["test"].events, names),
        default=evaluate(as_trained, test, names, EventDecision(), scoring),
        tuned=evaluate(test_posteriors, test, names, tuned.decision, scoring),
        tuned_on_validation=tuned.validation,
        decision=tuned.decision,
        trade_off=points,
        miss_rate=cfg.miss_rate,
        at_miss_rate=false_alarms_at_miss_rate(points, cfg.miss_rate),
        evaluations=tuned.evaluations,
        hop_ms=_hop_ms(tuned.decision, bundle.frontend),
        by_hop=by_hop,
    )
    if cfg.write_bundle:
        print(f"tuned decision layer saved in the bundle: {tuned.decision.save(bundle.folder)}")
    _write_report(report, Path(cfg.out_dir) / _model_name(bundle), detected(test_posteriors, names, tuned.decision))
    return report


def score(cfg: DictConfig, bundle: ModelBundle) -> EventScores:
    """The bundle's decision layer (or ``decision=<decision.json>``) on the test soundscapes."""
    test = build(cfg)["test"]
    check_classes(test, bundle)
    decision = EventDecision.load(Path(cfg.decision)) if cfg.decision else tuned_decision(bundle.folder)
    if decision is None:
        print(f"{bundle.folder} has no {DECISION_FILE} (run `tune` first): scoring the default decision layer")
        decision = EventDecision()
    predictor = Predictor(bundle, decision=decision, threads=1)
    scores = evaluate(
        window_posteriors(predictor, test), test, bundle.class_names, decision, ScoringSettings(**cfg.scoring)
    )
    print(describe(scores, "test soundscapes"))
    return scores


def describe(scores: EventScores, what: str) -> str:
    return (
        f"{what}: event F1 {scores.event_f1:.3f}, error rate {scores.event_error_rate:.3f} "
        f"(precision {scores.precision:.3f}, recall {scores.recall:.3f}; {scores.n_correct} of "
        f"{scores.n_reference} events found, {scores.n_estimated - scores.n_correct} false alarms in "
        f"{scores.hours * 60:.0f} min); segment F1 {scores.segment_f1:.3f}, error rate {scores.segment_error_rate:.3f}"
    )


def _write_report(report: EventReport, folder: Path, events: pd.DataFrame) -> None:
    from soundbench.plots import plot_trade_off

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(asdict(report), indent=2, default=str))
    report.decision.save(folder)
    events.to_csv(folder / "test_events.tsv", sep="\t", index=False)
    plot_trade_off(
        [(p.miss_rate, p.false_alarms_per_hour) for p in report.trade_off],
        f"{report.model}: test soundscapes, threshold swept",
        folder / "trade_off.png",
    )
    lines = [
        f"# Event detection: {report.model}",
        "",
        "| model | clip accuracy | event F1 / ER, default layer | event F1 / ER, tuned (window hop) "
        "| segment F1, tuned | false alarms/h |",
        "|---|---|---|---|---|---|",
        report.table_row(),
        "",
        describe(report.default, "default decision layer, test"),
        "",
        describe(report.tuned, "tuned decision layer, test"),
        "",
        describe(report.tuned_on_validation, "tuned decision layer, validation (what it was tuned on)"),
        "",
        f"Tuned decision layer ({report.evaluations} candidates on validation): "
        f"`{json.dumps(asdict(report.decision))}`",
        "",
        "Window hops tried (the best layer of each, on validation): "
        + "; ".join(
            f"{h.hop_ms:.0f} ms F1 {h.validation_f1:.3f} / ER {h.validation_error_rate:.3f}" for h in report.by_hop
        ),
    ]
    (folder / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"Report: {folder / 'report.md'}; trade-off curve: {folder / 'trade_off.png'}")


def clip_accuracy(predictor: Predictor, clips: pd.DataFrame, class_names: tuple[str, ...]) -> float:
    """Each clip classified on its own by the mean of its windows' posteriors."""
    correct = 0
    for row in clips.itertuples():
        posteriors = predictor.predict_file(row.path, progress=False).posteriors
        mean = np.nanmean(posteriors, axis=0) if not np.isnan(posteriors).all() else np.zeros(len(class_names))
        correct += class_names[int(mean.argmax())] == row.class_name
    return correct / len(clips)


def _model_name(bundle: ModelBundle) -> str:
    return str(bundle.info.get("run_id") or bundle.folder.name)

"""The deploy check of one trained model on one board: export → parity → int8 → accuracy
float vs int8 → footprint and fit (model and front end) → latency → (when the Arm
toolchain and QEMU are installed) C code, a firmware the linker fits into the budget, a
bit-exact run in the emulator with instruction counts, and the whole application (the
streaming front end + the model) run on a test recording against host ``predict``."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from omegaconf import DictConfig

from soundbench.artifacts.bundle import load_bundle, provenance, save_bundle
from soundbench.artifacts.onnx_export import OPSET, export_onnx, onnx_logits
from soundbench.artifacts.trained import TrainedModel
from soundbench.deploy import codegen, emulator
from soundbench.deploy.cmsis_dsp import CmsisDspMissing
from soundbench.deploy.decision_c import application_ram, compare_events
from soundbench.deploy.device_app import build_app_firmware, pcm16, run_app
from soundbench.deploy.fit import ModelFootprint
from soundbench.deploy.frontend_c import DeviceFrontEnd, FrontEndNotSupported
from soundbench.deploy.graph import Graph
from soundbench.deploy.kernels import PORTABLE, KernelLayer
from soundbench.deploy.latency import (
    CORTEX_M4_COREMARK_PER_MHZ,
    KERNEL_CYCLES_PER_MACC_M4,
    estimate_latency,
    layer_cycles_estimate,
)
from soundbench.deploy.quantize import quantize_int8
from soundbench.deploy.report import to_markdown
from soundbench.deploy.results import (
    Accuracy,
    BudgetCheck,
    DeployReport,
    EmulatorCheck,
    EndToEnd,
    FirmwareResult,
    Footprint,
    Footprints,
    FrontEndCost,
    KernelPlacement,
    Latency,
    LayerTime,
    Parity,
)
from soundbench.deploy.sample_windows import calibration_windows, test_windows
from soundbench.deploy.staging import AUTO, KernelPlan, plan_with_staging, table_limit
from soundbench.deploy.targets import Target
from soundbench.evaluation import evaluate_windows
from soundbench.predict.decision import EventDecision
from soundbench.predict.predictor import Predictor
from soundbench.predict.timeline import DecisionSettings


@dataclass
class DeploySettings:
    """The deploy options of conf/deploy.yaml, their one source: build with ``from_config``."""

    calibration_windows: int
    calibration_method: str  # minmax | entropy | percentile
    emulator: str  # auto | true | false
    emulator_windows: int
    stream_seconds: float  # length of the test recording streamed through the whole application
    #: cycles per MACC on a Cortex-M4 by kernel, for when the emulator does not run: the
    #: measured KERNEL_CYCLES_PER_MACC_M4, with these entries overriding it
    cycles_per_macc_m4: dict[str, float] = field(default_factory=dict)
    opset: int = OPSET
    #: safety margin on the modelled cycles for every keeps-up verdict (duty × (1 + margin) < limit)
    timing_margin: float = 0.1
    #: convolutions that stage their weight tables in SRAM scratch: "auto" (what the RAM budget
    #: holds, the most re-read first) or every table up to this many bytes (0: none); deploy/staging.py
    stage_weights: str | int = AUTO
    #: the event decision layer the device application runs after the model (emulator.decision: a
    #: decision.json, read once here; none: the layer's defaults)
    decision: EventDecision = field(default_factory=EventDecision)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.cycles_per_macc_m4) - set(KERNEL_CYCLES_PER_MACC_M4))
        if unknown:
            raise ValueError(
                f"latency.cycles_per_macc_m4: unknown kernel(s) {unknown}; "
                f"known: {', '.join(KERNEL_CYCLES_PER_MACC_M4)}"
            )
        self.cycles_per_macc_m4 = {**KERNEL_CYCLES_PER_MACC_M4, **self.cycles_per_macc_m4}
        if str(self.stage_weights) != AUTO:
            self.stage_weights = table_limit(self.stage_weights)  # a number, or a clear error now

    @classmethod
    def from_config(cls, cfg: DictConfig) -> DeploySettings:
        """From a composed conf/deploy.yaml (the CLI's, or the pipeline's with params.yaml's overrides)."""
        return cls(
            cfg.calibration.windows,
            cfg.calibration.method,
            str(cfg.emulator.enabled).lower(),
            cfg.emulator.windows,
            cfg.emulator.stream_seconds,
            dict(cfg.latency.cycles_per_macc_m4),
            cfg.opset or OPSET,
            float(cfg.latency.margin),
            cfg.kernels.stage_weights,
            EventDecision.load(Path(cfg.emulator.decision)) if cfg.emulator.get("decision") else EventDecision(),
        )


def deploy(
    trained: TrainedModel, target: Target, out_dir: str | Path, root: str | Path, settings: DeploySettings
) -> DeployReport:
    """Run every check; writes models, C code and report.md/json to ``out_dir`` and returns
    the report (what the terminal and MLflow show)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    test = test_windows(trained)

    print(f"[1/5] ONNX export of {trained.name} (input {trained.input_shape})")
    float_path, float_logits, onnx_parity = _export(trained, test, out_dir, settings.opset)

    print(f"[2/5] int8 quantization, calibrated on {settings.calibration_windows} training windows")
    calibration = calibration_windows(trained, settings.calibration_windows)
    int8_path = quantize_int8(float_path, out_dir / "model_int8.onnx", calibration, settings.calibration_method)
    # the output folder doubles as a model bundle for `python predict.py bundle=<out_dir>`
    save_bundle(
        out_dir,
        trained.features_config,
        trained.class_names,
        {"float32": float_path.name, "int8": int8_path.name},
        provenance(trained),
        trained.frontend,
    )
    settings.decision.save(out_dir)  # the layer the device application runs: predict on this bundle runs it too
    int8_logits = onnx_logits(int8_path, test.features)
    accuracy = _accuracy(test, float_logits, int8_logits, trained.class_names)

    print(f"[3/5] memory plan and fit on {target.name}")
    int8_graph = Graph(int8_path)
    device, not_on_device = _device_front_end(trained, settings.decision.hop_samples)
    decision_ram = application_ram(device, settings.decision, len(trained.class_names)) if device else 0

    memory = device.memory() if device else None

    def outside_arena(fp: ModelFootprint) -> int:  # as _planned_front_end plans it
        return memory.ram_beside(fp.ram_bytes) + decision_ram if memory else 0

    # which nodes run on the Cortex-M4 kernels, their scratch (and weights staged in SRAM)
    kernel_plan = plan_with_staging(int8_graph, target, settings.stage_weights, outside_arena)
    kernel_layers, int8_fp = kernel_plan.layers, kernel_plan.footprint
    float_fp = ModelFootprint.of(Graph(float_path), "float32")
    front_end = _planned_front_end(device, trained.frontend.name, int8_fp, decision_ram) if device else None

    print("[4/5] C code, firmware link and emulator run" + (" (model, then front end + model)" if device else ""))
    firmware, measured = _firmware(
        int8_path, int8_fp, kernel_layers, target, root, out_dir, test, int8_logits, settings
    )
    end_to_end = None
    if device:
        front_end, end_to_end = _application(
            trained, device, front_end, int8_fp, firmware, target, root, out_dir, settings
        )
    per_layer, source = _layer_cycles(measured, kernel_layers, int8_fp, settings, target)
    _write_layers({"float32": float_fp, "int8": int8_fp}, kernel_layers, per_layer, out_dir / "layers.csv")

    print("[5/5] latency estimate")
    # the network runs once per window hop: the decision layer's when it was tuned to a finer one
    hop_s = settings.decision.window_hop(trained.frontend.window_hop_samples) / trained.frontend.sample_rate
    report = DeployReport(
        model=trained.name,
        target=target.name,
        board=target.board,
        run_id=trained.run_id,
        checkpoint=str(trained.checkpoint),
        dataset=trained.datamodule.corpus.name,
        fold=trained.fold,
        onnx_parity=onnx_parity,
        accuracy=accuracy,
        int8_vs_float=Parity.of(float_logits, int8_logits),
        footprint=Footprints(_footprint(float_fp, target), _footprint(int8_fp, target, front_end)),
        kernels=_kernel_placement(kernel_plan),
        firmware=firmware,
        slowest_layers=_slowest_layers(kernel_layers, int8_fp.layers, per_layer),
        latency=_latency(
            int8_fp.macc,
            per_layer,
            source,
            kernel_layers,
            target,
            hop_s,
            accuracy.windows_per_clip,
            front_end,
            settings.timing_margin,
        ),
        front_end=front_end,
        front_end_not_on_device=not_on_device,
        end_to_end=end_to_end,
    )
    (out_dir / "report.json").write_text(json.dumps(report.to_dict(), indent=2, default=str))
    (out_dir / "report.md").write_text(to_markdown(report))
    return report


def _export(trained: TrainedModel, test, out_dir: Path, opset: int) -> tuple[Path, np.ndarray, Parity]:
    """The float ONNX model, its logits on the test windows, and its parity with PyTorch."""
    float_path = export_onnx(trained.model, trained.input_shape, out_dir / "model.onnx", opset)
    with torch.no_grad():
        torch_logits = trained.model(torch.from_numpy(test.features)).numpy()
    float_logits = onnx_logits(float_path, test.features)
    return float_path, float_logits, Parity.of(torch_logits, float_logits)


def _accuracy(test, float_logits: np.ndarray, int8_logits: np.ndarray, class_names) -> Accuracy:
    return Accuracy(
        _clip_accuracy(float_logits, test, class_names),
        _clip_accuracy(int8_logits, test, class_names),
        test_clips=int(len(np.unique(test.clip_ids))),
        test_windows=int(len(test.features)),
    )


def _layer_cycles(
    measured: dict[str, float] | None,
    layers: list[KernelLayer],
    int8_fp: ModelFootprint,
    settings: DeploySettings,
    target: Target,
) -> tuple[dict[str, float], str]:
    """Cycles per layer: modelled from the emulator's trace, else MACC × each kernel's cycles/MACC."""
    if measured is not None:
        return measured, f"{emulator.timing_label(target.memory)}, for this model"
    return (
        layer_cycles_estimate(layers, int8_fp.layers, settings.cycles_per_macc_m4),
        "estimated from conf/deploy.yaml cycles/MACC per kernel (emulator not run)",
    )


def _latency(
    macc: int,
    per_layer: dict[str, float],
    source: str,
    layers: list[KernelLayer],
    target: Target,
    hop_s: float,
    windows_per_clip: int,
    front_end: FrontEndCost | None,
    margin: float,
) -> Latency:
    cycles_per_macc = sum(per_layer.values()) / max(macc, 1)
    estimate = estimate_latency(macc, target, cycles_per_macc, _code_path(layers), hop_s, windows_per_clip)
    frontend_ms, frontend_source = _front_end_time(front_end, target)
    total_s = estimate.window_s + (frontend_ms or 0.0) * 1e-3
    return Latency(
        code_path=estimate.code_path,
        cycles_per_macc_m4=cycles_per_macc,
        cycles_per_macc_source=source,
        cycles_per_macc=estimate.cycles_per_macc,
        cpu_mhz=target.cpu_mhz,
        window_ms=estimate.window_s * 1e3,
        clip_ms=estimate.clip_s * 1e3,
        windows_per_clip=windows_per_clip,
        window_hop_ms=hop_s * 1e3,
        duty_cycle=total_s / hop_s,
        frontend_ms=frontend_ms,
        frontend_source=frontend_source,
        margin=margin,
        memory_model=target.memory.describe() if target.memory else "zero-wait memory (no flash model for this target)",
    )


def _front_end_time(front_end: FrontEndCost | None, target: Target) -> tuple[float | None, str]:
    """The front end's milliseconds per window hop on the target, and where they come from."""
    if front_end is None:
        return None, "not on the device"
    cycles = front_end.cycles_per_window_hop
    if cycles is None:
        return (
            None,
            f"not measured ({front_end.skipped or 'the application did not run'}): "
            "the duty cycle is the network's only",
        )
    scaled = cycles * CORTEX_M4_COREMARK_PER_MHZ / target.coremark_per_mhz
    return scaled / (target.cpu_mhz * 1e3), (
        f"{emulator.timing_label(target.memory)}, in QEMU with the model (scaled by CoreMark/MHz)"
    )


def _device_front_end(trained: TrainedModel, hop_samples: int = 0) -> tuple[DeviceFrontEnd | None, str | None]:
    """The front end as the device computes it (a window every ``hop_samples``, 0: as
    trained), or why it does not run there."""
    try:
        device = DeviceFrontEnd.of(trained.frontend)
    except FrontEndNotSupported as reason:
        return None, str(reason)
    return (device.with_window_hop(hop_samples) if hop_samples else device), None


def _planned_front_end(device: DeviceFrontEnd, name: str, int8_fp: ModelFootprint, decision_ram: int) -> FrontEndCost:
    memory = device.memory()
    in_arena = memory.scratch_in_arena(int8_fp.ram_bytes)  # as build_app_firmware decides
    bands = f"{device.n_mels} mels" + (f", {device.n_mfcc} MFCC" if device.n_mfcc else "")
    decision = f" + event decision layer {decision_ram} B" if decision_ram else ""
    return FrontEndCost(
        features=f"{name} {device.sample_rate} Hz, n_fft {device.n_fft}, hop {device.hop}, {bands}{decision}",
        planned_ram_bytes=memory.ram_bytes(in_arena) + decision_ram,
        scratch_bytes=memory.scratch_bytes,
        scratch_in_arena=in_arena,
        table_bytes=memory.table_bytes,
        hops_per_window_hop=device.window_hop_frames,
        hop_ms=device.hop / device.sample_rate * 1e3,
    )


def _application(
    trained: TrainedModel,
    device: DeviceFrontEnd,
    planned: FrontEndCost,
    int8_fp: ModelFootprint,
    firmware: FirmwareResult,
    target: Target,
    root,
    out_dir: Path,
    settings: DeploySettings,
) -> tuple[FrontEndCost, EndToEnd | None]:
    """Link front end + model into one firmware, stream a test recording through it in QEMU
    and compare its probabilities with host predict's."""
    if firmware.skipped or not firmware.linker_fits:
        return dataclasses.replace(planned, skipped=firmware.skipped or "the model alone does not fit"), None
    work = out_dir / "device_app"
    decision = settings.decision
    try:
        build = build_app_firmware(
            Path(firmware.c_source).parent,
            int8_fp.ram_bytes,
            device,
            target,
            root,
            work,
            decision=(decision, tuple(trained.class_names)),
        )
    except CmsisDspMissing as missing:
        if settings.emulator == "true":
            raise
        return dataclasses.replace(planned, skipped=str(missing)), None
    link = build.link
    linked = dataclasses.replace(planned, linker_fits=link.fits, linker_verdict=link.message)
    if not link.fits:
        return linked, None
    linked = dataclasses.replace(
        linked,
        linker_flash_bytes=link.flash_bytes - firmware.flash_bytes,
        linker_ram_bytes=link.ram_bytes - firmware.ram_bytes,
    )
    recording = _test_recording(trained, device, settings.stream_seconds, work / "recording.wav")
    run = run_app(
        link.elf,
        pcm16(recording.audio),
        device,
        len(trained.class_names),
        root,
        work,
        memory=target.memory,
        decision=build.decision,
    )
    prediction = _host_predict(out_dir, recording.path, decision)
    host = prediction.windows
    if len(host) != run.windows:
        raise RuntimeError(
            f"the device made {run.windows} windows of {recording.path} and predict {len(host)}: "
            "their framing differs (a bug: please report it)"
        )
    device_labels = np.asarray(trained.class_names)[run.probabilities.argmax(axis=1)]
    end_to_end = EndToEnd(
        recording=recording.description,
        recording_s=len(recording.audio) / device.sample_rate,
        windows=run.windows,
        argmax_agreement=float(np.mean(device_labels == host["label"].to_numpy())),
        max_abs_diff_probability=float(np.abs(run.probabilities.max(axis=1) - host["probability"].to_numpy()).max()),
        model_cycles_per_window=run.model_cycles_per_window,
        **_event_comparison(prediction, run, decision, device, tuple(trained.class_names), build.decision),
    )
    measured = dataclasses.replace(
        linked, cycles_per_hop=run.frontend_cycles_per_hop, cycles_per_window=run.frontend_cycles_per_window
    )
    return measured, end_to_end


@dataclass(frozen=True)
class _Recording:
    path: Path
    audio: np.ndarray  # float32 mono at the front end's rate, a whole number of hops
    description: str


def _test_recording(trained: TrainedModel, device: DeviceFrontEnd, seconds: float, path: Path) -> _Recording:
    """Test clips back to back (real audio of the run's own test split), at least ``seconds``
    long when the split has that much, as one int16 WAV: what a microphone would deliver."""
    trained.datamodule.setup("test")
    clips = trained.datamodule.datasets["test"].clips
    wanted = int(seconds * device.sample_rate)
    taken, total = [], 0
    for clip in clips:
        if total >= wanted:
            break
        taken.append(clip.numpy())
        total += len(clip)
    audio = np.concatenate(taken).astype(np.float32)
    audio = audio[: len(audio) // device.hop * device.hop]
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, pcm16(audio), device.sample_rate, subtype="PCM_16")
    audio = pcm16(audio).astype(np.float32) / 32768  # what the WAV holds, for both sides
    return _Recording(path, audio, f"{len(taken)} test clips of {trained.datamodule.corpus.name} back to back")


def _host_predict(bundle_dir: Path, recording: Path, decision: EventDecision):
    """Host predict on ``recording`` with the int8 bundle, every window classified on its
    own (no silence gate, aggregation or unknown threshold), events by ``decision``."""
    settings = DecisionSettings(
        silence_db=float("-inf"), unknown_threshold=0.0, aggregate_windows=1, min_event_windows=1
    )
    predictor = Predictor(load_bundle(bundle_dir), settings, precision="int8", decision=decision)
    return predictor.predict_file(recording, progress=False)


def _event_comparison(
    prediction, run, decision: EventDecision, device: DeviceFrontEnd, class_names: tuple[str, ...], built: bool
) -> dict:
    """The device's events against host predict's on the same stream (EndToEnd's event fields)."""
    if not built:
        return {"decision": "not built: an analysis window is not a whole number of hops"}
    agreement = compare_events(prediction.events, run.events, class_names)
    return {
        "decision": json.dumps(dataclasses.asdict(decision)),
        "host_events": agreement.host_events,
        "device_events": agreement.device_events,
        "event_agreement": agreement.agreement,
        "event_max_abs_diff_probability": agreement.max_abs_diff_probability,
        "decision_cycles_per_window": run.decision_cycles_per_window,
        "decision_ram_bytes": application_ram(device, decision, len(class_names)),
    }


def _clip_accuracy(logits: np.ndarray, test, class_names) -> float:
    results = evaluate_windows(
        torch.from_numpy(logits), torch.from_numpy(test.labels), torch.from_numpy(test.clip_ids), class_names, "mean"
    )
    return results.accuracy


def _footprint(fp: ModelFootprint, target: Target, front_end: FrontEndCost | None = None) -> Footprint:
    """The model's size against the budgets; with the front end on the device, its tables
    and buffers count against the same budgets."""
    budgets = (
        fp.budgets(target, front_end.table_bytes, front_end.planned_ram_bytes) if front_end else fp.budgets(target)
    )
    return Footprint(
        n_parameters=fp.n_parameters,
        macc=fp.macc,
        flash_bytes=fp.weight_bytes,
        ram_bytes=fp.ram_bytes,
        ram_lower_bound_bytes=fp.plan.peak_live_bytes,
        budgets=tuple(BudgetCheck(b.what, b.need, b.budget, b.fits, b.verdict()) for b in budgets),
    )


def _kernel_placement(plan: KernelPlan) -> KernelPlacement:
    layers = plan.layers
    return KernelPlacement(
        on_kernels=tuple(f"{layer.node} ({layer.op_type}): {layer.kernel}" for layer in layers if layer.on_kernels),
        portable=tuple(f"{layer.node} ({layer.op_type}): {layer.reason}" for layer in layers if not layer.on_kernels),
        staged=tuple(f"{layer.node} ({layer.staged_bytes:,} B)" for layer in layers if layer.staged_bytes),
        weights_in_flash=plan.not_staged,
    )


def _code_path(layers: list[KernelLayer]) -> str:
    portable = sum(not layer.on_kernels for layer in layers)
    return f"soundbench int8 kernels ({len(layers) - portable} layers) + emx-onnx-cgen C ({portable} layers)"


def _layer_macc(layers: list[KernelLayer], costs) -> dict[str, int]:
    by_name = {c.node: c.macc for c in costs}
    return {layer.node: by_name.get(layer.node, 0) for layer in layers}


def _slowest_layers(layers: list[KernelLayer], costs, cycles: dict[str, float], n: int = 5) -> tuple[LayerTime, ...]:
    macc = _layer_macc(layers, costs)
    total = sum(cycles.values()) or 1.0
    ranked = sorted(layers, key=lambda layer: -cycles.get(layer.node, 0.0))[:n]
    return tuple(
        LayerTime(
            layer.node,
            layer.op_type,
            layer.kernel,
            cycles.get(layer.node, 0.0),
            cycles.get(layer.node, 0.0) / total,
            macc[layer.node],
            cycles.get(layer.node, 0.0) / macc[layer.node] if macc[layer.node] else None,
        )
        for layer in ranked
    )


def _write_layers(
    footprints: dict[str, ModelFootprint], layers: list[KernelLayer], cycles: dict[str, float], path: Path
) -> None:
    """One row per layer and precision; the int8 rows say what runs each layer on the device
    and its cycles per window (measured in the emulator, or estimated)."""
    runs_on = {layer.node: layer.kernel for layer in layers}
    lines = ["precision,node,op_type,output_shape,macc,runs_on,cycles,cycles_per_macc"]
    for precision, fp in footprints.items():
        for cost in fp.layers:
            row = f"{precision},{cost.node},{cost.op_type},{'x'.join(map(str, cost.output_shape))},{cost.macc}"
            if precision == "int8":
                c = cycles.get(cost.node, 0.0)
                per_macc = f"{c / cost.macc:.2f}" if cost.macc else ""
                row += f",{runs_on.get(cost.node, PORTABLE)},{c:.0f},{per_macc}"
            else:
                row += ",,,"
            lines.append(row)
    path.write_text("\n".join(lines) + "\n")


def _firmware(
    int8_path: Path,
    footprint: ModelFootprint,
    layers: list[KernelLayer],
    target: Target,
    root,
    out_dir: Path,
    test,
    int8_logits: np.ndarray,
    settings: DeploySettings,
) -> tuple[FirmwareResult, dict[str, float] | None]:
    """The firmware check, and the measured cycles per layer (None when the emulator did not run)."""
    missing = codegen.toolchain_missing() or emulator.emulator_missing()
    if settings.emulator == "false":
        return FirmwareResult(skipped="emulator=false"), None
    if missing:
        if settings.emulator == "true":
            raise RuntimeError(missing)
        return FirmwareResult(skipped=missing), None
    build = out_dir / "firmware"
    source = codegen.generate_c(int8_path, build, footprint.plan, layers)
    link = codegen.build_firmware(source, target, root, build)
    linked = FirmwareResult(
        linker_fits=link.fits,
        linker_verdict=link.message,
        sections=link.sections,
        flash_bytes=link.flash_bytes,
        ram_bytes=link.ram_bytes,
        c_source=str(source),
    )
    if not link.fits:
        return linked, None
    n = min(settings.emulator_windows, len(test.features))
    picked = np.linspace(0, len(test.features) - 1, n).astype(int)
    run = emulator.run_firmware(
        link.elf, test.features[picked], int8_logits.shape[1], root, build, memory=target.memory
    )
    parity = Parity.of(int8_logits[picked], run.outputs)
    measured = EmulatorCheck(
        emulator=f"qemu-system-arm -M {emulator.MACHINE}",
        windows=run.windows,
        max_abs_diff_vs_onnxruntime=parity.max_abs_diff,
        argmax_agreement=parity.argmax_agreement,
        bit_exact=parity.bit_exact,
        instructions_per_window=run.instructions_per_window,
        cycles_per_window_m4=run.cycles_per_window,
        zero_wait_cycles_per_window_m4=run.zero_wait_cycles_per_window,
        instructions_per_macc=run.instructions_per_window / footprint.macc,
        cycles_per_macc=run.cycles_per_window / footprint.macc,
        instruction_mix=run.class_counts,
    )
    # segment k is node k (the model calls the layer marker after every node); the last
    # segment, the model's return, is a few instructions and goes to the last layer
    cycles = {
        layer.node: run.segment_cycles[i] if i < len(run.segment_cycles) else 0.0 for i, layer in enumerate(layers)
    }
    if len(run.segment_cycles) > len(layers) and layers:
        cycles[layers[-1].node] += sum(run.segment_cycles[len(layers) :])
    return dataclasses.replace(linked, run=measured), cycles

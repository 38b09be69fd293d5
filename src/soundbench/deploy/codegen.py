"""C for the int8 model, and a Cortex-M4 firmware image whose link proves the fit.

1. ``emx-onnx-cgen`` turns the QOperator ONNX model into portable C (weights as ``const``
   arrays in flash, one loop nest per node). It declares intermediate tensors as locals; we
   rewrite each of them into a pointer into one static arena at the offset our memory plan
   gives it, so the RAM the firmware uses is the RAM the fit report states.
2. Every node that soundbench's Cortex-M4 kernels run (``soundbench.deploy.kernels``,
   ``embedded/kernels``) has its generated call replaced by a kernel call on the same arena
   addresses, with the kernel's constants and planned scratch; the portable loop stays for
   the others (the linker drops the unused ones). A layer marker after every node lets the
   emulator attribute cycles to layers.
3. ``arm-none-eabi-gcc`` compiles it with the harness in ``embedded/firmware`` against a
   linker script whose FLASH and RAM lengths are the target's budget: if the model does not
   fit, the link fails and we report by how many bytes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soundbench.deploy.graph import Graph, UnsupportedModelError
from soundbench.deploy.kernels import KernelLayer
from soundbench.deploy.memory_plan import MemoryPlan
from soundbench.deploy.targets import STACK_BYTES, Target

GCC = "arm-none-eabi-gcc"
TOOLCHAIN_HINT = (
    "install the Arm toolchain and emulator: apt-get install gcc-arm-none-eabi "
    "libnewlib-arm-none-eabi qemu-system-arm (see README, 'Deploying')"
)
#: the firmware is built for the core QEMU emulates (netduinoplus2: Cortex-M4F) whatever the
#: target; the target contributes its flash/RAM budget to the linker script
CORTEX_M4F_FLAGS = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
ARENA_SYMBOL = "sb_arena"
_TEMP_DECLARATION = re.compile(
    r"^(\s*)(?P<type>[A-Za-z_][A-Za-z0-9_ ]*?)\s+(?P<name>tmp\d+_\w+)(?P<dims>(\[\d+\])+);\s*$"
)
_NODE_CALL = re.compile(r"^(?P<indent>\s*)node(?P<index>\d+)_(?P<name>\w+)\(.*\);\s*$")
#: the firmware's layer marker, called after every node (the emulator counts per layer)
LAYER_MARKER = "sb_layer_done"


def firmware_dir(root: str | Path) -> Path:
    return Path(root) / "embedded" / "firmware"


def kernels_dir(root: str | Path) -> Path:
    return Path(root) / "embedded" / "kernels"


def toolchain_missing() -> str | None:
    """None when the cross compiler is installed, else what to install."""
    return None if shutil.which(GCC) else f"{GCC} not found; {TOOLCHAIN_HINT}"


def generate_c(
    int8_model: str | Path, out_dir: str | Path, plan: MemoryPlan, layers: list[KernelLayer] | None = None
) -> Path:
    """``model.c`` (weights, kernel calls, arena) and ``model_io.h`` (input/output location).
    ``layers`` (from :func:`soundbench.deploy.kernels.plan_kernels`, planned into ``plan``)
    says which nodes run on the int8 kernels; without it every node stays portable."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / "model.c"
    returncode, output = _run_generator(
        [
            "compile",
            str(int8_model),
            str(source),
            "--model-name",
            "model",
            "--large-weight-threshold",
            "0",
            "--large-temp-threshold",
            "0",
            "--no-restrict-arrays",
            "--color",
            "never",
        ]
    )
    if returncode != 0:
        raise UnsupportedModelError(
            f"emx-onnx-cgen cannot generate C for {int8_model}: " + _generator_error(output, Graph(int8_model))
        )
    graph = Graph(int8_model)
    code = _place_in_arena(source.read_text(), graph, plan)
    source.write_text(_call_kernels(code, graph, plan, layers or []))
    (out_dir / "model_io.h").write_text(_io_header(graph, plan))
    return source


def _run_generator(argv: list[str]) -> tuple[int, str]:
    """emx-onnx-cgen's command line, run in this process: its import takes 2 s, which a
    subprocess paid on every model (a search checks many). Its output is captured, and the
    root logger it configures is put back as it was."""
    from emx_onnx_cgen.cli import main

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            returncode = main(argv)
    except SystemExit as exit_:  # argparse errors
        returncode = exit_.code if isinstance(exit_.code, int) else 1
    except Exception as error:  # the generator's own errors: report them like its command line did
        output.write(f"\nerror: {type(error).__name__}: {error}\n")
        returncode = 1
    finally:
        root.handlers[:], root.level = handlers, level
    return returncode, output.getvalue()


def _generator_error(output: str, graph: Graph) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    message = next(
        (line for line in reversed(lines) if "rror" in line or "nsupported" in line), lines[-1] if lines else ""
    )
    for node in graph.nodes:  # name the node when the generator names only the op
        if node.op_type in message and node.name not in message:
            return f"{message} (op {node.op_type}, node {node.name!r})"
    return message


def _place_in_arena(code: str, graph: Graph, plan: MemoryPlan) -> str:
    """Turn ``T tmpK_name[1][a][b];`` locals of ``model()`` into ``T (*tmpK_name)[a][b]`` pointers
    into the arena, at the planned offset of the ONNX tensor the generator named it after."""
    by_c_name = {_c_identifier(name): name for name in graph.activations()}
    out, placed = [], 0
    for line in code.splitlines():
        match = _TEMP_DECLARATION.match(line)
        if match:
            c_name = match["name"].split("_", 1)[1]
            if c_name not in by_c_name:
                raise UnsupportedModelError(
                    f"generated temporary {match['name']} matches no tensor of the model; "
                    "the memory plan cannot place it"
                )
            inner = re.sub(r"^\[1\]", "", match["dims"])  # the generator's arrays carry the batch dim first
            offset = plan.offset_of(by_c_name[c_name])
            kind = f"{match['type']} (*){inner}"
            line = f"{match[1]}{match['type']} (*{match['name']}){inner} = ({kind})({ARENA_SYMBOL} + {offset});"
            placed += 1
        out.append(line)
    if placed == 0 and len(graph.nodes) > 1:
        raise UnsupportedModelError("found no temporaries to place in the arena: the generator's output format changed")
    code = "\n".join(out) + "\n"
    header = (
        f'#include "model_io.h"\n\nuint8_t {ARENA_SYMBOL}[SB_ARENA_BYTES] __attribute__((aligned({plan.alignment})));\n'
    )
    return header + code + _ENTRY_POINTS


def _call_kernels(code: str, graph: Graph, plan: MemoryPlan, layers: list[KernelLayer]) -> str:
    """Replace the generated call of each kernel-run node by the kernel call, and put a layer
    marker after every node call."""
    by_index = {layer.index: layer for layer in layers}
    out, calls = [], 0
    for line in code.splitlines():
        match = _NODE_CALL.match(line)
        if not match:
            out.append(line)
            continue
        index = int(match["index"])
        if index >= len(graph.nodes) or _c_identifier(graph.nodes[index].name) != match["name"]:
            raise UnsupportedModelError(
                f"generated call node{index}_{match['name']} matches no node of the model: "
                "the generator's output format changed"
            )
        layer = by_index.get(index)
        if layer is not None and layer.on_kernels:
            line = match["indent"] + _kernel_call(layer, graph.nodes[index], plan)
        out += [line, f"{match['indent']}{LAYER_MARKER}();"]
        calls += 1
    if calls != len(graph.nodes):
        raise UnsupportedModelError(f"found {calls} node calls for {len(graph.nodes)} nodes in the generated C")
    constants = "".join(layer.constants for layer in layers if layer.on_kernels)
    return (
        f'#include <string.h>\n#include "sb_nn.h"\n\n{constants}\n'
        "static inline void sb_view(const void *input, void *output, unsigned bytes) {\n"
        "    if (input != output) memmove(output, input, bytes);\n}\n\n"
        + _scratch_report(layers)
        + "\n".join(out)
        + "\n"
    )


def _scratch_report(layers: list[KernelLayer]) -> str:
    """``sb_model_report_scratch``: each kernel layer's planned scratch beside what the
    kernel's own ``*_scratch_bytes`` says it needs (the host build prints them; the firmware
    never calls it, so the linker drops it)."""
    lines = [
        f"    report({layer.index}, {layer.scratch_bytes - layer.staged_bytes}u, "
        f"{layer.kernel}_scratch_bytes(&sb_layer{layer.index}_params));"
        for layer in layers
        if layer.on_kernels and layer.scratch_bytes
    ]
    return (
        "void sb_model_report_scratch(void (*report)(int layer, uint32_t planned, uint32_t needed)) {\n"
        + "".join(line + "\n" for line in lines)
        + ("" if lines else "    (void)report;\n")
        + "}\n\n"
    )


def _kernel_call(layer: KernelLayer, node, plan: MemoryPlan) -> str:
    def address(offset: int) -> str:
        return f"{ARENA_SYMBOL} + {offset}"

    scratch = address(plan.scratch_offset(layer.index)) if layer.scratch_bytes else "0"
    source = layer.reads or node.input[0]
    return layer.call.format(
        input=address(plan.offset_of(source)), output=address(plan.offset_of(node.output[0])), scratch=scratch
    )


def _c_identifier(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]", "_", name).lower()


#: what the firmware harness calls: the model's input and output live in the arena too
_ENTRY_POINTS = (
    "\nfloat *sb_model_input(void) { return (float *)(sb_arena + SB_INPUT_OFFSET); }\n"
    "float *sb_model_output(void) { return (float *)(sb_arena + SB_OUTPUT_OFFSET); }\n"
    "void sb_model_run(void) { model((void *)(sb_arena + SB_INPUT_OFFSET), (void *)(sb_arena + SB_OUTPUT_OFFSET)); }\n"
)


def _io_header(graph: Graph, plan: MemoryPlan) -> str:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedModelError(
            f"the firmware harness expects one input and one output, got {graph.inputs} → {graph.outputs}"
        )
    source, sink = graph.value(graph.inputs[0]), graph.value(graph.outputs[0])
    return "\n".join(
        [
            "/* generated by soundbench.deploy.codegen: where the model's input and output live */",
            "#ifndef SOUNDBENCH_MODEL_IO_H",
            "#define SOUNDBENCH_MODEL_IO_H",
            "#include <stdint.h>",
            f"#define SB_ARENA_BYTES {plan.arena_bytes}",
            f"#define SB_INPUT_OFFSET {plan.offset_of(source.name)}",
            f"#define SB_INPUT_BYTES {source.nbytes}",
            f"#define SB_OUTPUT_OFFSET {plan.offset_of(sink.name)}",
            f"#define SB_OUTPUT_BYTES {sink.nbytes}",
            "extern uint8_t sb_arena[SB_ARENA_BYTES];",
            "float *sb_model_input(void);",
            "float *sb_model_output(void);",
            "void sb_model_run(void);",
            "void sb_model_report_scratch(void (*report)(int layer, uint32_t planned, uint32_t needed));",
            f"void {LAYER_MARKER}(void);  /* the harness defines it: a marker the emulator counts layers by */",
            "#endif",
            "",
        ]
    )


@dataclass
class LinkResult:
    elf: Path | None
    fits: bool
    message: str  # the linker's verdict in words
    sections: dict[str, int]  # .text/.data/.bss bytes (empty when the link failed)
    flash_overflow: int = 0
    ram_overflow: int = 0

    @property
    def flash_bytes(self) -> int:
        return self.sections.get("text", 0) + self.sections.get("data", 0)

    @property
    def ram_bytes(self) -> int:
        return self.sections.get("data", 0) + self.sections.get("bss", 0)  # bss includes the reserved stack


def build_firmware(
    model_c: Path, target: Target, root: str | Path, out_dir: str | Path, optimize: str = "-O2"
) -> LinkResult:
    """Compile the generated model with the harness and link it into the target's budget."""
    model_c = Path(model_c).resolve()
    firmware, kernels = firmware_dir(root).resolve(), kernels_dir(root).resolve()
    sources = [model_c, *sorted([*firmware.glob("*.c"), *kernels.glob("*.c")])]
    return link(sources, [model_c.parent, firmware, kernels], target, root, out_dir, optimize)


def link(
    sources: list[Path],
    includes: list[Path],
    target: Target,
    root: str | Path,
    out_dir: str | Path,
    optimize: str = "-O2",
    defines: tuple[str, ...] = (),
) -> LinkResult:
    """Compile ``sources`` for the Cortex-M4F with the harness's startup and linker script
    template, linked into the target's flash/RAM budget (the script's regions); an overflow
    is a verdict in bytes, not an error."""
    missing = toolchain_missing()
    if missing:
        raise RuntimeError(missing)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    script = out_dir / "link.ld"
    script.write_text(
        (firmware_dir(root) / "link.ld.in")
        .read_text()
        .replace("@FLASH_BYTES@", str(target.flash_budget))
        .replace("@RAM_BYTES@", str(target.ram_budget))
        .replace("@STACK_BYTES@", str(STACK_BYTES))
    )
    elf = out_dir / "firmware.elf"
    command = [
        GCC,
        *CORTEX_M4F_FLAGS,
        optimize,
        "-std=c99",
        "-ffunction-sections",
        "-fdata-sections",
        *(f"-D{d}" for d in defines),
        *(f"-I{i}" for i in includes),
        *(str(s) for s in sources),
        "-nostartfiles",
        "--specs=nano.specs",
        "-Wl,--gc-sections",
        "-T",
        str(script),
        "-lm",
        "-o",
        str(elf),
    ]
    result = _run_compiler(command, out_dir, "build.log")
    if result.returncode != 0:
        flash = _overflow(result.stderr, "FLASH")
        ram = _overflow(result.stderr, "RAM")
        if flash or ram:
            parts = ([f"flash by {flash:,} bytes"] if flash else []) + ([f"RAM by {ram:,} bytes"] if ram else [])
            return LinkResult(None, False, "does not fit: " + ", ".join(parts), {}, flash, ram)
        raise RuntimeError(f"firmware build failed (log: {out_dir / 'build.log'}):\n{result.stderr[-2000:]}")
    sections = elf_sections(elf)
    link = LinkResult(elf, True, "", sections)
    link.message = (
        f"fits: linked into {target.flash_budget:,} B flash / {target.ram_budget:,} B RAM "
        f"(.text {sections['text']:,} B, .data {sections['data']:,} B, "
        f".bss {sections['bss']:,} B incl. {STACK_BYTES:,} B stack)"
    )
    return link


HOST_CC = "cc"


def build_host(model_c: Path, root: str | Path, out_dir: str | Path) -> Path:
    """The generated model and the kernels' plain-C path as a host program
    (``embedded/host/main.c``): the same C the firmware runs, checkable against onnxruntime
    without an Arm toolchain or an emulator."""
    model_c, kernels = Path(model_c).resolve(), kernels_dir(root).resolve()
    sources = [model_c, Path(root).resolve() / "embedded" / "host" / "main.c", *sorted(kernels.glob("*.c"))]
    return compile_host(sources, [model_c.parent, kernels], out_dir, "model_host")


def compile_host(sources: list[Path], includes: list[Path], out_dir: str | Path, name: str) -> Path:
    """``sources`` built with the host's C compiler into ``out_dir/name`` (log: ``<name>_build.log``)."""
    if shutil.which(HOST_CC) is None:
        raise RuntimeError(f"no host C compiler ({HOST_CC}); apt-get install gcc")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    program = out_dir / name
    command = [HOST_CC, "-O2", "-std=c99", *(f"-I{i}" for i in includes), *map(str, sources), "-lm", "-o", str(program)]
    result = _run_compiler(command, out_dir, f"{name}_build.log")
    if result.returncode != 0:
        raise RuntimeError(f"host build failed (log: {out_dir / f'{name}_build.log'}):\n{result.stderr[-2000:]}")
    return program


def host_scratch(program: Path) -> list[tuple[int, int, int]]:
    """(layer, planned scratch bytes, bytes the kernel says it needs) of each kernel layer."""
    done = subprocess.run([str(program), "--scratch"], capture_output=True, text=True, check=True)
    return [tuple(int(v) for v in line.split()) for line in done.stdout.splitlines()]


def run_host(program: Path, windows, n_outputs: int):
    """Outputs of the host build for ``windows`` (float32, one model input each)."""
    work = Path(program).parent
    np.ascontiguousarray(windows, dtype="<f4").tofile(work / "windows.bin")
    done = subprocess.run([str(program), "windows.bin", "logits.bin"], capture_output=True, text=True, cwd=work)
    if done.returncode != 0:
        raise RuntimeError(f"{program} exited with {done.returncode}: {done.stderr[-2000:]}")
    return np.fromfile(work / "logits.bin", dtype="<f4").reshape(-1, n_outputs)


def _run_compiler(command: list[str], out_dir: Path, log_name: str) -> subprocess.CompletedProcess:
    """Run a compile/link command in ``out_dir``, keeping its command line and output in ``log_name`` there."""
    result = subprocess.run(command, capture_output=True, text=True, cwd=out_dir)
    (out_dir / log_name).write_text(" ".join(command) + "\n" + result.stdout + result.stderr)
    return result


def _overflow(stderr: str, region: str) -> int:
    match = re.search(rf"region [`']{region}' overflowed by (\d+) bytes", stderr)
    return int(match.group(1)) if match else 0


def elf_sections(elf: Path) -> dict[str, int]:
    """Berkeley-format sizes from ``arm-none-eabi-size``: text (code + constants), data, bss."""
    output = subprocess.run(["arm-none-eabi-size", "-B", str(elf)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(v) for v in output.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss}

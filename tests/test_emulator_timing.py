"""The Cortex-M4 cycle model applied to the QEMU instruction counts (deploy.emulator): the
TRM's corrections to the per-class costs, on hand-written disassembly with known counts."""

from __future__ import annotations

from collections import Counter

from soundbench.deploy.emulator import CYCLES, _ControlFlow, _cycles, _instruction_classes

#: a loop of 10 iterations: two pipelined loads, a dependent load, a store after a load, a
#: conditional branch back (taken 9 times, falling through once), then a VMOV pair
LOOP = {
    0x100: ("ldr", "r2, [r0, #4]"),
    0x102: ("ldr", "r3, [r1]"),  # after a load whose result (r2) it does not use: 1 cycle
    0x104: ("ldr", "r4, [r3]"),  # its address is the load before: not pipelined
    0x106: ("str", "r4, [r5]"),  # a store after a load: 1 cycle
    0x108: ("subs", "r6, #1"),
    0x10A: ("bne.n", "100 <loop>"),
    0x10C: ("vmov", "r0, r1, s0, s1"),  # two core registers: 2 cycles
    0x110: ("vmov", "s2, r2"),  # one: 1 cycle
    0x114: ("bx", "lr"),
}
EXECUTED = Counter({0x100: 10, 0x102: 10, 0x104: 10, 0x106: 10, 0x108: 10, 0x10A: 10, 0x10C: 1, 0x110: 1, 0x114: 1})


def cycles(code, executed):
    return _cycles(_instruction_classes(code, executed), code, executed, _ControlFlow.of(code))


def test_the_trm_corrections_to_the_class_costs():
    plain = 10 * (4 * CYCLES["load"] + CYCLES["alu"] + CYCLES["branch"]) + 2 * CYCLES["fp"] + CYCLES["branch"]
    pipelined, not_taken, vmov_pair = 10 * 2, 1 * (CYCLES["branch"] - 1), 1
    # 0x100 is a branch target (the loop's start), so its load is never taken as pipelined
    assert cycles(LOOP, EXECUTED) == plain - pipelined - not_taken + vmov_pair


def test_a_fall_through_that_another_branch_targets_is_charged_as_taken():
    code = {**LOOP, 0x116: ("b.n", "10c <after>")}  # now 0x10C is reached by a jump too
    executed = EXECUTED + Counter({0x116: 1})
    with_target = cycles(code, executed)
    assert with_target == cycles(LOOP, EXECUTED) + CYCLES["branch"] + (CYCLES["branch"] - 1)


def test_a_load_after_a_store_is_not_pipelined():
    code = {0x200: ("str", "r1, [r0]"), 0x202: ("ldr", "r2, [r3]"), 0x204: ("bx", "lr")}
    executed = Counter({0x200: 1, 0x202: 1, 0x204: 1})
    assert cycles(code, executed) == CYCLES["store"] + CYCLES["load"] + CYCLES["branch"]


def test_the_plugins_unaligned_access_cycles_are_read_per_segment(tmp_path):
    from soundbench.deploy.emulator import _executions

    counts = tmp_path / "insn_counts.txt"
    counts.write_text("0 100 5\n1 102 7\nstall 0 3 4\nstall 1 0 0\nunaligned 1 6\n")
    executions, stalls, unaligned = _executions(counts)
    assert [dict(e) for e in executions] == [{0x100: 5}, {0x102: 7}]
    assert stalls == [7.0, 0.0] and unaligned == [0.0, 6.0]

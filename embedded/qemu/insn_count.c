/* QEMU TCG plugin: count how often each guest instruction executes between calls to two
 * marker functions (the firmware's sb_marker_start / sb_marker_stop), split into segments
 * at each call of a third (sb_layer_done, called by the model after every layer). Writes
 * one line "<segment> <address hex> <count>" per instruction and segment to out=<path>;
 * segment k holds what ran after the k-th layer marker of a window (0: the first layer),
 * summed over windows.
 *
 * Usage: -plugin libinsn_count.so,start=<addr>,stop=<addr>[,layer=<addr>],out=<path>
 *
 * The few declarations below are the QEMU 7.2 plugin API (version 1) this file uses,
 * written out so that no QEMU source tree is needed to build it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_SEGMENTS 512

typedef struct {
    uint64_t address;
    uint64_t executed;   /* incremented inline by the translated code */
    uint64_t at_mark;    /* value of executed when the current segment began */
    uint64_t *segments;  /* executions per segment, summed over windows (allocated on use) */
} Counter;

/* counters are never moved once handed to QEMU: a list of fixed-size blocks */
#define BLOCK 4096
static Counter **blocks;
static size_t n_counters, n_blocks;
static uint64_t start_address, stop_address, layer_address;
static int measuring, segment, n_segments;
static char out_path[1024] = "insn_counts.txt";

static Counter *new_counter(uint64_t address) {
    if (n_counters == n_blocks * BLOCK) {
        blocks = realloc(blocks, (n_blocks + 1) * sizeof *blocks);
        blocks[n_blocks++] = calloc(BLOCK, sizeof(Counter));
    }
    Counter *counter = &blocks[n_counters / BLOCK][n_counters % BLOCK];
    n_counters++;
    counter->address = address;
    return counter;
}

#define EACH_COUNTER(c) for (size_t i = 0; i < n_counters; i++) for (Counter *c = &blocks[i / BLOCK][i % BLOCK]; c; c = NULL)

/* add what ran since the last mark to the current segment and start a new mark */
static void close_segment(void) {
    int s = segment < MAX_SEGMENTS ? segment : MAX_SEGMENTS - 1;
    EACH_COUNTER(c) {
        uint64_t delta = c->executed - c->at_mark;
        if (delta) {
            if (!c->segments) c->segments = calloc(MAX_SEGMENTS, sizeof(uint64_t));
            c->segments[s] += delta;
        }
        c->at_mark = c->executed;
    }
    if (s + 1 > n_segments) n_segments = s + 1;
}

static void on_start(unsigned int vcpu, void *unused) {
    EACH_COUNTER(c) c->at_mark = c->executed;
    measuring = 1;
    segment = 0;
}

static void on_layer(unsigned int vcpu, void *unused) {
    if (!measuring) return;
    close_segment();
    segment++;
}

static void on_stop(unsigned int vcpu, void *unused) {
    if (!measuring) return;
    close_segment();
    measuring = 0;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t address = qemu_plugin_insn_vaddr(insn);
        if (address == start_address)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (address == stop_address)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (layer_address && address == layer_address)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_layer, QEMU_PLUGIN_CB_NO_REGS, NULL);
        Counter *counter = new_counter(address);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &counter->executed, 1);
    }
}

static void write_counts(qemu_plugin_id_t id, void *unused) {
    FILE *out = fopen(out_path, "w");
    if (!out) return;
    EACH_COUNTER(c) {
        if (!c->segments) continue;
        for (int s = 0; s < n_segments; s++)
            if (c->segments[s])
                fprintf(out, "%d %llx %llu\n", s, (unsigned long long)c->address, (unsigned long long)c->segments[s]);
    }
    fclose(out);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "start=", 6) == 0) start_address = strtoull(argv[i] + 6, NULL, 0);
        else if (strncmp(argv[i], "stop=", 5) == 0) stop_address = strtoull(argv[i] + 5, NULL, 0);
        else if (strncmp(argv[i], "layer=", 6) == 0) layer_address = strtoull(argv[i] + 6, NULL, 0);
        else if (strncmp(argv[i], "out=", 4) == 0) snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
        else { fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]); return -1; }
    }
    if (!start_address || !stop_address) { fprintf(stderr, "insn_count: need start= and stop=\n"); return -1; }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_counts, NULL);
    return 0;
}

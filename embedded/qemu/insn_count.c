/* QEMU TCG plugin: count how often each guest instruction executes between calls to two
 * marker functions (the firmware's sb_marker_start / sb_marker_stop), split into segments
 * at each call of a third (sb_layer_done, called by the model after every layer). Writes
 * one line "<segment> <address hex> <count>" per instruction and segment to out=<path>;
 * segment k holds what ran after the k-th layer marker of a window (0: the first layer),
 * summed over windows.
 *
 * Usage: -plugin libinsn_count.so,start=<addr>,stop=<addr>[,layer=<addr>],out=<path>
 *        [,flash=<first>:<end>,ws=<wait states>,word=<flash read bytes>,
 *         icache=<bytes>,dcache=<bytes>,ways=<n>]
 *
 * With flash= the plugin also models the flash memory system, as an STM32's ART
 * accelerator presents it (RM0351 §3.3 for the L4): the flash is read one `word` (8 bytes:
 * 64 bits) at a time with `ws` wait states. Instruction fetches go through a prefetch buffer
 * (the next sequential word is read while the current one executes, so straight-line code
 * never waits) and an instruction cache of `icache` bytes; data reads from flash (weights,
 * tables) through a data cache of `dcache` bytes; both caches hold flash words, `ways`-way
 * set associative with LRU replacement. A fetch or read whose word is in neither costs `ws`
 * stall cycles. SRAM never stalls. The stall cycles of each segment are written as
 * "stall <segment> <instruction stalls> <data stalls>" lines.
 *
 * Always, the plugin charges unaligned single loads and stores as the Cortex-M4 does (TRM
 * r0p1 §3.3.2): a halfword-aligned word access or a byte-aligned halfword one +1 cycle, a
 * byte-aligned word access +2. Written as "unaligned <segment> <cycles>" lines.
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
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                          void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
_Bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);

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

/* --- the flash memory model ----------------------------------------------------------- */

typedef struct {
    uint64_t *tags;     /* sets × ways flash word numbers, (uint64_t)-1 when empty */
    uint64_t *last_use; /* for LRU */
    uint64_t sets, ways, clock;
} Cache;

static uint64_t flash_first, flash_end, wait_states, word_bytes = 8, cache_ways = 4;
static uint64_t icache_bytes, dcache_bytes, previous_fetch = (uint64_t)-1;
static Cache icache, dcache;
static uint64_t stall_fetch[MAX_SEGMENTS], stall_data[MAX_SEGMENTS], unaligned[MAX_SEGMENTS];

static void cache_init(Cache *cache, uint64_t bytes) {
    uint64_t lines = bytes / word_bytes;
    cache->ways = lines < cache_ways ? (lines ? lines : 1) : cache_ways;
    cache->sets = lines / cache->ways ? lines / cache->ways : 1;
    cache->tags = malloc(cache->sets * cache->ways * sizeof(uint64_t));
    cache->last_use = calloc(cache->sets * cache->ways, sizeof(uint64_t));
    for (uint64_t i = 0; i < cache->sets * cache->ways; i++) cache->tags[i] = (uint64_t)-1;
    if (!bytes) cache->sets = 0; /* no cache: every access misses */
}

/* 1 when `word` is cached (and now most recently used), else 0 after filling it in */
static int cache_access(Cache *cache, uint64_t word) {
    if (!cache->sets) return 0;
    uint64_t *tags = cache->tags + (word % cache->sets) * cache->ways;
    uint64_t *used = cache->last_use + (word % cache->sets) * cache->ways;
    uint64_t victim = 0;
    cache->clock++;
    for (uint64_t w = 0; w < cache->ways; w++) {
        if (tags[w] == word) {
            used[w] = cache->clock;
            return 1;
        }
        if (used[w] < used[victim]) victim = w;
    }
    tags[victim] = word;
    used[victim] = cache->clock;
    return 0;
}

static int in_flash(uint64_t address) { return address >= flash_first && address < flash_end; }

static int current_segment(void) { return segment < MAX_SEGMENTS ? segment : MAX_SEGMENTS - 1; }

/* an instruction that starts a new flash word: prefetched when sequential, else the I-cache */
static void on_fetch(unsigned int vcpu, void *userdata) {
    uint64_t word = (uint64_t)(uintptr_t)userdata;
    int sequential = word == previous_fetch + 1;
    int hit = cache_access(&icache, word);
    previous_fetch = word;
    if (measuring && !sequential && !hit) stall_fetch[current_segment()] += wait_states;
}

static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
    if (!measuring) return;
    const uint64_t size = 1u << qemu_plugin_mem_size_shift(info);
    if (size > 1 && vaddr % size) unaligned[current_segment()] += size == 4 && vaddr % 2 ? 2 : 1;
    if (!flash_end || qemu_plugin_mem_is_store(info) || !in_flash(vaddr)) return;
    uint64_t first = vaddr / word_bytes, last = (vaddr + size - 1) / word_bytes;
    for (uint64_t word = first; word <= last; word++)
        if (!cache_access(&dcache, word)) stall_data[current_segment()] += wait_states;
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
        if (flash_end) {
            uint64_t word = address / word_bytes;
            uint64_t before = i ? qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i - 1)) / word_bytes : (uint64_t)-1;
            if (in_flash(address) && word != before)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_fetch, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)word);
        }
        /* every access, stores filtered in on_access: QEMU 7.2 called a QEMU_PLUGIN_MEM_R callback
         * for STM and not for LDRD/LDM (seen in the conv kernel's loop) */
        qemu_plugin_register_vcpu_mem_cb(insn, on_access, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
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
    if (flash_end)
        for (int s = 0; s < n_segments; s++)
            fprintf(out, "stall %d %llu %llu\n", s, (unsigned long long)stall_fetch[s],
                    (unsigned long long)stall_data[s]);
    for (int s = 0; s < n_segments; s++)
        if (unaligned[s]) fprintf(out, "unaligned %d %llu\n", s, (unsigned long long)unaligned[s]);
    fclose(out);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "start=", 6) == 0) start_address = strtoull(argv[i] + 6, NULL, 0);
        else if (strncmp(argv[i], "stop=", 5) == 0) stop_address = strtoull(argv[i] + 5, NULL, 0);
        else if (strncmp(argv[i], "layer=", 6) == 0) layer_address = strtoull(argv[i] + 6, NULL, 0);
        else if (strncmp(argv[i], "out=", 4) == 0) snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
        else if (strncmp(argv[i], "flash=", 6) == 0) {
            char *end;
            flash_first = strtoull(argv[i] + 6, &end, 0);
            flash_end = *end == ':' ? strtoull(end + 1, NULL, 0) : 0;
        }
        else if (strncmp(argv[i], "ws=", 3) == 0) wait_states = strtoull(argv[i] + 3, NULL, 0);
        else if (strncmp(argv[i], "word=", 5) == 0) word_bytes = strtoull(argv[i] + 5, NULL, 0);
        else if (strncmp(argv[i], "icache=", 7) == 0) icache_bytes = strtoull(argv[i] + 7, NULL, 0);
        else if (strncmp(argv[i], "dcache=", 7) == 0) dcache_bytes = strtoull(argv[i] + 7, NULL, 0);
        else if (strncmp(argv[i], "ways=", 5) == 0) cache_ways = strtoull(argv[i] + 5, NULL, 0);
        else { fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]); return -1; }
    }
    if (!start_address || !stop_address) { fprintf(stderr, "insn_count: need start= and stop=\n"); return -1; }
    if (flash_end && (!word_bytes || !cache_ways)) { fprintf(stderr, "insn_count: word= and ways= must be > 0\n"); return -1; }
    cache_init(&icache, icache_bytes);
    cache_init(&dcache, dcache_bytes);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_counts, NULL);
    return 0;
}

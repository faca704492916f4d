/*
 * The few entry points of QEMU's TCG plugin interface that the instruction
 * profiler uses, declared from the interface's documentation (QEMU 10.0,
 * plugin API version 4). Debian's QEMU loads plugins (-plugin) but ships no
 * qemu-plugin.h, so the profiler carries its own declarations; they must
 * match the ABI QEMU exports (the functions are resolved against the QEMU
 * binary when it loads the plugin).
 */
#ifndef TOOLS_PROFILE_QEMU_PLUGIN_API_H
#define TOOLS_PROFILE_QEMU_PLUGIN_API_H
#include <stddef.h>
#include <stdint.h>

/* API level this plugin is written against: QEMU refuses a plugin whose
 * level is outside the [minimum, current] range it supports (10.0: up to 4). */
#define PROFILE_PLUGIN_API_VERSION 2

typedef uint64_t qemu_plugin_id_t;
struct qemu_info_t;                 /* only passed through: never read */
struct qemu_plugin_tb;              /* a translation block being translated */
struct qemu_plugin_insn;            /* one instruction of it */

/* Whether a callback reads or writes guest registers: these never do. */
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
/* cb runs every time the instruction executes (before it: an instruction
 * that faults is counted, and again when it is retried). */
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
#endif

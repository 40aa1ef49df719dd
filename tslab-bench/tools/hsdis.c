/* Minimal HotSpot disassembler plugin on capstone (x86-64), for -XX:+PrintAssembly and JMH perfasm. */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

typedef void *(*event_callback_t)(void *, const char *, void *);
typedef int (*printf_callback_t)(void *, const char *, ...);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_callback_t event_callback, void *event_stream,
                                  printf_callback_t printf_callback, void *printf_stream,
                                  const char *options, int newline) {
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        return NULL;
    }
    cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);
    const uint8_t *code = buffer;
    size_t size = length;
    uint64_t address = start_va;
    cs_insn *insn = cs_malloc(handle);
    while (address < end_va && cs_disasm_iter(handle, &code, &size, &address, insn)) {
        if (event_callback) event_callback(event_stream, "insn", (void *) (uintptr_t) insn->address);
        printf_callback(printf_stream, "%s\t%s", insn->mnemonic, insn->op_str);
        if (event_callback) event_callback(event_stream, "/insn", (void *) (uintptr_t) (insn->address + insn->size));
        if (newline) printf_callback(printf_stream, "\n");
    }
    cs_free(insn, 1);
    cs_close(&handle);
    return (void *) (uintptr_t) address;
}

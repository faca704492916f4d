/* Console before the device tree is read: SBI debug console (DBCN), with
 * the legacy console putchar as fallback for older firmware. */
#include <stdint.h>
#include <asm/sysreg.h>

void arch_early_putc(char c)
{
    struct sbiret r = sbi_call(SBI_EXT_DBCN, 2 /* write byte */, (unsigned char)c, 0, 0);
    if (r.error)
        sbi_call(0x01 /* legacy putchar */, 0, (unsigned char)c, 0, 0);
}

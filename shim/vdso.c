/*
 * vdso.c - find the vDSO's clock_gettime (see vdso.h).
 *
 * In the style of musl's src/internal/vdso.c: the vDSO's ELF header is at
 * getauxval(AT_SYSINFO_EHDR); its program headers give the load bias (the
 * PT_LOAD segment) and the dynamic section; DT_HASH gives the number of
 * symbols of DT_SYMTAB; a defined function of that name whose version
 * (DT_VERSYM, DT_VERDEF) is the expected one is the answer.  No vDSO (some
 * sandboxes, vdso=0 on the kernel command line) or no DT_HASH: the raw
 * system call.
 */
#include "shim/vdso.h"

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>

#include "shim/raw_syscall.h"

#if defined(__x86_64__)
#define VDSO_NAME "__vdso_clock_gettime"
#define VDSO_VERSION "LINUX_2.6"
#elif defined(__aarch64__)
#define VDSO_NAME "__kernel_clock_gettime"
#define VDSO_VERSION "LINUX_2.6.39"
#endif

typedef int (*mp_vdso_clock_fn)(clockid_t, struct timespec *);

static mp_vdso_clock_fn mp_vdso_clock;   /* atomic: set once by mp_clock_init */

static bool version_is(const ElfW(Verdef) *def, unsigned vsym, const char *want,
                       const char *strings)
{
	vsym &= 0x7fff;
	for (;;) {
		if (!(def->vd_flags & VER_FLG_BASE) && (def->vd_ndx & 0x7fff) == vsym)
			break;
		if (def->vd_next == 0)
			return false;
		def = (const ElfW(Verdef) *)((const char *)def + def->vd_next);
	}
	const ElfW(Verdaux) *aux = (const ElfW(Verdaux) *)((const char *)def + def->vd_aux);
	return strcmp(want, strings + aux->vda_name) == 0;
}

/* The vDSO's mapped text, [vdso_lo, vdso_hi): for mp_vdso_contains. */
static uintptr_t vdso_lo, vdso_hi;

static void *vdso_sym(const char *version, const char *name)
{
	uintptr_t ehdr = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	if (!ehdr)
		return NULL;
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)ehdr;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return NULL;
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t base = (uintptr_t)-1;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(ehdr + eh->e_phoff + i * eh->e_phentsize);
		if (ph->p_type == PT_LOAD && base == (uintptr_t)-1) {
			base = ehdr + ph->p_offset - ph->p_vaddr;
			vdso_lo = base + ph->p_vaddr;
			vdso_hi = vdso_lo + ph->p_memsz;
		}
		else if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(ehdr + ph->p_offset);
	}
	if (!dyn || base == (uintptr_t)-1)
		return NULL;
	const char *strings = NULL;
	const ElfW(Sym) *syms = NULL;
	const Elf_Symndx *hash = NULL;
	const ElfW(Half) *versym = NULL;
	const ElfW(Verdef) *verdef = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		void *p = (void *)(base + dyn->d_un.d_ptr);
		switch (dyn->d_tag) {
		case DT_STRTAB: strings = p; break;
		case DT_SYMTAB: syms = p; break;
		case DT_HASH: hash = p; break;
		case DT_VERSYM: versym = p; break;
		case DT_VERDEF: verdef = p; break;
		default: break;
		}
	}
	if (!strings || !syms || !hash)
		return NULL;
	if (!verdef)
		versym = NULL;
	for (size_t i = 0; i < hash[1]; i++) {   /* nchain: the number of symbols */
		unsigned type = ELF64_ST_TYPE(syms[i].st_info);
		unsigned bind = ELF64_ST_BIND(syms[i].st_info);
		if (type != STT_FUNC && type != STT_NOTYPE)
			continue;
		if (bind != STB_GLOBAL && bind != STB_WEAK)
			continue;
		if (syms[i].st_shndx == SHN_UNDEF || strcmp(name, strings + syms[i].st_name) != 0)
			continue;
		if (versym && !version_is(verdef, versym[i], version, strings))
			continue;
		return (void *)(base + syms[i].st_value);
	}
	return NULL;
}

bool mp_clock_init(void)
{
	/* acquire: pairs with the release below (the vDSO's pages, parsed
	 * once, before the pointer) */
	mp_vdso_clock_fn fn = __atomic_load_n(&mp_vdso_clock, __ATOMIC_ACQUIRE);
	if (!fn) {
		fn = (mp_vdso_clock_fn)vdso_sym(VDSO_VERSION, VDSO_NAME);
		/* A vDSO that cannot read the monotonic clock is no use. */
		struct timespec ts;
		if (fn && fn(CLOCK_MONOTONIC, &ts) != 0)
			fn = NULL;
		__atomic_store_n(&mp_vdso_clock, fn, __ATOMIC_RELEASE);
	}
	return fn != NULL;
}

bool mp_vdso_contains(uintptr_t pc)
{
	return pc >= vdso_lo && pc < vdso_hi;
}

bool mp_clock_uses_vdso(void)
{
	return __atomic_load_n(&mp_vdso_clock, __ATOMIC_ACQUIRE) != NULL;   /* as mp_clock_init */
}

int64_t mp_clock_ns_syscall(clockid_t clk)
{
	return mp_raw_clock_ns(clk);
}

int64_t mp_clock_ns(clockid_t clk)
{
	/* acquire: pairs with mp_clock_init's release (a plain mov on x86) */
	mp_vdso_clock_fn fn = __atomic_load_n(&mp_vdso_clock, __ATOMIC_ACQUIRE);
	if (fn) {
		struct timespec ts;
		/* The vDSO returns -errno in rax like the system call (it
		 * falls back to it itself for clocks it cannot read). */
		int r = fn(clk, &ts);
		if (r == 0)
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		return r < 0 ? r : -r;
	}
	return mp_raw_clock_ns(clk);
}

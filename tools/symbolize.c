/*
 * symbolize.c - a process's frames named from its mappings (symbolize.h).
 *
 * Each object of stacks.raw is reported to libdwfl at its load bias, as
 * the process had it; libdwfl then reads the static symbol table (.symtab)
 * as well as the dynamic one, so a program's own static functions get
 * their names, and the line tables of the DWARF data (in the file, or in
 * /usr/lib/debug by build id: Debian's -dbgsym packages) give file:line.
 * The objects are read as they are on disk now: one rebuilt since the run
 * would give wrong names (stacks.raw has no build ids to check).
 */
#include "tools/symbolize.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *debuginfo_path;

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,   /* NULL: the default, .debug and /usr/lib/debug */
};

/* Every object once (it has a mapping per executable segment).  A file
 * that cannot be opened is left out: its frames keep the library's names. */
static void report_objects(Dwfl *dwfl, const struct mp_raw *r)
{
	dwfl_report_begin(dwfl);
	for (size_t i = 0; i < r->nmaps; i++) {
		const struct mp_raw_map *m = &r->maps[i];
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = r->maps[k].bias == m->bias && !strcmp(r->maps[k].path, m->path);
		/* add_p_vaddr: the bias is where vaddr 0 is, prelinked or not */
		if (!seen)
			dwfl_report_elf(dwfl, m->path, m->path, -1, m->bias, true);
	}
	dwfl_report_end(dwfl, NULL, NULL);
}

/* file:line of at, by the line table of the CU that covers it.  libdwfl
 * finds the CU by .debug_aranges, which clang does not emit (and elfutils
 * 0.188 does not make up for): then every CU is asked. */
static const char *source_line(Dwfl_Module *mod, Dwarf_Addr at, int *lineno)
{
	Dwfl_Line *line = dwfl_module_getsrc(mod, at);
	if (line)
		return dwfl_lineinfo(line, NULL, lineno, NULL, NULL, NULL);
	Dwarf_Addr bias = 0;
	for (Dwarf_Die *cu = NULL; (cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL;) {
		if (dwarf_haspc(cu, at - bias) <= 0)
			continue;
		Dwarf_Line *l = dwarf_getsrc_die(cu, at - bias);
		return l && dwarf_lineno(l, lineno) == 0 ? dwarf_linesrc(l, NULL, NULL) : NULL;
	}
	return NULL;
}

static void name_frame(struct mp_raw_frame *f)
{
	char buf[600];
	uint64_t at = f->pc ? f->pc - 1 : 0;
	if (f->func)
		snprintf(buf, sizeof buf, "%s", f->func);
	else if (f->lib_name)
		snprintf(buf, sizeof buf, "%s", f->lib_name);
	else if (f->map)
		snprintf(buf, sizeof buf, "%s+0x%llx", mp_raw_object(f),
		         (unsigned long long)(at - f->map->bias));
	else
		snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)at);
	f->name = mp_xstrdup(buf);
}

void mp_symbolize(struct mp_raw *r)
{
	/* No network from the launcher: Debian's profile.d sets the variable
	 * for every login shell, and a download per library would make the
	 * report wait on the network.  Local debug files are still found. */
	unsetenv("DEBUGINFOD_URLS");
	Dwfl *dwfl = dwfl_begin(&callbacks);
	if (dwfl)
		report_objects(dwfl, r);
	for (size_t i = 0; i < r->nframes; i++) {
		struct mp_raw_frame *f = &r->frames[i];
		/* a return address: the call is the instruction before it */
		Dwarf_Addr at = f->pc ? f->pc - 1 : 0;
		Dwfl_Module *mod = dwfl && f->map ? dwfl_addrmodule(dwfl, at) : NULL;
		if (mod) {
			GElf_Off off = 0;
			GElf_Sym sym;
			const char *fn = dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL);
			if (fn && *fn) {
				/* "__libc_start_main@@GLIBC_2.34": the version is no
				 * part of the name (pprof and dladdr drop it too) */
				f->func = mp_xstrdup(fn);
				f->func[strcspn(f->func, "@")] = 0;
				f->func_off = off;
			}
			int lineno = 0;
			const char *src = source_line(mod, at, &lineno);
			if (src && *src && lineno > 0) {
				f->file = mp_xstrdup(src);
				f->line = lineno;
			}
		}
		name_frame(f);
	}
	if (dwfl)
		dwfl_end(dwfl);
}

#!/usr/bin/env bash
# make.sh: `make -j8` of a generated C project (48 files, gcc -O2), then the
# program runs; the binary and its output equal the plain run's.  Each of
# make's children is a capped process with its own P, so CPU/wall at -p 1 is
# not the one-P cap (reported, not checked).
name=make
. "$(dirname "$0")/lib.sh"
rw_need make gcc
rw_multiproc
src=$dir/src
mkdir "$src"
n=48
for ((i = 0; i < n; i++)); do
	cat >"$src/f$i.c" <<C
#include <stdint.h>
static uint64_t mix$i(uint64_t x)
{
	for (int k = 0; k < 64; k++)
		x = (x ^ (x >> 31)) * 0x9e3779b97f4a7c15ULL + $i;
	return x;
}
uint64_t f$i(uint64_t x)
{
	uint64_t t[16];
	for (int j = 0; j < 16; j++)
		t[j] = mix$i(x + (uint64_t)j);
	for (int j = 1; j < 16; j++)
		t[0] ^= t[j] << (j % 7);
	return t[0];
}
C
	objs+=" f$i.o"
done
{
	echo '#include <stdint.h>'
	echo '#include <stdio.h>'
	for ((i = 0; i < n; i++)); do echo "uint64_t f$i(uint64_t);"; done
	echo 'int main(void) { uint64_t s = 1;'
	for ((i = 0; i < n; i++)); do echo "s = f$i(s);"; done
	echo 'printf("%llu\n", (unsigned long long)s); return 0; }'
} >"$src/main.c"
printf 'CC = gcc\nCFLAGS = -O2 -Wall\nprog: main.o%s\n\t$(CC) -o $@ $^\n%%.o: %%.c\n\t$(CC) $(CFLAGS) -c $< -o $@\nclean:\n\trm -f *.o prog\n' \
	"$objs" >"$src/Makefile"

body() {
	# The same path in every run: the objects then match byte for byte.
	rm -rf "$dir/proj"
	cp -a "$src" "$dir/proj"
	rw make -s -j8 -C "$dir/proj"
	rw make -q -C "$dir/proj" prog
	rw "$dir/proj/prog"
	cp "$dir/proj/prog" "$1/prog"
}
rw_modes body prog

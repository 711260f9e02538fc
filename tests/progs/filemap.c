/* filemap: a MAP_PRIVATE file mapping keeps its private changes; other pages and the file stay as
 * written. The file lives in $TMPDIR (or /tmp) and is removed at the end unless $MOSTEST_KEEP is
 * set (the harness recovers one image twice and cleans up itself). */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "progs.h"

#define NAME "filemap"
#define SIZE (1UL << 20)
#define PAGE 4096UL
#define DIRTY_EVERY 5 /* pages 0, 5, 10, ... are changed in memory */

/* Return the file's byte at offset i. */
static uint8_t file_byte(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 12) + 3);
}

/* Return the private copy's byte at offset i. */
static uint8_t mem_byte(size_t i)
{
	size_t page = i / PAGE;
	return page % DIRTY_EVERY ? file_byte(i) : (uint8_t)~file_byte(i);
}

/* Write the 1 MiB file at path. */
static void write_file(const char *path)
{
	static uint8_t buf[SIZE];
	for (size_t i = 0; i < SIZE; i++)
		buf[i] = file_byte(i);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		progs_fail(NAME, "create %s: %m", path);
	if (write(fd, buf, SIZE) != (ssize_t)SIZE)
		progs_fail(NAME, "write %s: %m", path);
	close(fd);
}

/* Fail unless the file at path still holds what write_file put there. */
static void check_file(const char *path)
{
	static uint8_t buf[SIZE];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		progs_fail(NAME, "open %s after restore: %m", path);
	ssize_t n = read(fd, buf, SIZE);
	close(fd);
	if (n != (ssize_t)SIZE)
		progs_fail(NAME, "read %s: got %zd bytes of %lu", path, n, SIZE);
	for (size_t i = 0; i < SIZE; i++)
		if (buf[i] != file_byte(i))
			progs_fail(NAME, "file on disk changed at offset %#zx", i);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/mostest-filemap.%d", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid());
	write_file(path);

	int fd = open(path, O_RDONLY);
	if (fd < 0)
		progs_fail(NAME, "open %s: %m", path);
	uint8_t *map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		progs_fail(NAME, "mmap %s: %m", path);
	close(fd);
	for (size_t i = 0; i < SIZE; i += PAGE * DIRTY_EVERY)
		for (size_t j = i; j < i + PAGE; j++)
			map[j] = mem_byte(j);

	progs_wait(NAME);

	for (size_t i = 0; i < SIZE; i++)
		if (map[i] != mem_byte(i))
			progs_fail(NAME, "mapping at offset %#zx is %#x, want %#x (%s page)", i,
				   map[i], mem_byte(i),
				   (i / PAGE) % DIRTY_EVERY ? "clean" : "modified");
	check_file(path);
	if (!getenv("MOSTEST_KEEP") && unlink(path) != 0)
		progs_fail(NAME, "unlink %s: %m", path);
	progs_pass(NAME);
}

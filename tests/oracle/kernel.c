// SPDX-License-Identifier: MIT
/*
 * The kernel side of the differential test: the pin counters of
 * /proc/vmstat, read after /proc/sys/vm/stat_refresh, and the syscalls that
 * reach the kernel's pin paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "oracle.h"

int read_pins(struct counts *c)
{
	FILE *f;
	char name[64];
	unsigned long v;
	int found = 0;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* fold the per-CPU diffs, or small deltas read as 0 */
	if (fd < 0 || write(fd, "1", 1) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lu", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired")) {
			c->acquired = v;
			found++;
		} else if (!strcmp(name, "nr_foll_pin_released")) {
			c->released = v;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

int skip(struct result *r, const char *why)
{
	r->why = why;
	return SKIP;
}

static struct counts before;

void k_begin(void)
{
	read_pins(&before);
}

void k_end(struct result *r)
{
	struct counts after;

	read_pins(&after);
	r->acq = after.acquired - before.acquired;
	r->rel = after.released - before.released;
}

int uring_fd(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return (int)syscall(__NR_io_uring_setup, 4, &p);
}

/* io_uring buffer registration: pin_user_pages_fast(WRITE | LONGTERM). */
long uring_register(void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	int fd = uring_fd();
	long rc;

	if (fd < 0)
		return -errno;
	rc = syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1);
	if (rc < 0)
		rc = -errno;
	else
		syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
	close(fd);
	return rc;
}

const char *tmpfile_path = "/tmp/gupsim_oracle.dat";

int make_file(size_t len)
{
	int fd = open(tmpfile_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *zero;

	if (fd < 0)
		return -1;
	zero = calloc(1, len);
	if (!zero || write(fd, zero, len) != (ssize_t)len) {
		free(zero);
		close(fd);
		return -1;
	}
	free(zero);
	fsync(fd);
	return fd;
}

/* O_DIRECT: a short-term FOLL_PIN, released before the syscall returns. */
long odirect(void *buf, size_t len, int read_into_buf)
{
	int fd = make_file(len);
	long rc;

	if (fd < 0)
		return -errno;
	close(fd);
	fd = open(tmpfile_path, O_RDWR | O_DIRECT);
	if (fd < 0)
		return -errno;
	rc = read_into_buf ? pread(fd, buf, len, 0) : pwrite(fd, buf, len, 0);
	if (rc < 0)
		rc = -errno;
	close(fd);
	return rc;
}


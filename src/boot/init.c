/*
 * The whole user space of `tiny boot`: the kernel runs this as /init from the initramfs.
 * It mounts /proc, prints /proc/uptime and /proc/meminfo to the console between markers
 * that tiny looks for, and restarts the machine (qemu -no-reboot then exits).
 *
 * No libc: i386 system calls through int $0x80, so the binary is a few hundred bytes, runs
 * on any i386 kernel from 2.6.9 to today, and builds with nothing but a cross gcc.
 * Restart rather than power off: a 2.6.9 kernel without APM/ACPI cannot power off a PC and
 * would halt; the restart path (keyboard controller / triple fault) works on every kernel.
 */

#define SYS_exit 1
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5
#define SYS_close 6
#define SYS_mount 21
#define SYS_ioctl 54
#define SYS_reboot 88

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_RESTART 0x01234567
#define TCSBRK 0x5409

static long syscall5(long n, long a, long b, long c, long d, long e)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return r;
}

#define syscall3(n, a, b, c) syscall5(n, (long)(a), (long)(b), (long)(c), 0, 0)

static unsigned long length(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	syscall3(SYS_write, 1, s, length(s));
}

static void say_number(long v)
{
	char buf[16];
	int i = sizeof(buf);
	int negative = v < 0;
	unsigned long u = negative ? -v : v;
	buf[--i] = 0;
	do {
		buf[--i] = '0' + u % 10;
		u /= 10;
	} while (u && i > 1);
	if (negative)
		buf[--i] = '-';
	say(buf + i);
}

static char buffer[4096];

/* Copy a /proc file to the console; a negative errno when it cannot be read. */
static long cat(const char *path)
{
	long fd = syscall3(SYS_open, path, 0, 0);
	long n;
	if (fd < 0)
		return fd;
	while ((n = syscall3(SYS_read, fd, buffer, sizeof(buffer))) > 0)
		syscall3(SYS_write, 1, buffer, n);
	syscall3(SYS_close, fd, 0, 0);
	return n;
}

static void report(const char *what, long err)
{
	say("tiny-init: error: ");
	say(what);
	say(": errno ");
	say_number(-err);
	say("\n");
}

void __attribute__((noreturn)) _start(void)
{
	long r;

	say("tiny-init: started\n");
	r = syscall5(SYS_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0);
	if (r < 0)
		report("mount /proc", r);
	say("tiny-init: uptime ");
	r = cat("/proc/uptime");
	if (r < 0) {
		say("?\n");
		report("/proc/uptime", r);
	}
	say("tiny-init: meminfo begin\n");
	r = cat("/proc/meminfo");
	if (r < 0)
		report("/proc/meminfo", r);
	say("tiny-init: meminfo end\n");
	say("tiny-init: restart\n");
	/*
	 * tcdrain(1): wait until the serial console has sent all of it. The restart does not wait
	 * for the UART, and a kernel without printk prints nothing on the way down that would
	 * flush it first: the end of /proc/meminfo was sometimes lost, a good boot read as a failed one.
	 */
	syscall3(SYS_ioctl, 1, TCSBRK, 1);
	syscall5(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART, 0, 0);
	/* Not reached; if it is, init exits, the kernel panics, and panic=1 restarts. */
	report("reboot", -1);
	for (;;)
		syscall3(SYS_exit, 1, 0, 0);
}

/*
 * The whole user space of `tiny boot`: the kernel runs this as /init from the initramfs.
 * It mounts /proc, prints /proc/uptime and /proc/meminfo to the console between markers
 * that tiny looks for, and restarts the machine (qemu -no-reboot then exits).
 * With tiny.http=A.B.C.D on the kernel command line it first serves HTTP: eth0 gets the
 * address (netmask 255.255.255.0) and is brought up, and every GET on TCP port 80 is answered
 * with a fixed page, /proc/version and /proc/meminfo, until a GET of /restart (or 64 requests).
 * With tiny.kmalloc=1 it prints /proc/kmalloc (the kmalloc-accounting patch's census) last.
 *
 * No libc: i386 system calls through int $0x80, so the binary is a few kilobytes, runs
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
#define SYS_socketcall 102

/* socketcall(2) numbers (i386 has no socket system calls of its own before 4.3). */
#define SOCKET 1
#define BIND 2
#define LISTEN 4
#define ACCEPT 5
#define AF_INET 2
#define SOCK_STREAM 1
#define SIOCGIFFLAGS 0x8913
#define SIOCSIFFLAGS 0x8914
#define SIOCSIFADDR 0x8916
#define SIOCSIFNETMASK 0x891c
#define IFF_UP 0x1
#define IFF_RUNNING 0x40
#define HTTP_MAX_REQUESTS 64

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

/*
 * One initialised word, so the writable segment has bytes in the file: with only .bss in it
 * (p_filesz 0) Linux 2.6.12-rc2's ELF loader fails the exec, and the kernel says "No init
 * found". 2.6.9 and 2.6.11 load either.
 */
__attribute__((used)) static volatile int writable_segment_has_bytes = 1;

/* Write all of it (a socket may take less at a time); a negative errno when it cannot. */
static long put(long out, const char *s, long n)
{
	long w;
	while (n > 0) {
		w = syscall3(SYS_write, out, s, n);
		if (w <= 0)
			return w < 0 ? w : -5;
		s += w;
		n -= w;
	}
	return 0;
}

/* Copy a /proc file to fd `out`; a negative errno when it cannot be read. */
static long cat_to(long out, const char *path)
{
	long fd = syscall3(SYS_open, path, 0, 0);
	long n;
	if (fd < 0)
		return fd;
	while ((n = syscall3(SYS_read, fd, buffer, sizeof(buffer))) > 0)
		put(out, buffer, n);
	syscall3(SYS_close, fd, 0, 0);
	return n;
}

#define cat(path) cat_to(1, path)

static void report(const char *what, long err)
{
	say("tiny-init: error: ");
	say(what);
	say(": errno ");
	say_number(-err);
	say("\n");
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix)
		s++, prefix++;
	return *prefix == 0;
}

static long socketcall(long call, long a, long b, long c)
{
	long args[3] = { a, b, c };
	return syscall3(SYS_socketcall, call, args, 0);
}

/* The value of word=... on the kernel command line (/proc/cmdline), or 0. */
static char cmdline[512];
static const char *boot_option(const char *word)
{
	long fd = syscall3(SYS_open, "/proc/cmdline", 0, 0);
	long n = fd < 0 ? 0 : syscall3(SYS_read, fd, cmdline, sizeof(cmdline) - 1);
	char *p = cmdline;
	unsigned long i, len = length(word);
	if (fd >= 0)
		syscall3(SYS_close, fd, 0, 0);
	cmdline[n > 0 ? n : 0] = 0;
	while (*p) {
		for (i = 0; i < len && p[i] == word[i]; i++)
			;
		if (i == len && p[i] == '=') {
			char *v = p + i + 1, *e = v;
			while (*e && *e != ' ' && *e != '\n')
				e++;
			*e = 0;
			return v;
		}
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* A.B.C.D into four bytes in network order; 0 when it is not one. */
static int parse_ipv4(const char *s, unsigned char *out)
{
	int part, v;
	for (part = 0; part < 4; part++) {
		if (*s < '0' || *s > '9')
			return 0;
		for (v = 0; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (*s - '0');
		if (v > 255 || (part < 3 && *s++ != '.'))
			return 0;
		out[part] = v;
	}
	return *s == 0;
}

/* struct ifreq for eth0 with a struct sockaddr_in (family, port, address) in its union. */
static unsigned char ifreq[32];
static void ifreq_address(const unsigned char *a)
{
	int i;
	for (i = 0; i < 32; i++)
		ifreq[i] = 0;
	ifreq[0] = 'e', ifreq[1] = 't', ifreq[2] = 'h', ifreq[3] = '0';
	ifreq[16] = AF_INET;
	for (i = 0; i < 4; i++)
		ifreq[20 + i] = a[i];
}

static const char page[] =
	"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
	"tiny-init: served over TCP by a tiny kernel\n";
static char request[1024];

/*
 * Bring eth0 up with `address`/24, listen on port 80 and answer GETs until GET /restart.
 * Every failure is said on the console as "tiny-init: error: http ...".
 */
static void serve_http(const char *address)
{
	static const unsigned char netmask[4] = { 255, 255, 255, 0 };
	unsigned char a[4], port80[16] = { AF_INET, 0, 0, 80 };
	long s, c, r, n, served;
	int last;

	if (!parse_ipv4(address, a))
		return report("http: tiny.http= is not an IPv4 address", -22);
	s = socketcall(SOCKET, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return report("http: socket", s);
	ifreq_address(a);
	r = syscall3(SYS_ioctl, s, SIOCSIFADDR, ifreq);
	if (r < 0)
		return report("http: eth0 address (SIOCSIFADDR)", r);
	ifreq_address(netmask);
	r = syscall3(SYS_ioctl, s, SIOCSIFNETMASK, ifreq);
	if (r < 0)
		return report("http: eth0 netmask (SIOCSIFNETMASK)", r);
	r = syscall3(SYS_ioctl, s, SIOCGIFFLAGS, ifreq);
	if (r >= 0) {
		ifreq[16] |= IFF_UP | IFF_RUNNING;
		r = syscall3(SYS_ioctl, s, SIOCSIFFLAGS, ifreq);
	}
	if (r < 0)
		return report("http: eth0 up (SIOCSIFFLAGS)", r);
	r = socketcall(BIND, s, (long)port80, 16);
	if (r < 0)
		return report("http: bind port 80", r);
	r = socketcall(LISTEN, s, 4, 0);
	if (r < 0)
		return report("http: listen", r);
	say("tiny-init: http listening on ");
	say(address);
	say(":80\n");
	for (served = 0; served < HTTP_MAX_REQUESTS; served++) {
		c = socketcall(ACCEPT, s, 0, 0);
		if (c < 0)
			return report("http: accept", c);
		/* Read the request head: closing with unread bytes would reset the connection. */
		n = 0;
		while (n < (long)sizeof(request) - 1) {
			r = syscall3(SYS_read, c, request + n, sizeof(request) - 1 - n);
			if (r <= 0)
				break;
			n += r;
			if (n >= 4 && request[n - 4] == '\r' && request[n - 3] == '\n' && request[n - 2] == '\r' && request[n - 1] == '\n')
				break;
		}
		request[n] = 0;
		/* "GET /restart " ends the service once answered. */
		last = starts(request, "GET /restart ");
		put(c, page, sizeof(page) - 1);
		cat_to(c, "/proc/version");
		put(c, "meminfo begin\n", 14);
		cat_to(c, "/proc/meminfo");
		put(c, "meminfo end\n", 12);
		syscall3(SYS_close, c, 0, 0);
		say("tiny-init: http served ");
		for (n = 0; request[n] && request[n] != '\r' && n < 80; n++)
			;
		syscall3(SYS_write, 1, request, n);
		say("\n");
		if (last)
			break;
	}
}

void __attribute__((noreturn)) _start(void)
{
	const char *http;
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
	http = boot_option("tiny.http");
	if (http)
		serve_http(http);
	if (boot_option("tiny.kmalloc")) {
		say("tiny-init: kmalloc begin\n");
		r = cat("/proc/kmalloc");
		if (r < 0)
			report("/proc/kmalloc", r);
		say("tiny-init: kmalloc end\n");
	}
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

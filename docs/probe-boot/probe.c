/* boot probe: calls the system calls the optional-syscall options of the queue remove, prints what they
 * return (negative errno), then reboots. Static, no libc: i686-linux-gnu-gcc -nostdlib. */
typedef unsigned long ul;
static long sc(long n, long a, long b, long c, long d, long e)
{
	long r;
	__asm__ volatile ("push %%ebp; mov %7, %%ebp; int $0x80; pop %%ebp"
		: "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), "g"(0L) : "memory");
	return r;
}
static void out(const char *s) { int n = 0; while (s[n]) n++; sc(4, 1, (long)s, n, 0, 0); }
static void num(long v)
{
	char b[16]; int i = 15; int neg = v < 0; ul u = neg ? -v : v;
	b[i] = 0;
	do { b[--i] = '0' + u % 10; u /= 10; } while (u);
	if (neg) b[--i] = '-';
	out(b + i);
}
static void show(const char *name, long v) { out("probe: "); out(name); out(" = "); num(v); out("\n"); }
static long socketcall(int call, long *args) { return sc(102, call, (long)args, 0, 0, 0); }

void _start(void)
{
	long ctx = 0, id = 0, ts[2];
	show("ptrace(TRACEME)", sc(26, 0, 0, 0, 0, 0));
	show("vm86old(NULL)", sc(113, 0, 0, 0, 0, 0));
	show("io_setup(1)", sc(245, 1, (long)&ctx, 0, 0, 0));
	show("timer_create(REALTIME)", sc(259, 0, 0, (long)&id, 0, 0));
	show("clock_gettime(MONOTONIC)", sc(265, 1, (long)ts, 0, 0, 0));
	long sargs[3] = { 2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0 };
	long fd = socketcall(1, sargs);
	show("socket(INET, DGRAM)", fd);
	unsigned int mreq[2] = { 0xfb0000e0 /* 224.0.0.251 */, 0 };
	long oargs[5] = { fd, 0 /* IPPROTO_IP */, 35 /* IP_ADD_MEMBERSHIP */, (long)mreq, 8 };
	show("setsockopt(IP_ADD_MEMBERSHIP)", socketcall(14, oargs));
	unsigned int drvinfo[50] = { 3 /* ETHTOOL_GDRVINFO */ };
	struct { char name[16]; void *data; char pad[12]; } ifr = { "eth0", drvinfo };
	show("ioctl(SIOCETHTOOL, GDRVINFO)", sc(54, fd, 0x8946, (long)&ifr, 0, 0));
	long nargs[3] = { 16 /* AF_NETLINK */, 3 /* SOCK_RAW */, 4 /* NETLINK_TCPDIAG */ };
	long nl = socketcall(1, nargs);
	show("socket(NETLINK, TCPDIAG)", nl);
	/* A TCPDIAG_GETSOCK dump request for AF_INET: answered with IP_TCPDIAG, refused without. */
	unsigned int req[19] = { 76, 18 | (0x301 << 16), 1, 0, 2 /* family */, 0,0,0,0,0,0,0,0,0,0,0,0, 0xfff /* states */, 0 };
	unsigned int nladdr[3] = { 16, 0, 0 };
	long targs[6] = { nl, (long)req, sizeof req, 0, (long)nladdr, sizeof nladdr };
	show("sendto(TCPDIAG_GETSOCK)", socketcall(11, targs));
	static char reply[4096];
	long rargs[4] = { nl, (long)reply, sizeof reply, 0x40 /* MSG_DONTWAIT */ };
	show("recv(TCPDIAG reply)", socketcall(10, rargs));
	/* The memory and file calls: an anonymous mapping, a shared read-only mapping of this
	 * program's file, and the file itself. */
	long anon = sc(192 /* mmap2 */, 0, 8192, 3 /* PROT_READ|PROT_WRITE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1);
	long file = sc(5 /* open */, (long)"/sbin/init", 0 /* O_RDONLY */, 0, 0, 0);
	long map = sc(192 /* mmap2 */, 0, 4096, 1 /* PROT_READ */, 1 /* MAP_SHARED */, file);
	unsigned char vec[2];
	static char value[64];
	show("madvise(WILLNEED)", sc(219, map, 4096, 3 /* MADV_WILLNEED */, 0, 0));
	show("fadvise64(NORMAL)", sc(250, file, 0, 0, 4096, 0 /* POSIX_FADV_NORMAL */));
	show("readahead(4096)", sc(225, file, 0, 0, 4096, 0));
	show("mlock(4096)", sc(150, anon, 4096, 0, 0, 0));
	show("munlock(4096)", sc(151, anon, 4096, 0, 0, 0));
	show("msync(MS_SYNC)", sc(144, map, 4096, 4 /* MS_SYNC */, 0, 0));
	show("mincore(4096)", sc(218, map, 4096, (long)vec, 0, 0));
	show("getxattr(user.probe)", sc(229, (long)"/sbin/init", (long)"user.probe", (long)value, sizeof value, 0));
	/* remap_file_pages() wants a writable shared mapping: a new two-page file on the root. */
	long rw = sc(5 /* open */, (long)"/probe.dat", 0102 /* O_RDWR|O_CREAT */, 0600, 0, 0);
	sc(93 /* ftruncate */, rw, 8192, 0, 0, 0);
	long shared = sc(192 /* mmap2 */, 0, 8192, 3 /* PROT_READ|PROT_WRITE */, 1 /* MAP_SHARED */, rw);
	show("remap_file_pages(page 1 first)", sc(257, shared, 4096, 0, 1, 0));
	show("pivot_root(/, /)", sc(217, (long)"/", (long)"/", 0, 0, 0));
	/* Last, as it may move the mapping: 0 for an address (success), else -errno. Only the
	 * first page: mlock() split it from the second into a mapping of its own. */
	long moved = sc(163 /* mremap */, anon, 4096, 1 << 20, 1 /* MREMAP_MAYMOVE */, 0);
	show("mremap(grow to 1 MB)", moved < 0 && moved > -4096 ? moved : 0);
	out("probe: done\n");
	sc(88, 0xfee1dead, 672274793, 0x01234567, 0, 0);	/* reboot(RESTART) */
	for (;;) ;
}
void *memset(void *d, int c, ul n) { char *p = d; while (n--) *p++ = c; return d; }
void *memcpy(void *d, const void *s, ul n) { char *p = d; const char *q = s; while (n--) *p++ = *q++; return d; }

// probe: run inside (or outside) the sandbox, tries one thing and reports what happened.
// Built statically by the tests: cc -static -O2 -o probe Tests/Probe/probe.c
//
//   probe syscalls            one line "NAME ERRNO" per tried system call (0: it succeeded), then "alive"
//   probe syscall NAME...     the same for the named calls
//   probe setid DIR           one line "NAME ERRNO" per attempt to create a file in DIR through a
//                             mode argument (with and without S_ISUID/S_ISGID), then "alive"
//   probe filter FILE CMD...  install the BPF program in FILE (no_new_privs + seccomp), then run CMD
//   probe write PATH          errno of open(PATH, O_WRONLY|O_CREAT)
//   probe stat PATH           errno of stat(PATH)
//   probe connect PORT        errno of a TCP connect to 127.0.0.1:PORT
//   probe forkbomb            fork until it fails: "forks N errno E"
//   probe fds                 the open descriptors, one per line
//   probe readdir DIR         the entries of DIR in readdir(3) order, one per line
//
// The arguments of every call are chosen so that, even unfiltered and as root, nothing changes
// outside the probe: missing paths, bad descriptors, bad magic numbers.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long result(long r) { return r < 0 ? errno : 0; }

static long try_clone(unsigned long flags) {
    long r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    if (r < 0) return errno;
    waitpid((pid_t)r, NULL, 0);
    return 0;
}

static long try_socket(long domain, int type) {
    long fd = syscall(SYS_socket, domain, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    close((int)fd);
    return 0;
}

static long try_socketpair(long domain) {
    int sv[2];
    if (syscall(SYS_socketpair, domain, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return errno;
    close(sv[0]);
    close(sv[1]);
    return 0;
}

static long try_io_uring_setup(void) {
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    long fd = syscall(SYS_io_uring_setup, 1, &params);
    if (fd < 0) return errno;
    close((int)fd);
    return 0;
}

static long int80_unshare(void) {
    // i386 unshare(CLONE_NEWUSER) through the 32-bit entry point.
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(310L), "b"(0x10000000L) : "memory");
    return ret < 0 ? -ret : 0;
}

static long try_one(const char *name) {
    errno = 0;
    if (!strcmp(name, "mount")) return result(syscall(SYS_mount, "none", "/nonexistent-probe", "tmpfs", 0, 0));
    if (!strcmp(name, "umount2")) return result(syscall(SYS_umount2, "/nonexistent-probe", 0));
    if (!strcmp(name, "pivot_root")) return result(syscall(SYS_pivot_root, "/nonexistent-a", "/nonexistent-b"));
    if (!strcmp(name, "chroot")) return result(syscall(SYS_chroot, "/nonexistent-probe"));
    if (!strcmp(name, "setns")) return result(syscall(SYS_setns, -1, 0));
    if (!strcmp(name, "unshare_user")) return result(syscall(SYS_unshare, CLONE_NEWUSER));
    if (!strcmp(name, "unshare_net")) return result(syscall(SYS_unshare, CLONE_NEWNET));
    if (!strcmp(name, "unshare_files")) return result(syscall(SYS_unshare, CLONE_FILES));
    if (!strcmp(name, "clone_newuser")) return try_clone(CLONE_NEWUSER);
    if (!strcmp(name, "clone_newns")) return try_clone(CLONE_NEWNS);
    if (!strcmp(name, "clone3")) return result(syscall(435, NULL, 0));
    if (!strcmp(name, "fork")) return try_clone(0);
    if (!strcmp(name, "ptrace")) return result(syscall(SYS_ptrace, 12 /* GETREGS */, 999999999, 0, 0));
    if (!strcmp(name, "process_vm_readv")) {
        char buf[8];
        struct iovec l = {buf, 8}, r = {buf, 8};
        return result(syscall(SYS_process_vm_readv, 999999999, &l, 1, &r, 1, 0));
    }
    if (!strcmp(name, "keyctl")) return result(syscall(SYS_keyctl, 0, 12345678, 0, 0, 0));
    if (!strcmp(name, "add_key")) return result(syscall(SYS_add_key, NULL, NULL, NULL, 0, 0));
    if (!strcmp(name, "request_key")) return result(syscall(SYS_request_key, NULL, NULL, NULL, 0));
    if (!strcmp(name, "bpf")) return result(syscall(SYS_bpf, -1, NULL, 0));
    if (!strcmp(name, "perf_event_open")) return result(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    if (!strcmp(name, "userfaultfd")) return result(syscall(SYS_userfaultfd, -1));
    if (!strcmp(name, "kexec_load")) return result(syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
    if (!strcmp(name, "init_module")) return result(syscall(SYS_init_module, NULL, 0, ""));
    if (!strcmp(name, "finit_module")) return result(syscall(SYS_finit_module, -1, "", 0));
    if (!strcmp(name, "delete_module")) return result(syscall(SYS_delete_module, "nonexistent_probe_mod", O_NONBLOCK));
    if (!strcmp(name, "reboot")) return result(syscall(SYS_reboot, 0, 0, 0, NULL));
    if (!strcmp(name, "swapon")) return result(syscall(SYS_swapon, "/nonexistent-probe", 0));
    if (!strcmp(name, "swapoff")) return result(syscall(SYS_swapoff, "/nonexistent-probe"));
    if (!strcmp(name, "clock_settime")) {
        struct timespec ts = {0, 0};
        return result(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts));
    }
    if (!strcmp(name, "settimeofday")) return result(syscall(SYS_settimeofday, NULL, NULL));
    if (!strcmp(name, "tiocsti")) return result(syscall(SYS_ioctl, -1, 0x5412UL, "x"));
    if (!strcmp(name, "tiocsti_high_bits")) return result(syscall(SYS_ioctl, -1, 0x100005412UL, "x"));
    if (!strcmp(name, "tioclinux")) return result(syscall(SYS_ioctl, -1, 0x541CUL, "x"));
    if (!strcmp(name, "chmod_setuid")) return result(syscall(SYS_chmod, "/nonexistent-probe", 04755));
    if (!strcmp(name, "fchmodat_setgid")) return result(syscall(SYS_fchmodat, AT_FDCWD, "/nonexistent-probe", 02755));
    if (!strcmp(name, "chmod_plain")) return result(syscall(SYS_chmod, "/nonexistent-probe", 0755));
    if (!strcmp(name, "personality_linux32")) {
        long r = syscall(SYS_personality, 0x0008);
        if (r >= 0) syscall(SYS_personality, 0);
        return result(r);
    }
    if (!strcmp(name, "personality_query")) return result(syscall(SYS_personality, 0xffffffffUL));
    if (!strcmp(name, "socket_vsock")) return try_socket(AF_VSOCK, SOCK_STREAM);
    if (!strcmp(name, "socket_vsock_high_bits")) return try_socket(AF_VSOCK | (1L << 32), SOCK_STREAM);
    if (!strcmp(name, "socket_packet")) return try_socket(AF_PACKET, SOCK_DGRAM);
    if (!strcmp(name, "socket_alg")) return try_socket(AF_ALG, SOCK_SEQPACKET);
    if (!strcmp(name, "socket_bluetooth")) return try_socket(AF_BLUETOOTH, SOCK_STREAM);
    if (!strcmp(name, "socket_family_99")) return try_socket(99, SOCK_STREAM);
    if (!strcmp(name, "socketpair_vsock")) return try_socketpair(AF_VSOCK);
    if (!strcmp(name, "socket_unix")) return try_socket(AF_UNIX, SOCK_STREAM);
    if (!strcmp(name, "socket_inet")) return try_socket(AF_INET, SOCK_STREAM);
    if (!strcmp(name, "socket_inet6")) return try_socket(AF_INET6, SOCK_DGRAM);
    if (!strcmp(name, "socket_netlink")) return try_socket(AF_NETLINK, SOCK_DGRAM);
    if (!strcmp(name, "socketpair_unix")) return try_socketpair(AF_UNIX);
    if (!strcmp(name, "io_uring_setup")) return try_io_uring_setup();
    if (!strcmp(name, "io_uring_enter")) return result(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0));
    if (!strcmp(name, "io_uring_register")) return result(syscall(SYS_io_uring_register, -1, 0, NULL, 0));
    if (!strcmp(name, "int80_unshare")) return int80_unshare();
    if (!strcmp(name, "x32_getpid")) return result(syscall(39 | 0x40000000));
    fprintf(stderr, "probe: unknown syscall check %s\n", name);
    exit(2);
}

static const char *all[] = {
    "mount", "umount2", "pivot_root", "chroot", "setns", "unshare_user", "unshare_net", "unshare_files",
    "clone_newuser", "clone_newns", "clone3", "fork", "ptrace", "process_vm_readv", "keyctl", "add_key",
    "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "init_module", "finit_module",
    "delete_module", "reboot", "swapon", "swapoff", "clock_settime", "settimeofday", "tiocsti",
    "tiocsti_high_bits", "tioclinux", "chmod_setuid", "fchmodat_setgid", "chmod_plain",
    "personality_linux32", "personality_query", "int80_unshare", "x32_getpid", "socket_vsock",
    "socket_vsock_high_bits", "socket_packet", "socket_alg", "socket_bluetooth", "socket_family_99",
    "socketpair_vsock", "socket_unix", "socket_inet", "socket_inet6", "socket_netlink", "socketpair_unix",
    "io_uring_setup", "io_uring_enter", "io_uring_register", NULL,
};

/// Tries to create DIR/NAME with `mode` through one system call; 0 when it was created with the
/// mode's set-id bits (and is removed again), else the errno.
static long try_create(const char *dir, const char *name, long mode) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    long r;
    errno = 0;
    if (!strncmp(name, "openat2", 7)) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
        how.mode = (unsigned long long)mode;
        r = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    } else if (!strncmp(name, "openat_tmpfile", 14)) {
        r = syscall(SYS_openat, AT_FDCWD, dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    } else if (!strncmp(name, "openat", 6)) {
        r = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    } else if (!strncmp(name, "open", 4)) {
        r = syscall(SYS_open, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    } else if (!strncmp(name, "creat", 5)) {
        r = syscall(SYS_creat, path, mode);
    } else if (!strncmp(name, "mknodat", 7)) {
        r = syscall(SYS_mknodat, AT_FDCWD, path, S_IFREG | mode, 0);
    } else if (!strncmp(name, "mknod_fifo", 10)) {
        r = syscall(SYS_mknod, path, S_IFIFO | mode, 0);
    } else if (!strncmp(name, "mknod", 5)) {
        r = syscall(SYS_mknod, path, S_IFREG | mode, 0);
    } else {
        fprintf(stderr, "probe: unknown create check %s\n", name);
        exit(2);
    }
    if (r < 0) return errno;
    // -1: created, but without the set-id bits asked for (the kernel dropped them).
    struct stat st;
    int is_fd = !strncmp(name, "open", 4) || !strncmp(name, "creat", 5);
    long made = (is_fd ? fstat((int)r, &st) : stat(path, &st)) == 0 && (st.st_mode & 06000) == (mode & 06000) ? 0 : -1;
    if (is_fd) close((int)r);
    unlink(path);
    return made;
}

static const struct {
    const char *name;
    long mode;
} creates[] = {
    {"open_setuid", 04755},  {"openat_setuid", 04755},  {"openat_setgid", 02755}, {"openat_tmpfile_setuid", 04755},
    {"creat_setuid", 04755}, {"creat_setgid", 02755},   {"mknod_setuid", 04755},  {"mknodat_setuid", 04755},
    {"mknodat_setgid", 02755}, {"openat2_setuid", 04755}, {"open_plain", 0644},   {"openat_plain", 0644},
    {"openat_tmpfile_plain", 0644}, {"creat_plain", 0644}, {"mknod_plain", 0644}, {"mknodat_plain", 0644},
    {"mknod_fifo", 0644}, {NULL, 0},
};

static int install_filter(const char *path) {
    static unsigned char buf[65536 * 8];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n <= 0 || n % 8) return -1;
    struct sock_fprog prog = {(unsigned short)(n / 8), (struct sock_filter *)buf};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static int run(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "syscalls")) {
        for (int i = 0; all[i]; i++) {
            printf("%s %ld\n", all[i], try_one(all[i]));
            fflush(stdout);
        }
        printf("alive\n");
        return 0;
    }
    if (!strcmp(cmd, "syscall") && argc >= 3) {
        for (int i = 2; i < argc; i++) {
            printf("%s %ld\n", argv[i], try_one(argv[i]));
            fflush(stdout);
        }
        printf("alive\n");
        return 0;
    }
    if (!strcmp(cmd, "setid") && argc == 3) {
        for (int i = 0; creates[i].name; i++) {
            printf("%s %ld\n", creates[i].name, try_create(argv[2], creates[i].name, creates[i].mode));
            fflush(stdout);
        }
        // glibc's own open(2) without O_CREAT (it passes mode 0) still opens.
        printf("open_libc_rdonly %d\n", open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC) < 0 ? errno : 0);
        printf("alive\n");
        return 0;
    }
    if (!strcmp(cmd, "filter") && argc >= 4) {
        if (install_filter(argv[2]) < 0) {
            perror("probe: installing the filter");
            return 3;
        }
        return run(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "write") && argc == 3) {
        int fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
        printf("errno %d\n", fd < 0 ? errno : 0);
        return 0;
    }
    if (!strcmp(cmd, "stat") && argc == 3) {
        struct stat st;
        printf("errno %d\n", stat(argv[2], &st) < 0 ? errno : 0);
        return 0;
    }
    if (!strcmp(cmd, "connect") && argc == 3) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)atoi(argv[2]));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        printf("errno %d\n", connect(s, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0);
        return 0;
    }
    if (!strcmp(cmd, "forkbomb")) {
        long forks = 0;
        for (;;) {
            pid_t p = fork();
            if (p == 0) {
                pause();
                _exit(0);
            }
            if (p < 0) break;
            forks++;
            if (forks > 100000) break;
        }
        printf("forks %ld errno %d\n", forks, errno);
        return 0;
    }
    if (!strcmp(cmd, "readdir") && argc == 3) {
        DIR *d = opendir(argv[2]);
        if (!d) return 3;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) printf("%s\n", e->d_name);
        }
        closedir(d);
        return 0;
    }
    if (!strcmp(cmd, "fds")) {
        DIR *d = opendir("/proc/self/fd");
        if (!d) return 3;
        struct dirent *e;
        int self = dirfd(d);
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
            printf("%s\n", e->d_name);
        }
        closedir(d);
        return 0;
    }
    fprintf(stderr, "probe: unknown command %s\n", cmd);
    return 2;
}

int main(int argc, char **argv) { return run(argc, argv); }

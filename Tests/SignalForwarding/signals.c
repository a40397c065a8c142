// Exercises the supervisor's signal forwarding (Sources/CReproSandbox/sandbox.c) as a parallel
// check uses it: two sandboxes registered at once, the first one leaving before the signal
// arrives. Prints "ok" and exits 0, or names what failed and exits 1. Built and run by
// ReproCLITests' SignalForwardingTests (a process of its own, since signals are process-wide).
#define _GNU_SOURCE
#include "CReproSandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static int fail(const char *what) {
    printf("%s\n", what);
    return 1;
}

int main(void) {
    int first[2], second[2];
    if (pipe2(first, O_NONBLOCK) < 0 || pipe2(second, O_NONBLOCK) < 0) return fail("pipe2 failed");
    if (repro_signals_forward(first[1]) < 0 || repro_signals_forward(second[1]) < 0) return fail("registering failed");
    repro_signals_restore(first[1]);  // the first run ends

    raise(SIGHUP);  // would end this process if no handler were left
    unsigned char b = 0;
    if (read(second[0], &b, 1) != 1 || b != SIGHUP) return fail("the signal did not reach the run still registered");
    if (read(first[0], &b, 1) != -1 || errno != EAGAIN) return fail("the signal reached a run no longer registered");

    repro_signals_restore(second[1]);  // the last run ends
    struct sigaction now;
    if (sigaction(SIGHUP, NULL, &now) < 0 || now.sa_handler != SIG_DFL) return fail("the original disposition was not restored");
    printf("ok\n");
    return 0;
}

/* runstat.c — run a command and report its wall time, CPU time and peak resident memory.
 *
 *   runstat [-o FILE] [-n RUNS] COMMAND [ARG...]
 *
 * The command's output passes through.  The figures go to FILE (default stderr) as lines
 * "wall_s=1.234 user_s=... sys_s=... maxrss_kb=... status=0"; with -n RUNS the command runs that
 * many times and the line gives the median wall time and the largest peak memory, plus
 * "p99_s=..." of the wall times.  Exit status: the command's (of its last run). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *outpath = NULL;
    int runs = 1, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) outpath = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--")) { i++; break; }
        else break;
    }
    if (i >= argc || runs < 1) {
        fprintf(stderr, "usage: runstat [-o FILE] [-n RUNS] COMMAND [ARG...]\n");
        return 2;
    }
    double *walls = malloc(sizeof(double) * (size_t)runs);
    if (!walls) return 1;
    double user = 0, sys = 0;
    long maxrss = 0;
    int status = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        pid_t pid = fork();
        if (pid < 0) { perror("runstat: fork"); return 1; }
        if (pid == 0) {
            execvp(argv[i], argv + i);
            fprintf(stderr, "runstat: cannot run %s: %s\n", argv[i], strerror(errno));
            _exit(127);
        }
        int st;
        struct rusage ru;
        while (wait4(pid, &st, 0, &ru) < 0)
            if (errno != EINTR) { perror("runstat: wait4"); return 1; }
        walls[r] = now() - t0;
        user += (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
        sys += (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
        if (ru.ru_maxrss > maxrss) maxrss = ru.ru_maxrss;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    }
    qsort(walls, (size_t)runs, sizeof *walls, cmp_dbl);
    FILE *out = outpath ? fopen(outpath, "w") : stderr;
    if (!out) { perror(outpath); return 1; }
    fprintf(out, "wall_s=%.6f p99_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kb=%ld runs=%d status=%d\n",
            walls[runs / 2], walls[(size_t)((runs - 1) * 0.99)], user / runs, sys / runs, maxrss, runs, status);
    if (outpath && fclose(out) != 0) { perror(outpath); return 1; }
    free(walls);
    return status;
}

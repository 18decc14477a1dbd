/* replay_main.c — runs a fuzz target as a plain regression test over every file of its corpus folder.
 *
 * The binary is named replay_<target>; it reads tests/fuzz/<target>/ (or the folders given as
 * arguments) and calls LLVMFuzzerTestOneInput on each file.  A crash fails the test run; a clean
 * pass prints "PASS replay.<target>". */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) { fclose(f); return -1; }
    for (;;) {
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); fclose(f); return -1; }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) return 0;   /* an empty or missing corpus replays nothing */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (run_file(path) != 0) rc = -1;
        else (*count)++;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    const char *self = strrchr(argv[0], '/');
    self = self ? self + 1 : argv[0];
    const char *target = strncmp(self, "replay_", 7) == 0 ? self + 7 : self;
    size_t count = 0;
    int rc = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++) rc |= run_dir(argv[i], &count);
    } else {
        char dir[512];
        snprintf(dir, sizeof dir, "tests/fuzz/%s", target);
        rc = run_dir(dir, &count);
    }
    if (rc) printf("FAIL replay.%s: could not read some inputs\n", target);
    else printf("PASS replay.%s (%zu inputs)\n", target, count);
    return rc ? 1 : 0;
}

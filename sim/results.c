/*
 * results.c - atomic result files and the gnuplot runner.
 *
 * A file is written to DIR/.NAME.tmp.PID, fsync'ed and renamed over DIR/NAME,
 * which POSIX guarantees to be atomic within one file system.
 */
#include "sim/results.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

int results_mkdir(const char *dir, struct os_error *err)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return os_errorf(err, OS_EINVAL, "results: bad directory name '%s'", dir);
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return os_errorf(err, OS_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return os_errorf(err, OS_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return os_errorf(err, OS_EIO, "%s: not a directory", buf);
    return OS_OK;
}

int results_file_open(struct results_file *f, const char *dir, const char *name,
                      struct os_error *err)
{
    f->fp = NULL;
    int a = snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
    int b = snprintf(f->tmp, sizeof f->tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    if (a < 0 || b < 0 || (size_t)a >= sizeof f->path || (size_t)b >= sizeof f->tmp)
        return os_errorf(err, OS_EINVAL, "%s/%s: path too long", dir, name);
    f->fp = fopen(f->tmp, "w");
    if (!f->fp)
        return os_errorf(err, OS_EIO, "%s: cannot create: %s", f->tmp, strerror(errno));
    return OS_OK;
}

int results_file_commit(struct results_file *f, struct os_error *err)
{
    if (!f->fp)
        return os_errorf(err, OS_EINVAL, "%s: not open", f->path);
    int bad = ferror(f->fp) || fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
    int saved = errno;
    if (fclose(f->fp) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    f->fp = NULL;
    if (bad) {
        unlink(f->tmp);
        return os_errorf(err, OS_EIO, "%s: write failed: %s", f->path, strerror(saved));
    }
    if (rename(f->tmp, f->path) != 0) {
        saved = errno;
        unlink(f->tmp);
        return os_errorf(err, OS_EIO, "%s: cannot rename into place: %s", f->path, strerror(saved));
    }
    return OS_OK;
}

void results_file_abort(struct results_file *f)
{
    if (f->fp) {
        fclose(f->fp);
        f->fp = NULL;
    }
    unlink(f->tmp);
}

int results_write_json(const char *dir, const char *name, const cJSON *json, struct os_error *err)
{
    char *text = cJSON_Print(json);
    if (!text)
        return os_errorf(err, OS_ENOMEM, "%s/%s: out of memory", dir, name);
    struct results_file f;
    int rc = results_file_open(&f, dir, name, err);
    if (rc == OS_OK) {
        fputs(text, f.fp);
        fputc('\n', f.fp);
        rc = results_file_commit(&f, err);
    }
    free(text);
    return rc;
}

int results_gnuplot(const char *script, const char *dir, struct os_error *err)
{
    char expr[4200];
    if (strchr(dir, '\'') || strchr(dir, '"'))
        return os_errorf(err, OS_EINVAL, "%s: quotes in an output directory name", dir);
    snprintf(expr, sizeof expr, "dir='%s'", dir);
    char *argv[] = {"gnuplot", "-e", expr, (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    if (rc != 0)
        return os_errorf(err, OS_ENOENT,
                         "gnuplot not found (%s); install gnuplot-nox or run scripts/deps.sh",
                         strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return os_errorf(err, OS_EIO, "gnuplot %s: wait failed: %s", script, strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return os_errorf(err, OS_EIO, "gnuplot %s failed for %s (exit status %d)", script, dir,
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return OS_OK;
}

/*
 * sweep_mpi.c - `orchsim sweep` over MPI ranks (built only into orchsim-mpi,
 * with -DORCHSIM_MPI; see the Makefile).
 *
 *   mpirun -n N build/orchsim-mpi sweep SCENARIO.json --grid ... [-o DIR]
 *
 * Rank r runs the points with index % N == r, one after another in its own
 * process (each point's orchestrator uses -j threads, default 1), and turns
 * them into a table text exactly as a shard r+1/N would. Rank 0 gathers the
 * texts (MPI_Gather of the lengths, MPI_Gatherv of the bytes) and merges them
 * with the same code as `orchsim merge`, so its sweep.csv is byte-identical
 * to that of `orchsim sweep -j N`. Points are written to DIR/points/<i>/ by
 * the rank that runs them, so DIR should be on a file system all ranks see;
 * the table itself needs only rank 0's.
 *
 * MPI is the scale-out engine here (DESIGN.md): no home-made protocol. Every
 * rank validates the whole grid itself (cheap and deterministic), so all
 * ranks agree on failure without a message; only rank 0 reports.
 */
#include "sim/sweep.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

/* After MPI_Init: the run proper. Returns the same codes on every rank for
 * validation problems; a failure on any rank makes rank 0 fail. */
static int mpi_sweep(const struct sweep_opts *o, int rank, int size, struct schema_diag *d,
                     struct os_error *err)
{
    struct sweep_plan plan;
    int rc = sweep_check(o, &plan, d);
    if (rc != OS_OK)
        return rc;
    if (o->shard.n && size > 1) {
        rc = os_errorf(err, OS_EINVAL,
                       "sweep: --shard cannot be combined with %d MPI ranks (the ranks are the "
                       "shards)",
                       size);
        goto out;
    }
    /* Rank 0 creates the directory and sweep.json; the others wait for it. */
    int prep = OS_OK;
    if (rank == 0)
        prep = sweep_prepare_dir(&plan, err);
    MPI_Bcast(&prep, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (prep != OS_OK) {
        rc = prep;
        goto out;
    }
    unsigned r = (unsigned)rank, n = (unsigned)size;
    if (size == 1 && o->shard.n) {
        r = o->shard.k - 1;
        n = o->shard.n;
    }
    int point_jobs = o->run.jobs > 0 ? o->run.jobs : 1;
    char *csv = NULL;
    struct os_error lerr;
    int lrc = sweep_run_points(o, &plan, r, n, 1, point_jobs, &csv, &lerr);
    if (lrc == OS_OK && strlen(csv) > INT_MAX) {
        lrc = os_errorf(&lerr, OS_EFULL, "sweep: rank %d: table larger than 2 GiB", rank);
    }
    if (lrc != OS_OK && rank != 0)
        fprintf(stderr, "orchsim: rank %d: %s\n", rank, lerr.msg);

    int len = lrc == OS_OK ? (int)strlen(csv) : -1;
    int *lens = NULL, *displs = NULL;
    char *all = NULL;
    if (rank == 0) {
        lens = calloc((size_t)size, sizeof *lens);
        displs = calloc((size_t)size, sizeof *displs);
        if (!lens || !displs)
            MPI_Abort(MPI_COMM_WORLD, 2); /* cannot take part in the collectives */
    }
    MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
    long long total = 0;
    int failed_rank = -1;
    if (rank == 0) {
        for (int i = 0; i < size; i++) {
            if (lens[i] < 0) {
                if (failed_rank < 0)
                    failed_rank = i;
                lens[i] = 0;
            }
            displs[i] = (int)total;
            total += lens[i];
        }
        if (total > INT_MAX)
            MPI_Abort(MPI_COMM_WORLD, 2);
        all = malloc((size_t)total + 1);
        if (!all)
            MPI_Abort(MPI_COMM_WORLD, 2);
    }
    MPI_Gatherv(csv, len > 0 ? len : 0, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, MPI_COMM_WORLD);
    free(csv);

    if (rank != 0) {
        /* Nothing to report here: rank 0 speaks for the run. */
        rc = lrc;
        err->msg[0] = '\0';
        goto out;
    }
    if (lrc != OS_OK) {
        rc = os_errorf(err, lrc, "%s", lerr.msg);
    } else if (failed_rank >= 0) {
        rc = os_errorf(err, OS_EIO, "sweep: rank %d failed (see its message above); no table",
                       failed_rank);
    } else {
        struct sweep_input *in = calloc((size_t)size, sizeof *in);
        char(*names)[32] = calloc((size_t)size, sizeof *names);
        char *merged = NULL;
        if (!in || !names) {
            rc = os_errorf(err, OS_ENOMEM, "out of memory");
        } else if (size == 1) {
            /* One rank: its table is the whole table (or the shard's). */
            all[total] = '\0';
            char name[64];
            if (o->shard.n)
                snprintf(name, sizeof name, "shard-%u-of-%u.csv", o->shard.k, o->shard.n);
            else
                snprintf(name, sizeof name, "sweep.csv");
            rc = sweep_write_text(plan.dir, name, all, err);
            if (rc == OS_OK && !o->run.quiet)
                fprintf(stderr, "orchsim: sweep: %s/%s written\n", plan.dir, name);
        } else {
            for (int i = 0; i < size; i++) {
                snprintf(names[i], sizeof names[i], "rank %d", i);
                in[i] = (struct sweep_input){.name = names[i],
                                             .text = all + displs[i],
                                             .len = (size_t)lens[i],
                                             .shard = {.k = (unsigned)i + 1, .n = (unsigned)size}};
            }
            rc = sweep_merge_texts(in, (size_t)size, o->grid.npoints, &merged, err);
            if (rc == OS_OK)
                rc = sweep_write_text(plan.dir, "sweep.csv", merged, err);
            if (rc == OS_OK && !o->run.quiet)
                fprintf(stderr, "orchsim: sweep: %s/sweep.csv written (%d ranks)\n", plan.dir,
                        size);
        }
        free(merged);
        free(names);
        free(in);
    }
    free(all);
    free(displs);
    free(lens);
out:
    sweep_plan_destroy(&plan);
    return rc;
}

int sweep_mpi_run(const struct sweep_opts *o, struct schema_diag *d, struct os_error *err)
{
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited)
        MPI_Init(NULL, NULL);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    err->msg[0] = '\0';
    int rc = mpi_sweep(o, rank, size, d, err);
    if (rank != 0) {
        d->n = 0;
        err->msg[0] = '\0';
    }
    /* Let every rank finish its collectives before any exits. */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return rc;
}

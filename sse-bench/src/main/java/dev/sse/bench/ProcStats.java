package dev.sse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/** A process's CPU time from {@code /proc}, for the server CPU columns of the fan-out and cluster tables. */
final class ProcStats {

    /** USER_HZ on every Linux the bench runs on; /proc/PID/stat counts in it. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcStats() {
    }

    /**
     * @param pid a process id
     * @return its user plus system CPU time in nanoseconds, or -1 where there is no /proc
     */
    static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
            // The command name may hold spaces and parentheses; the fields after its last ')' are fixed.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * (1_000_000_000L / TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** CPU time between two readings, or -1 where either could not be taken. */
    static long between(long before, long after) {
        return before < 0 || after < 0 ? -1 : after - before;
    }
}

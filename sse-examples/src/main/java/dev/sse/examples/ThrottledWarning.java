package dev.sse.examples;

import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Reports a failure that can repeat many times a second (a refused accept, a shed request) at most once per interval,
 * as one line that says how many went unreported since the last one. Any thread; {@link #record} holds a lock only
 * to count, never while the line is written.
 */
final class ThrottledWarning {

    private final String what;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Consumer<String> sink;

    // Guarded by this.
    private boolean reported;
    private long quietUntil;
    private long unreported;

    /**
     * @param what what failed, the start of every line, e.g. "accept failed"
     * @param intervalNanos the least time between two lines
     * @param nanoTime the clock, {@code System::nanoTime} but in tests
     * @param sink where a line goes, e.g. a logger's {@code warn}
     */
    ThrottledWarning(String what, long intervalNanos, LongSupplier nanoTime, Consumer<String> sink) {
        this.what = what;
        this.intervalNanos = intervalNanos;
        this.nanoTime = nanoTime;
        this.sink = sink;
    }

    /**
     * Counts one failure, and reports it unless one was reported less than an interval ago.
     *
     * @param detail the failure, e.g. the exception's {@code toString()}
     * @return whether a line was written
     */
    boolean record(String detail) {
        long now = nanoTime.getAsLong();
        long skipped;
        synchronized (this) {
            if (reported && now - quietUntil < 0) {
                unreported++;
                return false;
            }
            skipped = unreported;
            unreported = 0;
            reported = true;
            quietUntil = now + intervalNanos;
        }
        sink.accept(what + ": " + detail + (skipped == 0 ? "" : " (and " + skipped + " more since the last report)")
                + "; next report in " + intervalNanos / 1_000_000_000L + " s at the earliest");
        return true;
    }
}

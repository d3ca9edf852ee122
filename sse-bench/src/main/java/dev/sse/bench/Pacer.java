package dev.sse.bench;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces broadcasts at a fixed rate from the moment it is made: turn {@code i} is due {@code i / rate} seconds after
 * the start, however late the turns before it ran, so a slow call does not shift the schedule. One caller's thread.
 *
 * <pre>
 * Pacer pacer = new Pacer(5);
 * for (int i = 0; i &lt; 20; i++) { pacer.awaitTurn(i); broadcast(); }
 * </pre>
 */
final class Pacer {

    private final long start = System.nanoTime();
    private final long periodNanos;

    /** @param perSecond turns per second, at least 1 */
    Pacer(int perSecond) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("perSecond must be at least 1 (was " + perSecond + ")");
        }
        this.periodNanos = 1_000_000_000L / perSecond;
    }

    /** Waits until turn {@code i} is due; returns at once if it is already. */
    void awaitTurn(int i) {
        long due = start + i * periodNanos;
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}

package dev.sse.servlet;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory every request body held by one {@link RequestBodies} may take together: the bytes of the buffers that
 * hold bodies being received or waiting to be handled. A body reserves room before its buffer grows and gives all of
 * it back once its request is answered; a reservation that would pass the budget is refused, and the reader sheds
 * that request with a {@code 503}. Thread-safe, lock-free.
 */
final class PendingBodies {

    private final long budget;
    private final AtomicLong reserved = new AtomicLong();

    /** @param budget the most bytes reserved at once, at least 1 */
    PendingBodies(long budget) {
        this.budget = budget;
    }

    long budget() {
        return budget;
    }

    long reserved() {
        return reserved.get();
    }

    /** @return false if {@code bytes} more would pass the budget, and then nothing was reserved */
    boolean tryReserve(long bytes) {
        long now;
        do {
            now = reserved.get();
            if (now + bytes > budget) {
                return false;
            }
        } while (!reserved.compareAndSet(now, now + bytes));
        return true;
    }

    void release(long bytes) {
        reserved.addAndGet(-bytes);
    }
}

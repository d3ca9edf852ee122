package dev.sse.examples.shared;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory every request body held by a {@link RequestBodies} may take together: the bytes of the buffers that hold
 * bodies being received or waiting to be published. A body reserves room before its buffer grows and gives all of it
 * back once its request is answered; a reservation that would pass the budget is refused, and the reader sheds that
 * request with a {@code 503}. Thread-safe, lock-free.
 */
public final class PendingBodies {

    private final long budget;
    private final AtomicLong reserved = new AtomicLong();

    /** @param budget the most bytes reserved at once, at least 1 */
    public PendingBodies(long budget) {
        this.budget = budget;
    }

    /** @return the budget in bytes */
    public long budget() {
        return budget;
    }

    /** @return the bytes reserved right now */
    public long reserved() {
        return reserved.get();
    }

    /**
     * @param bytes more bytes one body's buffer needs, at least 0
     * @return false if that would pass the budget, and then nothing was reserved
     */
    public boolean tryReserve(long bytes) {
        long now;
        do {
            now = reserved.get();
            if (now + bytes > budget) {
                return false;
            }
        } while (!reserved.compareAndSet(now, now + bytes));
        return true;
    }

    /** @param bytes bytes reserved earlier, given back */
    public void release(long bytes) {
        reserved.addAndGet(-bytes);
    }
}

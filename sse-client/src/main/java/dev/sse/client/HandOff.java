package dev.sse.client;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded queue between the reader thread and whoever consumes (the listener's drain task or a thread in
 * {@code next()}). Bounded by item count and by characters, so a slow consumer stops the reader, which stops
 * reading the socket: back-pressure reaches the server through TCP instead of growing memory here.
 *
 * <p>Threads: {@link #put} and {@link #finish} only from the reader thread; {@link #take} and {@link #poll} from
 * consumers; {@link #discard} from any thread. {@link #lock} guards every field; it is never held while calling out.
 */
final class HandOff {

    /** What {@link #take} and {@link #poll} return once the reader finished and every item was consumed. */
    static final Object END = new Object();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition notEmpty = lock.newCondition();
    private final ArrayDeque<Object> items = new ArrayDeque<>();
    private final int maxItems;
    private final long maxChars;
    private long chars;
    private boolean finished;
    private boolean discarded;
    private Object terminal;

    HandOff(int maxItems, long maxChars) {
        this.maxItems = maxItems;
        this.maxChars = maxChars;
    }

    /**
     * Queues an item, waiting while the queue is full. One item is always accepted into an empty queue whatever its
     * size.
     *
     * @return false if the queue was discarded (the client closed) and the item dropped
     */
    boolean put(Object item, int size) {
        lock.lock();
        try {
            while (!discarded && !items.isEmpty() && (items.size() >= maxItems || chars + size > maxChars)) {
                notFull.awaitUninterruptibly();
            }
            if (discarded) {
                return false;
            }
            items.add(item);
            chars += size;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The reader is done; {@code terminalItem} is what consumers see after the last item. */
    void finish(Object terminalItem) {
        lock.lock();
        try {
            finished = true;
            terminal = terminalItem;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops everything queued and refuses more: after {@code close()} nothing more is delivered. */
    void discard() {
        lock.lock();
        try {
            discarded = true;
            items.clear();
            chars = 0;
            notFull.signalAll();
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the next item.
     *
     * @return the item, or {@link #END} when the reader finished (or the queue was discarded) and nothing is left
     */
    Object take(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (items.isEmpty() && !finished && !discarded) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            return removeFirst();
        } finally {
            lock.unlock();
        }
    }

    /** @return the next item, {@link #END}, or null if nothing is queued yet */
    Object poll() {
        lock.lock();
        try {
            if (items.isEmpty() && !finished) {
                return null;
            }
            return removeFirst();
        } finally {
            lock.unlock();
        }
    }

    /** @return whether a {@link #poll} would return something */
    boolean ready() {
        lock.lock();
        try {
            return !items.isEmpty() || finished;
        } finally {
            lock.unlock();
        }
    }

    /** @return the terminal item given to {@link #finish}, or null */
    Object terminal() {
        lock.lock();
        try {
            return terminal;
        } finally {
            lock.unlock();
        }
    }

    private Object removeFirst() {
        Object item = items.poll();
        if (item == null) {
            return END;
        }
        chars -= SseClient.sizeOf(item);
        notFull.signal();
        return item;
    }
}

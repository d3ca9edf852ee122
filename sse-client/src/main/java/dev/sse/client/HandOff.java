package dev.sse.client;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded queue of {@link Item}s between the reader thread and whoever consumes (the listener's drain task or a
 * thread in {@code next()}). Bounded by item count and by characters, so a slow consumer stops the reader, which
 * stops reading the socket: back-pressure reaches the server through TCP instead of growing memory here. The
 * reader's last item, {@link Item.Closed}, is kept aside and returned after every other item, then again on every
 * later call.
 *
 * <p>Threads: {@link #put} and {@link #finish} only from the reader thread; {@link #take} and {@link #poll} from
 * consumers; {@link #discard} from any thread. {@link #lock} guards every field; it is never held while calling out.
 */
final class HandOff {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition notEmpty = lock.newCondition();
    private final ArrayDeque<Item> items = new ArrayDeque<>();
    private final int maxItems;
    private final long maxChars;
    private long chars;
    private boolean finished;
    private boolean discarded;
    private Item.Closed terminal;

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
    boolean put(Item item) {
        int size = item.chars();
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
    void finish(Item.Closed terminalItem) {
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
     * @return the item; the terminal item when the reader finished (or {@link Item.Closed#BY_APPLICATION} when the
     *         queue was discarded first) and nothing is left; null when the time ran out
     */
    Item take(long timeout, TimeUnit unit) throws InterruptedException {
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

    /** @return the next item, the terminal item once the reader finished, or null if nothing is queued yet */
    Item poll() {
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

    private Item removeFirst() {
        Item item = items.poll();
        if (item == null) {
            return terminal != null ? terminal : Item.Closed.BY_APPLICATION;
        }
        chars -= item.chars();
        notFull.signal();
        return item;
    }
}

package dev.sse.core;

/**
 * The hub's bounded log of broadcast frames, shared by every channel: a broadcast appends its encoded frame once, and
 * each channel reads it through its own cursor (a position in this log), filtering by its topics as it reads. Nothing
 * is copied per channel; a channel that must hold on to entries the log is about to lose takes references to their
 * frames (see {@link EventChannel#service}).
 *
 * <p>One writer at a time (the hub appends under its publish lock); any number of readers, without a lock. An entry
 * is published by the volatile write of {@link #tail} after its slot was written, and entries are immutable, so a
 * reader that sees a position below the tail sees its entry, or a newer one that overwrote it, which it tells by the
 * entry's position.
 */
final class FrameLog {

    /** One broadcast: its frame, topic ({@code null} for everyone), coalescing key, and position. */
    record Entry(long position, SseFrame frame, String topic, String key) {
    }

    private final Entry[] ring;
    private final int mask;
    private final long maxBytes;
    /** Next position to write; entries below it and at or above {@link #head} are readable. */
    private volatile long tail;
    /** Oldest position still held. */
    private volatile long head;
    // Written only by the appending thread.
    private volatile long bytes;

    /**
     * @param minFrames the fewest entries the log holds (rounded up to a power of two)
     * @param maxBytes the most bytes of frames it holds; the newest entry is always held
     */
    FrameLog(int minFrames, long maxBytes) {
        int size = Math.max(16, Integer.highestOneBit(Math.max(1, minFrames - 1)) << 1);
        this.ring = new Entry[size];
        this.mask = size - 1;
        this.maxBytes = maxBytes;
    }

    /** Appends one frame; call under the hub's publish lock. Costs the same whatever the number of readers. */
    long append(SseFrame frame, String topic, String key) {
        long pos = tail;
        long h = head;
        if (pos - h == ring.length) {
            bytes -= ring[(int) (h & mask)].frame().length();
            h++;
        }
        bytes += frame.length();
        while (bytes > maxBytes && h < pos) {
            bytes -= ring[(int) (h & mask)].frame().length();
            h++;
        }
        // Head first: a reader that sees the new tail never takes the overwritten slot for a live entry.
        head = h;
        ring[(int) (pos & mask)] = new Entry(pos, frame, topic, key);
        tail = pos + 1;
        return pos;
    }

    /** @return the position the next append takes */
    long tail() {
        return tail;
    }

    /** @return the oldest position still held */
    long head() {
        return head;
    }

    /** @return whether the log holds half the entries or bytes it may: from then on it starts to lose old ones */
    boolean halfFull() {
        return tail - head >= ring.length / 2 || bytes >= maxBytes / 2;
    }

    /** @return how many positions the log holds at most */
    int capacity() {
        return ring.length;
    }

    /**
     * Reads an entry.
     *
     * @return the entry at {@code position}, or {@code null} if the log no longer holds it (the reader fell behind)
     */
    Entry get(long position) {
        if (position < head) {
            return null;
        }
        Entry e = ring[(int) (position & mask)];
        return e == null || e.position() != position ? null : e;
    }
}

package dev.sse.core;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * One channel's bounded queue of frames and its slow-client policy. Not thread-safe: its {@link EventChannel} guards
 * every call with its lock. Runs no user code: coalescing keys arrive computed, with their frames.
 */
final class FrameQueue {

    /** What became of an {@link #add}: queued (possibly after dropping older frames), or the client must go. */
    enum Added { QUEUED, DISCONNECT }

    private final QueueLimits limits;
    private final ArrayDeque<SseFrame> frames = new ArrayDeque<>(4);
    /** Parallel to {@link #frames}, only under the coalescing policy. */
    private final ArrayDeque<Key> keys;
    private long bytes;
    private long dropped;
    private int droppedByLastAdd;

    FrameQueue(QueueLimits limits) {
        this.limits = limits;
        this.keys = limits.policy().kind() == SlowClientPolicy.Kind.COALESCE ? new ArrayDeque<>(4) : null;
    }

    /**
     * Appends a frame under the limits and the policy.
     *
     * @param key the frame's coalescing key, {@code null} for none
     */
    Added add(SseFrame frame, String key) {
        droppedByLastAdd = 0;
        if (!frames.isEmpty() && !fits(frame)) {
            switch (limits.policy().kind()) {
                case DISCONNECT:
                    return Added.DISCONNECT;
                case COALESCE:
                    coalesce(key);
                    dropOldestUntilFits(frame);
                    break;
                default:
                    dropOldestUntilFits(frame);
                    break;
            }
            dropped += droppedByLastAdd;
        }
        frames.addLast(frame);
        if (keys != null) {
            keys.addLast(new Key(key));
        }
        bytes += frame.length();
        return Added.QUEUED;
    }

    /** Appends a last frame (a farewell) whatever the limits: nothing follows it. */
    void addLastBeyondLimits(SseFrame frame) {
        frames.addLast(frame);
        if (keys != null) {
            keys.addLast(new Key(null));
        }
        bytes += frame.length();
    }

    /** Puts a frame ahead of everything queued (a replay, written before the live frames that waited for it). */
    void addFirst(SseFrame frame, String key) {
        frames.addFirst(frame);
        if (keys != null) {
            keys.addFirst(new Key(key));
        }
        bytes += frame.length();
    }

    SseFrame poll() {
        SseFrame f = frames.pollFirst();
        if (f != null) {
            if (keys != null) {
                keys.removeFirst();
            }
            bytes -= f.length();
        }
        return f;
    }

    void clear() {
        frames.clear();
        if (keys != null) {
            keys.clear();
        }
        bytes = 0;
    }

    boolean isEmpty() {
        return frames.isEmpty();
    }

    int size() {
        return frames.size();
    }

    long bytes() {
        return bytes;
    }

    long dropped() {
        return dropped;
    }

    /** Counts frames the channel lost elsewhere (its cursor fell behind the log) as dropped by its policy. */
    void countDropped(long n) {
        dropped += n;
    }

    /** @return how many frames the last {@link #add} discarded */
    int droppedByLastAdd() {
        return droppedByLastAdd;
    }

    boolean fits(SseFrame frame) {
        return frames.size() < limits.maxFrames() && bytes + frame.length() <= limits.maxBytes();
    }

    /** @return whether one more frame of some size could be queued: below both limits */
    boolean hasRoom() {
        return frames.size() < limits.maxFrames() && bytes < limits.maxBytes();
    }

    private void dropOldestUntilFits(SseFrame frame) {
        while (!frames.isEmpty() && !fits(frame)) {
            poll();
            droppedByLastAdd++;
        }
    }

    /** Drops every queued frame whose key some newer frame (queued, or the one arriving) also has. */
    private void coalesce(String incomingKey) {
        Set<String> newer = new HashSet<>();
        if (incomingKey != null) {
            newer.add(incomingKey);
        }
        Iterator<SseFrame> f = frames.descendingIterator();
        Iterator<Key> k = keys.descendingIterator();
        while (f.hasNext()) {
            SseFrame frame = f.next();
            String key = k.next().value;
            if (key != null && !newer.add(key)) {
                f.remove();
                k.remove();
                bytes -= frame.length();
                droppedByLastAdd++;
            }
        }
    }

    /** Boxes a nullable key: ArrayDeque takes no nulls. */
    private static final class Key {
        final String value;

        Key(String value) {
            this.value = value;
        }
    }
}

package dev.sse.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The default {@link EventHistory}: the most recent broadcasts in memory, bounded by count and by age.
 *
 * <pre>{@code
 * EventHistory history = InMemoryHistory.create(1000, Duration.ofMinutes(5));
 * Hub hub = Hub.builder().history(history).build();
 * }</pre>
 *
 * <p>How a {@code Last-Event-ID} is resolved:
 * <ul>
 *   <li>An id the history holds: everything broadcast after it is replayed, no gap.</li>
 *   <li>Otherwise, an id that is a decimal number is taken as a hub sequence number (the hub numbers the events that
 *       the application sent without an id). If it is at most the newest sequence, the events after it that are
 *       still held are replayed, and a gap is reported when some of those it missed were already evicted. If it
 *       is newer than anything this hub broadcast (for example an id from before a restart), nothing is replayed
 *       and a gap is reported: replaying from the start would send the client events it may have seen.</li>
 *   <li>Any other unknown id: nothing is replayed and a gap is reported.</li>
 * </ul>
 *
 * <p>Thread-safe: appends (one thread at a time, under the hub's lock) and replays (any thread) are guarded by this
 * object's monitor, held only to copy entries out, never during I/O.
 */
public final class InMemoryHistory implements EventHistory {

    private final int maxEvents;
    private final Duration maxAge;
    private final Clock clock;

    // Guarded by this.
    private final ArrayDeque<RecordedEvent> events = new ArrayDeque<>();
    private final Map<String, Long> sequenceById = new HashMap<>();
    private long evictedThrough;

    private InMemoryHistory(int maxEvents, Duration maxAge, Clock clock) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be at least 1 (was " + maxEvents + ")");
        }
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maxAge must be positive (was " + maxAge + ")");
        }
        this.maxEvents = maxEvents;
        this.maxAge = maxAge;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * A history of at most {@code maxEvents} events, none older than {@code maxAge}.
     *
     * @param maxEvents how many events to keep, at least 1
     * @param maxAge how long to keep an event, positive
     * @return the history
     */
    public static InMemoryHistory create(int maxEvents, Duration maxAge) {
        return new InMemoryHistory(maxEvents, maxAge, Clock.systemUTC());
    }

    /**
     * As {@link #create(int, Duration)}, with the clock that judges age.
     *
     * @param maxEvents how many events to keep, at least 1
     * @param maxAge how long to keep an event, positive
     * @param clock the clock
     * @return the history
     */
    public static InMemoryHistory create(int maxEvents, Duration maxAge, Clock clock) {
        return new InMemoryHistory(maxEvents, maxAge, clock);
    }

    @Override
    public synchronized void append(RecordedEvent event) {
        events.addLast(event);
        sequenceById.put(event.id(), event.sequence());
        while (events.size() > maxEvents) {
            evictOldest();
        }
        evictExpired();
    }

    @Override
    public synchronized Replay replay(String lastEventId, long upToSequence) {
        evictExpired();
        Long known = sequenceById.get(lastEventId);
        long after;
        boolean gap;
        if (known != null) {
            after = known;
            gap = false;
        } else {
            long asSequence = parseSequence(lastEventId);
            if (asSequence < 0 || asSequence > upToSequence) {
                return new Replay(List.of(), true);
            }
            after = asSequence;
            gap = asSequence < evictedThrough;
        }
        List<RecordedEvent> missed = new ArrayList<>();
        for (RecordedEvent e : events) {
            if (e.sequence() > upToSequence) {
                break;
            }
            if (e.sequence() > after) {
                missed.add(e);
            }
        }
        return new Replay(missed, gap);
    }

    /** @return how many events are held now */
    public synchronized int size() {
        evictExpired();
        return events.size();
    }

    private void evictExpired() {
        Instant oldestKept = clock.instant().minus(maxAge);
        while (!events.isEmpty() && events.peekFirst().time().isBefore(oldestKept)) {
            evictOldest();
        }
    }

    private void evictOldest() {
        RecordedEvent gone = events.removeFirst();
        evictedThrough = gone.sequence();
        // Only unmap the id if a later event did not reuse it.
        sequenceById.remove(gone.id(), gone.sequence());
    }

    private static long parseSequence(String id) {
        int n = id.length();
        if (n == 0 || n > 18) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    @Override
    public String toString() {
        return "InMemoryHistory{maxEvents=" + maxEvents + ", maxAge=" + maxAge + "}";
    }
}


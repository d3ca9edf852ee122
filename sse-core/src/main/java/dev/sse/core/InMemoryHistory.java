package dev.sse.core;

import dev.sse.core.spi.EventHistory;
import dev.sse.core.spi.RecordedEvent;
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
 * The default {@link EventHistory}: the most recent broadcasts in memory, bounded by count, by age and by the bytes
 * of their encoded frames, whichever binds first.
 *
 * <pre>{@code
 * EventHistory history = InMemoryHistory.builder().maxEvents(10_000).maxAge(Duration.ofMinutes(10)).build();
 * Hub hub = Hub.builder().history(history).build();
 * }</pre>
 *
 * <p>Defaults: {@value #DEFAULT_MAX_EVENTS} events, 5 minutes, {@value #DEFAULT_MAX_BYTES} bytes (64 MiB: a 1 GiB
 * heap keeps it with room to spare, however large or many the events; count and age alone let 50 events of 1 MiB
 * each pin hundreds of MiB once encoded).
 *
 * <p>How a {@code Last-Event-ID} is resolved:
 * <ul>
 *   <li>An id the history holds: everything broadcast after it is replayed, no gap.</li>
 *   <li>Otherwise, a decimal number between the first sequence this history recorded and the newest is taken as a
 *       hub sequence number (the hub numbers the events the application sent without an id, from its start time,
 *       see {@link Hub}): the events after it that are still held are replayed, and a gap is reported when some of
 *       those it missed were already evicted.</li>
 *   <li>Any other id (from before a restart, from another node, an application id no longer held, or no id this hub
 *       could have issued): a gap is reported and everything held is replayed, so the client learns it may have
 *       missed events and gets all that can still be given. It is never replayed "after" an id that only looks like
 *       one of this hub's, which would skip events silently.</li>
 * </ul>
 *
 * <p>Thread-safe: appends (one thread at a time, under the hub's lock) and replays (any thread) are guarded by this
 * object's monitor, held only to copy entries out, never during I/O.
 */
public final class InMemoryHistory implements EventHistory {

    /** Events kept by default. */
    public static final int DEFAULT_MAX_EVENTS = 1000;
    /** Bytes of encoded frames kept by default. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    private final int maxEvents;
    private final Duration maxAge;
    private final long maxBytes;
    private final Clock clock;

    // Guarded by this.
    private final ArrayDeque<RecordedEvent> events = new ArrayDeque<>();
    private final Map<String, Long> sequenceById = new HashMap<>();
    private long evictedThrough;
    /** The sequence of the first event ever appended, 0 before: where this incarnation's numbers begin. */
    private long firstSequence;
    private long bytes;

    private InMemoryHistory(Builder b) {
        this.maxEvents = b.maxEvents;
        this.maxAge = b.maxAge;
        this.maxBytes = b.maxBytes;
        this.clock = b.clock;
    }

    /**
     * A history of at most {@code maxEvents} events, none older than {@code maxAge}, and the default byte bound.
     *
     * @param maxEvents how many events to keep, at least 1
     * @param maxAge how long to keep an event, positive
     * @return the history
     */
    public static InMemoryHistory create(int maxEvents, Duration maxAge) {
        return builder().maxEvents(maxEvents).maxAge(maxAge).build();
    }

    /** @return a builder, with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public synchronized void append(RecordedEvent event) {
        if (firstSequence == 0) {
            firstSequence = event.sequence();
        }
        events.addLast(event);
        bytes += event.frame().length();
        sequenceById.put(event.id(), event.sequence());
        // The newest event stays even when it alone exceeds the byte bound: a resume just before it still works.
        while (events.size() > maxEvents || (bytes > maxBytes && events.size() > 1)) {
            evictOldest();
        }
        evictExpired();
    }

    /** @return the bytes of the encoded frames held now */
    public synchronized long bytes() {
        return bytes;
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
            if (firstSequence != 0 && asSequence >= firstSequence && asSequence <= upToSequence) {
                after = asSequence;
                gap = asSequence < evictedThrough;
            } else {
                after = Long.MIN_VALUE;
                gap = true;
            }
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
        bytes -= gone.frame().length();
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
        return "InMemoryHistory{maxEvents=" + maxEvents + ", maxAge=" + maxAge + ", maxBytes=" + maxBytes + "}";
    }

    /**
     * Builds an {@link InMemoryHistory}; every bound has a default.
     *
     * <pre>{@code
     * InMemoryHistory h = InMemoryHistory.builder().maxBytes(16 << 20).build();
     * }</pre>
     */
    public static final class Builder {
        private int maxEvents = DEFAULT_MAX_EVENTS;
        private Duration maxAge = Duration.ofMinutes(5);
        private long maxBytes = DEFAULT_MAX_BYTES;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * How many events to keep; default {@value InMemoryHistory#DEFAULT_MAX_EVENTS}.
         *
         * @param maxEvents at least 1
         * @return this builder
         */
        public Builder maxEvents(int maxEvents) {
            if (maxEvents < 1) {
                throw new IllegalArgumentException("maxEvents must be at least 1 (was " + maxEvents + ")");
            }
            this.maxEvents = maxEvents;
            return this;
        }

        /**
         * How long to keep an event; default 5 minutes.
         *
         * @param maxAge positive
         * @return this builder
         */
        public Builder maxAge(Duration maxAge) {
            Objects.requireNonNull(maxAge, "maxAge");
            if (maxAge.isNegative() || maxAge.isZero()) {
                throw new IllegalArgumentException("maxAge must be positive (was " + maxAge + ")");
            }
            this.maxAge = maxAge;
            return this;
        }

        /**
         * How many bytes of encoded frames to keep; default {@value InMemoryHistory#DEFAULT_MAX_BYTES}.
         *
         * @param maxBytes at least 1
         * @return this builder
         */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < 1) {
                throw new IllegalArgumentException("maxBytes must be at least 1 (was " + maxBytes + ")");
            }
            this.maxBytes = maxBytes;
            return this;
        }

        /**
         * The clock that judges age; default the system UTC clock.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @return the history */
        public InMemoryHistory build() {
            return new InMemoryHistory(this);
        }
    }
}


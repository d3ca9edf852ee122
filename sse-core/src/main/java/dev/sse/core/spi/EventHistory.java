package dev.sse.core.spi;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The hub's memory of recent broadcasts, from which a reconnecting client is replayed what it missed.
 *
 * <pre>{@code
 * Hub hub = Hub.builder().history(InMemoryHistory.create(1000, Duration.ofMinutes(5))).build();
 * Hub withoutReplay = Hub.builder().history(EventHistory.none()).build();
 * }</pre>
 *
 * <p>The hub calls {@link #append} while it holds its publish lock, in broadcast order, one thread at a time; it
 * must be quick. {@link #replay} runs on the thread that opens a channel, without the lock, concurrently with
 * appends; it may be slow (a remote store). Implementations must be thread-safe for that.
 */
public interface EventHistory {

    /**
     * Records a broadcast.
     *
     * @param event the broadcast, with a sequence greater than any appended before
     * @throws RuntimeException when the event cannot be kept; the broadcast then fails and takes no id, so the id
     *         sequence clients see has no silent hole
     */
    void append(RecordedEvent event);

    /**
     * Returns what a client that last saw {@code lastEventId} missed, up to and including {@code upToSequence}.
     *
     * @param lastEventId the id the client sent, never {@code null}
     * @param upToSequence the newest sequence to include; later ones reach the client live
     * @return the events after it, oldest first, and whether some were no longer held
     */
    Replay replay(String lastEventId, long upToSequence);

    /** @return a history that keeps nothing: every resume reports a gap and replays nothing */
    static EventHistory none() {
        return NoHistory.INSTANCE;
    }

    /**
     * The answer to a replay request.
     *
     * <pre>{@code
     * Replay r = history.replay("41", 50);
     * if (r.gap()) { ... }
     * }</pre>
     */
    final class Replay {
        private final List<RecordedEvent> events;
        private final boolean gap;
        private final String aheadThrough;
        private final Comparator<String> idOrder;

        /**
         * Makes an answer.
         *
         * @param events the events to replay, oldest first
         * @param gap {@code true} when the requested id is not held (too old, or unknown), so the client may have
         *            missed events that cannot be replayed
         */
        public Replay(List<RecordedEvent> events, boolean gap) {
            this.events = List.copyOf(events);
            this.gap = gap;
            this.aheadThrough = null;
            this.idOrder = null;
        }

        private Replay(String aheadThrough, Comparator<String> idOrder) {
            this.events = List.of();
            this.gap = false;
            this.aheadThrough = Objects.requireNonNull(aheadThrough, "aheadThrough");
            this.idOrder = Objects.requireNonNull(idOrder, "idOrder");
        }

        /**
         * The answer for a client that is ahead of this hub: it already saw {@code aheadThrough}, which is past
         * everything this hub has delivered so far (a node of a backplane that reads the shared log later than the
         * node the client came from). The hub replays nothing and drops its live frames whose id is at or before
         * {@code aheadThrough} in {@code idOrder}; the first id it delivers at or past it, whatever its topic, ends
         * the skip, so a client can never be silenced by an id that this hub will not deliver itself.
         *
         * <pre>{@code
         * return Replay.ahead("1718000000000-3", Comparator.comparing(StreamId::parse));
         * }</pre>
         *
         * @param aheadThrough the id the client has, strictly past this hub's position
         * @param idOrder the log's order of ids; an id it cannot place must compare as past {@code aheadThrough}, so
         *                that a doubt ends the skip (a duplicate is better than silence)
         * @return the answer: no events, no gap
         */
        public static Replay ahead(String aheadThrough, Comparator<String> idOrder) {
            return new Replay(aheadThrough, idOrder);
        }

        /**
         * @return the id the client is ahead through, which this hub has not delivered yet, or {@code null}
         * @see #ahead
         */
        public String aheadThrough() {
            return aheadThrough;
        }

        /** @return the log's order of ids when {@link #aheadThrough()} is set, else {@code null} */
        public Comparator<String> idOrder() {
            return idOrder;
        }

        /** @return the events to replay, oldest first */
        public List<RecordedEvent> events() {
            return events;
        }

        /** @return whether the client may have missed events that are not replayed */
        public boolean gap() {
            return gap;
        }
    }
}

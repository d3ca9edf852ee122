package dev.sse.bench.load;

/**
 * The load generator's only view of SSE parsing: bytes of one response body in, events out.
 *
 * <p>Shaped like {@code dev.sse.core.SseParser} (feed bytes, three-method listener) so that swapping the stand-in
 * {@link LineSplitter} for the real parser is the one line in {@link #create(Listener)}. One instance per
 * connection; not thread-safe.
 */
public interface EventDecoder {

    /** What the decoder reports; the same shape as {@code SseParser.Listener}. */
    interface Listener {
        /**
         * A dispatched event.
         *
         * @param type the event type, {@code "message"} when none was given
         * @param data the data, lines joined with LF
         * @param lastEventId the last event id seen on this stream, or {@code ""}
         */
        void onEvent(String type, String data, String lastEventId);

        /** @param comment a comment line without its leading colon */
        default void onComment(String comment) {
        }

        /** @param millis a valid {@code retry:} value */
        default void onRetry(long millis) {
        }
    }

    /**
     * Feeds body bytes; may call the listener any number of times.
     *
     * @param b bytes
     * @param off start
     * @param len count
     */
    void feed(byte[] b, int off, int len);

    /**
     * The decoder the generator uses. Stand-in until {@code dev.sse.core.SseParser} lands; then this becomes
     * {@code SseParser p = new SseParser(adapt(listener)); return p::feed;}.
     *
     * @param listener where events go
     * @return a new decoder
     */
    static EventDecoder create(Listener listener) {
        return new LineSplitter(listener);
    }
}

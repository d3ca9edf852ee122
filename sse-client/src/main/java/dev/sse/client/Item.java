package dev.sse.client;

import java.net.http.HttpHeaders;
import java.time.Duration;

/**
 * What the reader hands to a consumer, one item at a time and in stream order: the pull side's answer, which the
 * hand-off queue carries between threads and the listener pump turns into {@link SseListener} calls. Each kind
 * names the one listener call it stands for, so a new kind cannot be added without saying how it is delivered.
 * {@link Closed} is always the last item.
 */
sealed interface Item {

    /** Calls the listener method this item stands for, on the calling thread. */
    void deliverTo(SseListener listener);

    /** @return the characters this item holds, counted against the hand-off queue's bound */
    default int chars() {
        return 0;
    }

    /** A response opened a stream. */
    record Opened(int status, HttpHeaders headers) implements Item {
        @Override
        public void deliverTo(SseListener listener) {
            listener.onOpen(status, headers);
        }
    }

    /** A dispatched event. */
    record Event(MessageEvent event) implements Item {
        @Override
        public void deliverTo(SseListener listener) {
            listener.onEvent(event);
        }

        @Override
        public int chars() {
            return event.data().length();
        }
    }

    /** A comment line. */
    record Comment(String text) implements Item {
        @Override
        public void deliverTo(SseListener listener) {
            listener.onComment(text);
        }

        @Override
        public int chars() {
            return text.length();
        }
    }

    /** A failure; {@link SseException#willRetry()} tells whether more follows or {@link Closed} does. */
    record Failure(SseException error) implements Item {
        @Override
        public void deliverTo(SseListener listener) {
            listener.onError(error);
        }
    }

    /** The server ended the stream normally and the client reconnects after {@code delay}. */
    record StreamEnd(Duration delay) implements Item {
        @Override
        public void deliverTo(SseListener listener) {
            listener.onStreamEnd(delay);
        }
    }

    /**
     * The client stopped for good: the last item.
     *
     * @param status the status of the last response, 0 when none applies
     * @param headers that response's headers
     * @param error the fatal error that stopped the client, null when it stopped without one
     */
    record Closed(int status, HttpHeaders headers, SseException error) implements Item {

        /** Stopped by {@link SseClient#close()}: no status, no error. */
        static final Closed BY_APPLICATION = new Closed(0, SseException.NO_HEADERS, null);

        static Closed after(SseException fatal) {
            return new Closed(fatal.status(), fatal.headers(), fatal);
        }

        @Override
        public void deliverTo(SseListener listener) {
            listener.onClosed(status, headers);
        }
    }
}

package dev.sse.core;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * One Server-Sent Event as the application sends it: an immutable value that is valid on the wire by construction.
 *
 * <pre>{@code
 * SseEvent event = SseEvent.builder().event("update").data("{\"n\":1}").build();
 * hub.broadcast(event);
 * }</pre>
 *
 * <p>Every field is optional and {@code null} when absent. What each field becomes on the wire
 * (see {@link SseEncoder}):
 * <ul>
 *   <li>{@code comment}: one {@code :} line per comment line; browsers ignore it (keep-alives are comments).</li>
 *   <li>{@code id}: an {@code id:} line; sets the client's last event id, which it sends back as
 *       {@code Last-Event-ID} when it reconnects. The empty string is allowed and resets it. An event with an id
 *       but no data dispatches nothing in a browser; it only moves the last event id.</li>
 *   <li>{@code event}: an {@code event:} line with the type name; absent means the default type {@code message}.</li>
 *   <li>{@code data}: one {@code data:} line per line of data (LF, CR and CRLF all break lines, as in the
 *       browser's parser). The empty string is real data ({@code data:} alone) and fires an event with empty data;
 *       {@code null} means no data line, and the browser dispatches nothing.</li>
 *   <li>{@code retry}: a {@code retry:} line with whole milliseconds: the client's reconnection delay.</li>
 * </ul>
 *
 * <p>Rejected with {@link IllegalArgumentException} naming the field, the character and its index: CR or LF in
 * {@code event} or {@code id} (they would inject fields), U+0000 in {@code id} (browsers silently ignore such ids),
 * an unpaired surrogate in {@code event} or {@code id} (it would reach the client as U+FFFD, another name), and a
 * negative {@code retry}. An event with no field at all is also rejected: it would be an empty frame.
 */
public final class SseEvent {

    private final String id;
    private final String event;
    private final String data;
    private final Duration retry;
    private final String comment;

    private SseEvent(Builder b) {
        this.id = b.id;
        this.event = b.event;
        this.data = b.data;
        this.retry = b.retry;
        this.comment = b.comment;
    }

    /**
     * Starts an event; every field starts absent.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * An event of the default type {@code message} with the given data.
     *
     * @param data the data; may contain any characters, line breaks included
     * @return the event
     */
    public static SseEvent data(String data) {
        return builder().data(Objects.requireNonNull(data, "data")).build();
    }

    /**
     * An event of the given type with the given data.
     *
     * @param event the event type name, as the browser's {@code addEventListener(event, ...)} sees it
     * @param data the data
     * @return the event
     */
    public static SseEvent of(String event, String data) {
        return builder().event(Objects.requireNonNull(event, "event")).data(Objects.requireNonNull(data, "data")).build();
    }

    /**
     * A comment-only event: invisible to {@code EventSource}, useful as a keep-alive or for debugging.
     *
     * @param comment the comment text; may contain line breaks (each line becomes its own {@code :} line)
     * @return the event
     */
    public static SseEvent comment(String comment) {
        return builder().comment(Objects.requireNonNull(comment, "comment")).build();
    }

    /** @return the id, or {@code null} when absent */
    public String id() {
        return id;
    }

    /** @return the event type name, or {@code null} for the default type {@code message} */
    public String event() {
        return event;
    }

    /** @return the data, or {@code null} when the event has no data line */
    public String data() {
        return data;
    }

    /** @return the reconnection delay to send, or {@code null} when absent */
    public Duration retry() {
        return retry;
    }

    /** @return the comment, or {@code null} when absent */
    public String comment() {
        return comment;
    }

    /**
     * Returns a builder holding this event's fields, to derive a changed copy.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.event = event;
        b.data = data;
        b.retry = retry;
        b.comment = comment;
        return b;
    }

    /**
     * Returns this event with the given id.
     *
     * @param newId the id; validated as by {@link Builder#id(String)}
     * @return a copy with the id replaced
     */
    public SseEvent withId(String newId) {
        return toBuilder().id(newId).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SseEvent)) {
            return false;
        }
        SseEvent that = (SseEvent) o;
        return Objects.equals(id, that.id)
                && Objects.equals(event, that.event)
                && Objects.equals(data, that.data)
                && Objects.equals(retry, that.retry)
                && Objects.equals(comment, that.comment);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, event, data, retry, comment);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SseEvent{");
        String sep = "";
        if (id != null) {
            sb.append("id=").append(quote(id));
            sep = ", ";
        }
        if (event != null) {
            sb.append(sep).append("event=").append(quote(event));
            sep = ", ";
        }
        if (data != null) {
            sb.append(sep).append("data=").append(quote(data));
            sep = ", ";
        }
        if (retry != null) {
            sb.append(sep).append("retry=").append(retry.toMillis()).append("ms");
            sep = ", ";
        }
        if (comment != null) {
            sb.append(sep).append("comment=").append(quote(comment));
        }
        return sb.append('}').toString();
    }

    private static String quote(String s) {
        final int max = 64;
        String shown = s.length() > max ? s.substring(0, max) + "..." : s;
        return '"' + shown.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0") + '"';
    }

    /**
     * Builds an {@link SseEvent}; each setter validates its argument at once and names the field in its error.
     *
     * <pre>{@code
     * SseEvent e = SseEvent.builder().id("42").event("price").data("1.25").build();
     * }</pre>
     *
     * <p>Not thread-safe; use one builder per thread.
     */
    public static final class Builder {
        private String id;
        private String event;
        private String data;
        private Duration retry;
        private String comment;

        private Builder() {
        }

        /**
         * Sets the id.
         *
         * @param id the id, or {@code null} for none; the empty string resets the client's last event id
         * @return this builder
         * @throws IllegalArgumentException if it contains CR, LF, U+0000 or an unpaired surrogate
         */
        public Builder id(String id) {
            if (id != null) {
                rejectLineBreaks("id", id);
                int nul = id.indexOf('\0');
                if (nul >= 0) {
                    throw new IllegalArgumentException(
                            "id must not contain U+0000 NUL (found at index " + nul + "): browsers ignore such ids");
                }
            }
            this.id = id;
            return this;
        }

        /**
         * Sets the event type name.
         *
         * @param event the type, or {@code null} for the default {@code message}
         * @return this builder
         * @throws IllegalArgumentException if it contains CR, LF or an unpaired surrogate
         */
        public Builder event(String event) {
            if (event != null) {
                rejectLineBreaks("event", event);
            }
            this.event = event;
            return this;
        }

        /**
         * Sets the data.
         *
         * @param data any text, or {@code null} for no data line; LF, CR and CRLF each end a line
         * @return this builder
         */
        public Builder data(String data) {
            this.data = data;
            return this;
        }

        /**
         * Sets the reconnection delay the client should use, sent in whole milliseconds.
         *
         * @param retry the delay, or {@code null} for none
         * @return this builder
         * @throws IllegalArgumentException if negative, or too large for a {@code long} of milliseconds
         */
        public Builder retry(Duration retry) {
            if (retry != null && retry.isNegative()) {
                throw new IllegalArgumentException("retry must not be negative (was " + retry + ")");
            }
            if (retry != null) {
                try {
                    retry.toMillis();
                } catch (ArithmeticException e) {
                    throw new IllegalArgumentException("retry must fit in a long number of milliseconds (was " + retry
                            + ")", e);
                }
            }
            this.retry = retry;
            return this;
        }

        /**
         * Sets the comment.
         *
         * @param comment any text, or {@code null} for none; each line becomes its own comment line
         * @return this builder
         */
        public Builder comment(String comment) {
            this.comment = comment;
            return this;
        }

        /**
         * Builds the event.
         *
         * @return the immutable event
         * @throws IllegalArgumentException if no field is set
         */
        public SseEvent build() {
            if (id == null && event == null && data == null && retry == null && comment == null) {
                throw new IllegalArgumentException("event must have at least one field (id, event, data, retry or comment)");
            }
            return new SseEvent(this);
        }

        /**
         * Rejects what would inject fields (CR, LF) or change on the wire (an unpaired surrogate becomes U+FFFD, so the
         * client would know the event by another id or name than the one the application used).
         */
        private static void rejectLineBreaks(String field, String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\n' || c == '\r') {
                    throw new IllegalArgumentException(field + " must not contain CR or LF (found "
                            + (c == '\n' ? "LF" : "CR") + " at index " + i + ")");
                }
                if (Character.isHighSurrogate(c) && i + 1 < value.length()
                        && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw new IllegalArgumentException(field + " must not contain an unpaired surrogate (found U+"
                            + Integer.toHexString(c).toUpperCase(Locale.ROOT) + " at index " + i + ")");
                }
            }
        }
    }
}

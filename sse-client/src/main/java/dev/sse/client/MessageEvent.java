package dev.sse.client;

import java.util.Objects;

/**
 * One event the client received: what a browser's {@code EventSource} hands to its listeners as a
 * {@code MessageEvent}. An immutable value.
 *
 * <p>For the stream
 * <pre>
 * id: 7
 * event: update
 * data: {"n":1}
 *
 * </pre>
 * the event has type {@code "update"}, data {@code "{\"n\":1}"} and last event id {@code "7"}.
 */
public final class MessageEvent {

    private final String type;
    private final String data;
    private final String lastEventId;

    private MessageEvent(String type, String data, String lastEventId) {
        this.type = type;
        this.data = data;
        this.lastEventId = lastEventId;
    }

    /**
     * Makes an event, as the client does for each one it receives; useful in tests.
     *
     * @param type the event type, {@code "message"} when the stream named none
     * @param data the data, possibly empty
     * @param lastEventId the last event id, possibly empty
     * @return the event
     * @throws IllegalArgumentException if {@code type} is empty
     * @throws NullPointerException if an argument is null
     */
    public static MessageEvent of(String type, String data, String lastEventId) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(lastEventId, "lastEventId");
        if (type.isEmpty()) {
            throw new IllegalArgumentException("type must not be empty (the stream's default type is \"message\")");
        }
        return new MessageEvent(type, data, lastEventId);
    }

    /** @return the event type: the {@code event} field, or {@code "message"} when there was none; never empty */
    public String type() {
        return type;
    }

    /** @return the data: the {@code data} fields joined by LF; possibly empty, never null */
    public String data() {
        return data;
    }

    /**
     * Returns the last event id when this event was dispatched: the latest {@code id} field seen so far on this
     * client (across reconnects), or the empty string if none or an empty {@code id} cleared it. This is what the
     * client sends as {@code Last-Event-ID} if it reconnects after this event.
     *
     * @return the last event id, never null
     */
    public String lastEventId() {
        return lastEventId;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MessageEvent)) {
            return false;
        }
        MessageEvent other = (MessageEvent) o;
        return type.equals(other.type) && data.equals(other.data) && lastEventId.equals(other.lastEventId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, data, lastEventId);
    }

    @Override
    public String toString() {
        String shown = data.length() > 64 ? data.substring(0, 64) + "...(" + data.length() + " chars)" : data;
        return "MessageEvent{type=" + type + ", lastEventId=" + lastEventId + ", data=" + shown + "}";
    }
}

package dev.sse.core;

import java.lang.reflect.Type;

/**
 * Turns application objects into event data, and event data back into objects: JSON through Jackson 3
 * ({@code dev.sse:sse-jackson}) or Jackson 2 ({@code dev.sse:sse-jackson2}), or a format of your own.
 *
 * <pre>{@code
 * DataCodec json = JacksonCodec.of(jsonMapper);                       // sse-jackson; Boot's starter makes one
 * hub.broadcast(json.event("price", new Price("EUR", 1.0842)));       // encoded once, however many listen
 * Price p = json.decode(messageEvent.data(), Price.class);            // on the client
 * }</pre>
 *
 * <p>An event made here is an ordinary {@link SseEvent}: the hub encodes it once into one frame for every recipient,
 * and the data may hold line breaks (the encoder splits them into {@code data:} lines, a client joins them back).
 * Implementations are immutable and thread-safe.
 */
public interface DataCodec {

    /**
     * Encodes a value as event data.
     *
     * @param value the value
     * @return its text
     * @throws IllegalArgumentException if the value cannot be encoded; the message names its type and why
     */
    String encode(Object value);

    /**
     * Decodes event data into a value of a type, generic ones included ({@code List<Price>} as a
     * {@link java.lang.reflect.ParameterizedType}).
     *
     * @param data the event's data
     * @param type the type to read
     * @param <T> the type to read
     * @return the value
     * @throws IllegalArgumentException if the data is not a value of that type; the message names the type and why
     */
    <T> T decode(String data, Type type);

    /**
     * Decodes event data into a value of a class.
     *
     * @param data the event's data
     * @param type the class to read
     * @param <T> the class to read
     * @return the value
     * @throws IllegalArgumentException as {@link #decode(String, Type)}
     */
    default <T> T decode(String data, Class<T> type) {
        return decode(data, (Type) type);
    }

    /**
     * Makes an event of a type whose data is the encoded value.
     *
     * @param type the event type ({@code event:} field)
     * @param value the value
     * @return the event, without an id (the hub gives one)
     * @throws IllegalArgumentException if the value cannot be encoded, or the type is not a valid event type
     */
    default SseEvent event(String type, Object value) {
        return SseEvent.of(type, encode(value));
    }

    /**
     * Makes an event of the default type ({@code message}) whose data is the encoded value.
     *
     * @param value the value
     * @return the event, without an id
     * @throws IllegalArgumentException if the value cannot be encoded
     */
    default SseEvent event(Object value) {
        return SseEvent.data(encode(value));
    }
}

package dev.sse.core.http;

import java.util.List;
import java.util.Objects;

/**
 * What a rule decided about a request: accepted, with a value and the headers to add to whatever the adapter answers
 * next (CORS headers, say), or refused, with the whole answer to write instead. Immutable.
 *
 * @param <T> the accepted value's type
 */
public final class Decision<T> {

    private final T value;
    private final List<Header> headers;
    private final HttpAnswer refusal;

    private Decision(T value, List<Header> headers, HttpAnswer refusal) {
        this.value = value;
        this.headers = List.copyOf(headers);
        this.refusal = refusal;
    }

    /**
     * An acceptance.
     *
     * @param value the accepted value, may be {@code null} where the type is {@code Void}
     * @param headers headers the response must carry
     * @param <T> the value's type
     * @return the decision
     */
    public static <T> Decision<T> accept(T value, List<Header> headers) {
        return new Decision<>(value, headers, null);
    }

    /**
     * A refusal.
     *
     * @param answer the answer to write instead
     * @param <T> the type an acceptance would have had
     * @return the decision
     */
    public static <T> Decision<T> refuse(HttpAnswer answer) {
        return new Decision<>(null, List.of(), Objects.requireNonNull(answer, "answer"));
    }

    /** @return whether the request may go on */
    public boolean accepted() {
        return refusal == null;
    }

    /**
     * @return the accepted value
     * @throws IllegalStateException if the request was refused
     */
    public T value() {
        if (refusal != null) {
            throw new IllegalStateException("refused: " + refusal);
        }
        return value;
    }

    /** @return the headers an accepted request's response must carry; empty for a refusal */
    public List<Header> headers() {
        return headers;
    }

    /**
     * @return the answer to write instead
     * @throws IllegalStateException if the request was accepted
     */
    public HttpAnswer refusal() {
        if (refusal == null) {
            throw new IllegalStateException("accepted");
        }
        return refusal;
    }

    /**
     * Carries a refusal over to another value type.
     *
     * @param <U> the other type
     * @return this refusal, typed for the caller
     * @throws IllegalStateException if the request was accepted
     */
    public <U> Decision<U> asRefusal() {
        return refuse(refusal());
    }

    @Override
    public String toString() {
        return refusal == null ? "accept " + value + " " + headers : "refuse " + refusal;
    }
}

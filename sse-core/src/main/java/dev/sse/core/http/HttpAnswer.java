package dev.sse.core.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A complete answer to write as it is: status, headers in order (each one added, none replacing another), and the
 * body bytes. The adapter adds {@code Content-Length} for a non-empty body and ends the response. Immutable.
 *
 * <p>Every JSON answer is {@code Content-Type: application/json;charset=utf-8} and {@code Cache-Control: no-store};
 * an error's body is {@code {"error":"...","field":"..."}} ({@link Json#error}).
 */
public final class HttpAnswer {

    /** The content type of every JSON answer. */
    public static final String JSON_TYPE = "application/json;charset=utf-8";

    private static final byte[] EMPTY = new byte[0];

    private final int status;
    private final List<Header> headers;
    private final byte[] body;

    private HttpAnswer(int status, List<Header> headers, byte[] body) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be between 100 and 599 (was " + status + ")");
        }
        this.status = status;
        this.headers = List.copyOf(headers);
        this.body = body;
    }

    /**
     * An answer without a body.
     *
     * @param status the status
     * @param headers the headers, in order
     * @return the answer
     */
    public static HttpAnswer of(int status, Header... headers) {
        return new HttpAnswer(status, Arrays.asList(headers), EMPTY);
    }

    /**
     * An answer with a body.
     *
     * @param status the status
     * @param headers the headers, in order (the content type among them)
     * @param body the body; copied
     * @return the answer
     */
    public static HttpAnswer of(int status, List<Header> headers, byte[] body) {
        return new HttpAnswer(status, headers, body.clone());
    }

    /**
     * A JSON document that no cache keeps.
     *
     * @param status the status
     * @param json the JSON text
     * @return the answer
     */
    public static HttpAnswer json(int status, String json) {
        return new HttpAnswer(status, List.of(new Header("Content-Type", JSON_TYPE), new Header("Cache-Control",
                "no-store")), json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * An error naming the field at fault: {@code {"error":message,"field":field}}.
     *
     * @param status the status
     * @param field the parameter, header or part at fault, or {@code null}
     * @param message what is wrong
     * @return the answer
     */
    public static HttpAnswer error(int status, String field, String message) {
        return json(status, Json.error(message, field));
    }

    /**
     * This answer with more headers before its own.
     *
     * @param first the headers to add first
     * @return a new answer
     */
    public HttpAnswer withHeadersFirst(List<Header> first) {
        List<Header> all = new ArrayList<>(first);
        all.addAll(headers);
        return new HttpAnswer(status, all, body);
    }

    /**
     * This answer with one more header after its own.
     *
     * @param name the header name
     * @param value its value
     * @return a new answer
     */
    public HttpAnswer with(String name, String value) {
        List<Header> all = new ArrayList<>(headers);
        all.add(new Header(name, value));
        return new HttpAnswer(status, all, body);
    }

    /** @return the status */
    public int status() {
        return status;
    }

    /** @return the headers to add, in order */
    public List<Header> headers() {
        return headers;
    }

    /**
     * The value of a header of this answer.
     *
     * @param name the name, case-insensitive
     * @return the first value, or {@code null}
     */
    public String header(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }

    /** @return a copy of the body bytes, empty for none */
    public byte[] body() {
        return body.clone();
    }

    /** @return the body length in bytes */
    public int bodyLength() {
        return body.length;
    }

    /** @return the body as UTF-8 text, for logs and tests */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HttpAnswer a && a.status == status && a.headers.equals(headers)
                && Arrays.equals(a.body, body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, headers) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return status + " " + headers + " " + bodyText();
    }
}

package dev.sse.core.http;

import java.util.Objects;

/**
 * One response header to add, in order.
 *
 * @param name the header name
 * @param value its value
 */
public record Header(String name, String value) {

    /**
     * Checks both parts.
     *
     * @param name the header name, not {@code null}
     * @param value its value, not {@code null}
     */
    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}

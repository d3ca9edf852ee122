package dev.sse.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link SseStreams#start(HttpServletRequest, jakarta.servlet.http.HttpServletResponse, StreamOptions)} opens a
 * request's stream. Immutable.
 *
 * <pre>{@code
 * StreamOptions options = StreamOptions.builder().retry(Duration.ofSeconds(3)).attribute("user", principal).build();
 * SseStream stream = SseStreams.start(request, response, options);
 * }</pre>
 */
public final class StreamOptions {

    private static final StreamOptions DEFAULTS = builder().build();

    private final Duration retry;
    private final String lastEventIdParameter;
    private final Map<String, Object> attributes;

    private StreamOptions(Builder b) {
        this.retry = b.retry;
        this.lastEventIdParameter = b.lastEventIdParameter;
        this.attributes = Map.copyOf(b.attributes);
    }

    /** @return no {@code retry:} hint, the {@code Last-Event-ID} header only, no attributes */
    public static StreamOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the {@code retry:} hint sent first, or {@code null} */
    public Duration retry() {
        return retry;
    }

    /** @return the query parameter read when the request has no {@code Last-Event-ID} header, or {@code null} */
    public String lastEventIdParameter() {
        return lastEventIdParameter;
    }

    /** @return the attributes the producer reads with {@code SseStream.attribute} */
    public Map<String, Object> attributes() {
        return attributes;
    }

    /** The request's {@code Last-Event-ID}: the header, else the configured query parameter, else {@code null}. */
    String lastEventIdFrom(HttpServletRequest request) {
        String id = request.getHeader("Last-Event-ID");
        if (id == null && lastEventIdParameter != null) {
            id = request.getParameter(lastEventIdParameter);
        }
        if (id == null || id.isEmpty() || id.indexOf('\0') >= 0 || id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0) {
            return null;
        }
        return id;
    }

    /**
     * Builds {@link StreamOptions}.
     *
     * <pre>{@code
     * StreamOptions o = StreamOptions.builder().retry(Duration.ofSeconds(3)).build();
     * }</pre>
     */
    public static final class Builder {
        private Duration retry;
        private String lastEventIdParameter;
        private final Map<String, Object> attributes = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * A {@code retry:} hint sent before anything else: how long a client waits before it reconnects.
         *
         * @param retry not negative
         * @return this builder
         */
        public Builder retry(Duration retry) {
            Objects.requireNonNull(retry, "retry");
            if (retry.isNegative()) {
                throw new IllegalArgumentException("retry must not be negative (was " + retry + ")");
            }
            this.retry = retry;
            return this;
        }

        /**
         * Also takes the {@code Last-Event-ID} from this query parameter when the header is absent (a first
         * {@code EventSource} connection cannot send the header).
         *
         * @param name the parameter name, e.g. {@code lastEventId}
         * @return this builder
         */
        public Builder lastEventIdParameter(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("lastEventIdParameter must not be empty");
            }
            this.lastEventIdParameter = name;
            return this;
        }

        /**
         * An attribute for the producer.
         *
         * @param name the name
         * @param value the value, not {@code null}
         * @return this builder
         */
        public Builder attribute(String name, Object value) {
            attributes.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @return the options */
        public StreamOptions build() {
            return new StreamOptions(this);
        }
    }
}

package dev.sse.tck;

import dev.sse.core.Hub;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the kit asks a server to serve for one test. The kit builds it; an {@link AdapterFixture} only reads it.
 */
public final class TckApp {

    /** The path of the hub's stream endpoint. */
    public static final String EVENTS_PATH = "/events";

    /** The path of the per-request stream endpoint. */
    public static final String STREAMS_PATH = "/stream";

    private final Hub hub;
    private final Map<String, String> settings;
    private final StreamHandler streams;
    private final RequestCheck requestCheck;

    TckApp(Hub hub, Map<String, String> settings, StreamHandler streams, RequestCheck requestCheck) {
        this.hub = Objects.requireNonNull(hub, "hub");
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        this.streams = Objects.requireNonNull(streams, "streams");
        this.requestCheck = requestCheck;
    }

    /**
     * The hub {@value #EVENTS_PATH} streams; the kit built it (keep-alive, queue limits, history, slow-client
     * policy) and closes it, so the server shares it and must not close it.
     *
     * @return the hub
     */
    public Hub hub() {
        return hub;
    }

    /**
     * The settings of {@value #EVENTS_PATH}, by the names of SseServlet's init-params ({@code topics},
     * {@code allowedTopics}, {@code retry}, {@code maxConnections}, {@code allowedOrigins}, {@code allowCredentials},
     * {@code drainWindow}, {@code farewellEvent}...) and in their syntax; a name absent keeps the runtime's default.
     *
     * @return the settings, unmodifiable
     */
    public Map<String, String> settings() {
        return settings;
    }

    /**
     * What to do with each per-request stream: the adapter opens an {@code SseStream} for every {@code GET}
     * {@value #STREAMS_PATH} and calls {@code streams().handle(stream, queryParameters)}.
     *
     * @return the handler
     */
    public StreamHandler streams() {
        return streams;
    }

    /**
     * The request check guarding both endpoints, when the test has one: refused requests get {@code 401}.
     *
     * @return the check, or empty to let every request through
     */
    public Optional<RequestCheck> requestCheck() {
        return Optional.ofNullable(requestCheck);
    }

    @Override
    public String toString() {
        return "TckApp" + settings;
    }
}

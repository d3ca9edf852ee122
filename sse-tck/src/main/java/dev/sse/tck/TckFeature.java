package dev.sse.tck;

/** Behaviours a runtime may lack; see {@link AdapterFixture#features()}. */
public enum TckFeature {

    /** HTTP/2 over cleartext ({@code h2c}), by upgrade from HTTP/1.1 or with prior knowledge. */
    H2C,

    /** {@code HEAD} on the stream endpoint answers the stream's headers with no body. */
    HEAD,

    /** The {@code allowedOrigins} and {@code allowCredentials} settings, and preflight {@code OPTIONS}. */
    CORS,

    /** The {@code maxConnections} setting, shedding with 200, a {@code retry:} hint and the end of the stream. */
    MAX_CONNECTIONS,

    /** Per-request streams on {@value TckApp#STREAMS_PATH}. */
    PER_REQUEST_STREAMS,

    /** Graceful shutdown: {@link RunningServer#close()} ends streams with the {@code farewellEvent}. */
    GRACEFUL_SHUTDOWN
}

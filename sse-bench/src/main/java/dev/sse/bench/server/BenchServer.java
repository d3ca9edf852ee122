package dev.sse.bench.server;

/**
 * One SSE server under test, as the bench drives it: start on a loopback port, broadcast a payload to every
 * connected client, report how many clients it holds, stop.
 *
 * <p>"Ours" ({@link SseServletServer}) sits behind this interface like every peer; {@link ServerKind#create()} picks
 * the implementation.
 *
 * <h2>Threads</h2>
 * {@link #broadcast(String)} is called on one publisher thread (the control loop in {@link ServerMain}), the way an
 * application thread would call it; it may block if the implementation blocks, and that is part of what is measured.
 */
public interface BenchServer {

    /** The path clients GET. */
    String PATH = "/events";

    /**
     * Starts listening on 127.0.0.1 and an ephemeral port.
     *
     * @return the port
     * @throws Exception if it cannot start
     */
    int start() throws Exception;

    /**
     * Sends one event with this data to every connected client.
     *
     * @param data the event data, one line
     * @throws Exception as the implementation fails
     */
    void broadcast(String data) throws Exception;

    /** @return how many clients the server currently would broadcast to */
    int subscribers();

    /**
     * The per-request streams of the {@code streams} scenario ({@code POST} {@value TokenStreams#PATH}).
     *
     * @return the producers behind that endpoint, or {@code null} if this server kind has none
     */
    default TokenStreams tokenStreams() {
        return null;
    }

    /**
     * Stops the server.
     *
     * @throws Exception if stopping fails
     */
    void stop() throws Exception;
}

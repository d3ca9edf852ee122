package dev.sse.tck;

/** A server an {@link AdapterFixture} started. */
public interface RunningServer extends AutoCloseable {

    /**
     * The port the server listens on, at {@code 127.0.0.1}.
     *
     * @return the port
     */
    int port();

    /**
     * Stops the server gracefully, as the runtime's own shutdown does: open streams get the {@code farewellEvent} of
     * {@link TckApp#settings()} (within its {@code drainWindow}) and end, then the port closes. The kit's hub is the
     * kit's to close, not the server's.
     *
     * @throws Exception if the server cannot stop
     */
    @Override
    void close() throws Exception;
}

package dev.sse.bench.server;

import dev.sse.examples.DemoServer;
import dev.sse.examples.DemoStreams;

/**
 * The real Jetty demo ({@code sse-examples}' {@link DemoServer}, its {@code web.xml} and all) in the forked server
 * JVM. The bench drives it only through its HTTP API: readers {@code GET} {@value #NOTIFICATIONS}, broadcasts are
 * {@code POST}s to the same path from the bench's JVM ({@code HttpPublisher}), so {@link #broadcast} is not used.
 *
 * <p>System property {@value #MAX_THREADS_PROPERTY} sets Jetty's thread pool maximum (default: the demo's own,
 * {@link DemoServer#DEFAULT_MAX_THREADS}); 200 is Jetty's default.
 */
final class DemoBenchServer implements BenchServer {

    /** The demo's notification stream: {@code GET} listens, {@code POST} broadcasts. */
    static final String NOTIFICATIONS = "/api/v1/notifications";
    /** System property: the demo's Jetty thread pool maximum. */
    static final String MAX_THREADS_PROPERTY = "sse.bench.demo.maxThreads";

    private DemoServer demo;

    @Override
    public int start() throws Exception {
        demo = DemoServer.start("127.0.0.1", 0,
                Integer.getInteger(MAX_THREADS_PROPERTY, DemoServer.DEFAULT_MAX_THREADS));
        return demo.port();
    }

    @Override
    public void broadcast(String data) {
        // Publishing in-process would skip the very path the demo's users take (HTTP, the servlet's publish queue).
        throw new UnsupportedOperationException("the demo is published to over HTTP: POST " + NOTIFICATIONS);
    }

    @Override
    public int subscribers() {
        DemoStreams streams = demo.streams();
        return streams == null ? 0 : streams.notifications().channelCount();
    }

    @Override
    public void stop() {
        if (demo != null) {
            demo.stop();
        }
    }
}

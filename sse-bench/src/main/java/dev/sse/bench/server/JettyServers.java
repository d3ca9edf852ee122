package dev.sse.bench.server;

import dev.sse.examples.DemoServer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The one Jetty setup every Jetty-based server shares, so they differ only in the SSE code on top. */
final class JettyServers {

    static final int MAX_THREADS = DemoServer.DEFAULT_MAX_THREADS;
    static final int MIN_THREADS = 8;

    private JettyServers() {
    }

    /**
     * Starts Jetty on 127.0.0.1 and an ephemeral port with the container settings sse-examples/README.md tells users to
     * copy (the demo runs them): a pool of at most {@value #MAX_THREADS} threads, at least {@value #MIN_THREADS}, and
     * an accept queue of 1024; buffers and idle timeout are Jetty's defaults.
     *
     * @param context the servlet context to serve
     * @return the started server
     * @throws Exception if Jetty fails to start
     */
    static Server start(ServletContextHandler context) throws Exception {
        // Jetty's default of 200 threads on 2 cores gave every async server here its worst tails and 2 KB more RSS per
        // stream at 10,000 (the measurements are in sse-bench/README.md): one pool size for all, the one we document.
        Server server = new Server(new QueuedThreadPool(MAX_THREADS, MIN_THREADS));
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        // 10,000 clients connect in bursts; the default accept queue (50) would drop SYNs for every server alike.
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        server.setHandler(context);
        server.start();
        return server;
    }

    /**
     * @param server a started server
     * @return its local port
     */
    static int port(Server server) {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }
}

package dev.sse.bench.server;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** The one Jetty setup every Jetty-based server shares, so they differ only in the SSE code on top. */
final class JettyServers {

    private JettyServers() {
    }

    /**
     * Starts Jetty with defaults (thread pool, buffers, idle timeout) on 127.0.0.1 and an ephemeral port.
     *
     * @param context the servlet context to serve
     * @return the started server
     * @throws Exception if Jetty fails to start
     */
    static Server start(ServletContextHandler context) throws Exception {
        Server server = new Server();
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

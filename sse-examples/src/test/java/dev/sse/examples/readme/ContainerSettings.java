package dev.sse.examples.readme;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The README's "Container settings" block, compiled: the Jetty choices the demo makes, as a user copies them. */
final class ContainerSettings {

    private ContainerSettings() {
    }

    static Server server(int port) {
        QueuedThreadPool threads = new QueuedThreadPool(32, 8);   // max 32, min 8: not Jetty's 200
        Server server = new Server(threads);
        ServerConnector connector = new ServerConnector(server);
        connector.setAcceptQueueSize(1024);                        // Jetty's 50 drops SYNs when clients reconnect at once
        // Output buffer (32 KiB) and response header size (8 KiB): Jetty's defaults.
        connector.setPort(port);
        server.addConnector(connector);
        return server;
    }
}

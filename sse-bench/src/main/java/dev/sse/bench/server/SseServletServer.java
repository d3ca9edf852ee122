package dev.sse.bench.server;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.redis.RedisBackplane;
import dev.sse.servlet.SseServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;

/**
 * Ours, configured as a user would from the library's README: {@code Hub.create()} (all defaults, keep-alive 15 s)
 * streamed by {@code new SseServlet(hub)} (all defaults, write timeout 30 s), on the Jetty setup the peers share.
 * A broadcast is {@code hub.broadcast(SseEvent.data(data))} on the publisher thread; it only enqueues. With the
 * system property {@value ServerMain#REDIS_PROPERTY} (the cluster scenario) the hub runs on a {@code RedisBackplane} there
 * instead, every other setting still the default, so a broadcast is one {@code XADD}.
 */
final class SseServletServer implements BenchServer {

    private final Hub hub = hub(System.getProperty(ServerMain.REDIS_PROPERTY));
    private Server jetty;

    private static Hub hub(String redis) {
        if (redis == null) {
            return Hub.create();
        }
        return Hub.builder().backplane(RedisBackplane.builder(redis).streamKey("sse:bench").build()).build();
    }

    @Override
    public int start() throws Exception {
        ServletContextHandler context = new ServletContextHandler();
        ServletHolder holder = new ServletHolder(new SseServlet(hub));
        holder.setAsyncSupported(true);
        // Initialise at start, as the other servers do, rather than on the first request.
        holder.setInitOrder(0);
        context.addServlet(holder, PATH);
        jetty = JettyServers.start(context);
        return JettyServers.port(jetty);
    }

    @Override
    public void broadcast(String data) {
        hub.broadcast(SseEvent.data(data));
    }

    @Override
    public int subscribers() {
        return hub.channelCount();
    }

    @Override
    public void stop() throws Exception {
        // The servlet never closes a hub it was given; stop Jetty (ending the servlet's streams), then the hub.
        jetty.stop();
        hub.close();
    }
}

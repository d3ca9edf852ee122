package dev.sse.bench.server;

import jakarta.inject.Singleton;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseBroadcaster;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;

/**
 * Jersey's JAX-RS {@link SseBroadcaster} on Jetty through {@code jersey-container-servlet}, as in Jersey's user
 * guide: a {@code @Singleton} resource makes one broadcaster from the injected {@link Sse}, registers every
 * {@link SseEventSink} from a {@code @GET}, and broadcasts {@code sse.newEventBuilder().data(...)} events.
 */
final class JerseyBroadcasterServer implements BenchServer {

    private static final AtomicReference<BroadcasterResource> RESOURCE = new AtomicReference<>();
    private Server jetty;

    @Override
    public int start() throws Exception {
        ResourceConfig config = new ResourceConfig(BroadcasterResource.class);
        ServletContextHandler context = new ServletContextHandler();
        ServletHolder holder = new ServletHolder(new ServletContainer(config));
        holder.setAsyncSupported(true);
        holder.setInitOrder(0);
        context.addServlet(holder, "/*");
        jetty = JettyServers.start(context);
        return JettyServers.port(jetty);
    }

    @Override
    public void broadcast(String data) {
        BroadcasterResource r = RESOURCE.get();
        if (r != null) {
            // As in the guide, the publisher does not wait for the returned stage.
            r.broadcaster.broadcast(r.sse.newEventBuilder().data(data).build());
        }
    }

    @Override
    public int subscribers() {
        BroadcasterResource r = RESOURCE.get();
        return r == null ? 0 : r.open.get();
    }

    @Override
    public void stop() throws Exception {
        jetty.stop();
    }

    /** The user-guide resource. */
    @Singleton
    @Path("events")
    public static class BroadcasterResource {
        final Sse sse;
        final SseBroadcaster broadcaster;
        final AtomicInteger open = new AtomicInteger();

        /** @param sse injected by Jersey */
        public BroadcasterResource(@Context Sse sse) {
            this.sse = sse;
            this.broadcaster = sse.newBroadcaster();
            broadcaster.onClose(sink -> open.decrementAndGet());
            RESOURCE.set(this);
        }

        /** @param sink the client's stream, registered with the broadcaster */
        @GET
        @Produces(MediaType.SERVER_SENT_EVENTS)
        public void subscribe(@Context SseEventSink sink) {
            broadcaster.register(sink);
            open.incrementAndGet();
        }
    }
}

package dev.sse.bench.server;

import dev.sse.core.CloseReason;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.redis.RedisBackplane;
import dev.sse.servlet.SseServlet;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ours, configured as a user would from the library's README: {@code Hub.create()} (all defaults, keep-alive 15 s)
 * streamed by {@code new SseServlet(hub)} (all defaults, write timeout 30 s), on the Jetty setup the peers share.
 * A broadcast is {@code hub.broadcast(SseEvent.data(data))} on the publisher thread; it only enqueues. With the
 * system property {@value ServerMain#REDIS_PROPERTY} (the cluster scenario) the hub runs on a {@code RedisBackplane} there
 * instead, every other setting still the default, so a broadcast is one {@code XADD}. The {@code streams} scenario's
 * {@code POST} {@value TokenStreams#PATH} is a servlet on {@code SseStreams.start}, in the same context.
 */
final class SseServletServer implements BenchServer {

    private static final Logger LOG = LoggerFactory.getLogger(SseServletServer.class);

    private final Hub hub = hub(System.getProperty(ServerMain.REDIS_PROPERTY));
    private final TokenStreams streams = new TokenStreams();
    private TokenStreamServlet streamServlet;
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
        String writers = System.getProperty(ServerMain.WRITER_THREADS_PROPERTY);
        if (writers != null) {
            // The cluster scenario's shared-box settings, or SSE_BENCH_SERVER_OPTS; otherwise one per core.
            holder.setInitParameter("writerThreads", writers);
        }
        // Initialise at start, as the other servers do, rather than on the first request.
        holder.setInitOrder(0);
        context.addServlet(holder, PATH);
        streamServlet = new TokenStreamServlet(streams);
        ServletHolder streamHolder = new ServletHolder(streamServlet);
        streamHolder.setAsyncSupported(true);
        streamHolder.setInitOrder(0);
        context.addServlet(streamHolder, TokenStreams.PATH);
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
    public TokenStreams tokenStreams() {
        return streams;
    }

    @Override
    public void stop() throws Exception {
        // The servlet never closes a hub it was given; stop Jetty (ending the servlet's streams), then the hub.
        if (!streamServlet.reasons.isEmpty()) {
            LOG.warn("per-request streams closed: {}", streamServlet.reasons);
        }
        jetty.stop();
        hub.close();
        streams.stop();
    }

    /**
     * {@code POST /stream?tokens=N&interval=MS&id=ID} as an application writes it on the library:
     * {@code SseStreams.start(req, resp)}, tokens from the shared producers, {@code [DONE]} through
     * {@code complete(terminal)}, and {@code onClose} stopping the producer.
     */
    static final class TokenStreamServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final transient TokenStreams streams;
        /** How the streams ended, logged when the server stops: what the close callbacks were told. */
        final transient Map<CloseReason, LongAdder> reasons = new ConcurrentHashMap<>();

        TokenStreamServlet(TokenStreams streams) {
            this.streams = streams;
        }

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            long[] p = new long[3];
            String[] names = {"tokens", "interval", "id"};
            for (int i = 0; i < names.length; i++) {
                String v = req.getParameter(names[i]);
                try {
                    p[i] = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    resp.setStatus(HttpServletResponse.SC_BAD_REQUEST);
                    resp.setContentType("application/json");
                    resp.getWriter().write("{\"error\":\"" + names[i] + " must be a whole number\"}");
                    return;
                }
            }
            if (p[0] < 1 || p[0] > 100_000 || p[1] < 1) {
                resp.setStatus(HttpServletResponse.SC_BAD_REQUEST);
                resp.setContentType("application/json");
                resp.getWriter().write("{\"error\":\"tokens must be 1..100000 and interval at least 1\"}");
                return;
            }
            SseStream stream = SseStreams.start(req, resp);
            TokenStreams.Producer producer = streams.start(p[2], (int) p[0], p[1], new TokenStreams.Sink() {
                @Override
                public boolean token(int index, long producedNanos) {
                    return stream.send(SseEvent.builder().event("token").id(Integer.toString(index))
                            .data(Long.toString(producedNanos)).build());
                }

                @Override
                public void done() {
                    stream.complete(SseEvent.data("[DONE]"));
                }
            });
            stream.onClose(reason -> {
                reasons.computeIfAbsent(reason, r -> new LongAdder()).increment();
                if (reason != CloseReason.COMPLETED) {
                    producer.cancel();
                }
            });
        }
    }
}

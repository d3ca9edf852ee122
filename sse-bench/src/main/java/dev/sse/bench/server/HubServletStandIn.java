package dev.sse.bench.server;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.Transport;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Ours" until {@code dev.sse.servlet.SseServlet} lands: a {@link Hub} with its defaults behind a minimal
 * non-blocking async servlet on Jetty. Swap by replacing this class in {@link ServerKind#create()}; it is not the
 * library's servlet adapter and has none of its features (Last-Event-ID, topics, error bodies).
 */
final class HubServletStandIn implements BenchServer {

    private final Hub hub = Hub.create();
    private Server jetty;

    @Override
    public int start() throws Exception {
        ServletContextHandler context = new ServletContextHandler();
        ServletHolder holder = new ServletHolder(new StreamServlet(hub));
        holder.setAsyncSupported(true);
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
        hub.close();
        jetty.stop();
    }

    /** Opens a hub channel per GET and writes its frames with servlet non-blocking I/O. */
    private static final class StreamServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final transient Hub hub;

        StreamServlet(Hub hub) {
            this.hub = hub;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setStatus(200);
            resp.setContentType("text/event-stream");
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Cache-Control", "no-cache");
            AsyncContext async = req.startAsync();
            async.setTimeout(0);
            ServletTransport transport = new ServletTransport(async, resp.getOutputStream());
            async.addListener(transport);
            // Registered first, head sent by the first drain: no broadcast can fall in between.
            transport.channel = hub.open(transport);
            resp.getOutputStream().setWriteListener(transport);
        }
    }

    /**
     * One drain loop per connection, entered from {@code framesAvailable} (publisher thread) or
     * {@code onWritePossible} (Jetty thread); the {@code wip} counter lets exactly one thread run it at a time and
     * makes it loop again when woken meanwhile.
     */
    private static final class ServletTransport implements Transport, WriteListener, AsyncListener {
        private static final Logger LOG = LoggerFactory.getLogger(ServletTransport.class);

        private final AsyncContext async;
        private final ServletOutputStream out;
        private final AtomicInteger wip = new AtomicInteger();
        volatile EventChannel channel;
        /** Set by Jetty's first onWritePossible: before it, non-blocking writes are not allowed yet. */
        private volatile boolean listening;
        // Touched only inside the drain loop.
        private boolean unflushed = true;

        ServletTransport(AsyncContext async, ServletOutputStream out) {
            this.async = async;
            this.out = out;
        }

        @Override
        public void framesAvailable() {
            drain();
        }

        @Override
        public void onWritePossible() {
            listening = true;
            drain();
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            do {
                EventChannel ch = channel;
                try {
                    if (ch != null && listening) {
                        while (out.isReady()) {
                            SseFrame frame = ch.poll();
                            if (frame == null) {
                                if (!unflushed) {
                                    break;
                                }
                                unflushed = false;
                                out.flush();
                                continue;
                            }
                            frame.writeTo(out);
                            unflushed = true;
                        }
                    }
                } catch (IOException | IllegalStateException e) {
                    LOG.debug("write failed: {}", e.toString());
                    ch.close(CloseReason.CLIENT_GONE);
                    return;
                }
            } while (wip.decrementAndGet() != 0);
        }

        @Override
        public void onError(Throwable t) {
            gone();
        }

        private void gone() {
            EventChannel ch = channel;
            if (ch != null) {
                ch.close(CloseReason.CLIENT_GONE);
            }
        }

        @Override
        public void close() {
            try {
                async.complete();
            } catch (IllegalStateException e) {
                LOG.debug("complete after close: {}", e.toString());
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            gone();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            gone();
        }

        @Override
        public void onError(AsyncEvent event) {
            gone();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }
    }
}

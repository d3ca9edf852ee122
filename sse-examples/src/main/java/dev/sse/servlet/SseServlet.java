// TEMPORARY stand-in until sse-servlet lands: delete this file and depend on dev.sse:sse-servlet instead.
package dev.sse.servlet;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseFrame;
import dev.sse.core.Transport;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * TEMPORARY stand-in for the real {@code SseServlet} of the sse-servlet module, with the same contract (init-param
 * {@code hub}, headers, {@code Last-Event-ID} replay) but blocking writes on the broadcasting thread.
 */
public class SseServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private transient Hub hub;

    @Override
    public void init() throws ServletException {
        String name = getInitParameter("hub");
        Object existing = getServletContext().getAttribute(name);
        if (existing instanceof Hub h) {
            hub = h;
        } else {
            hub = Hub.create();
            getServletContext().setAttribute(name, hub);
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String lastEventId = req.getHeader("Last-Event-ID");
        if (lastEventId == null) {
            lastEventId = req.getParameter("lastEventId");
        }
        resp.setStatus(200);
        resp.setContentType("text/event-stream;charset=utf-8");
        resp.setHeader("Cache-Control", "no-cache");
        resp.setHeader("X-Accel-Buffering", "no");
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        ServletOutputStream out = resp.getOutputStream();
        StandInTransport transport = new StandInTransport(async, out);
        EventChannel channel = hub.open(transport, ChannelOptions.builder().lastEventId(lastEventId).build());
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                channel.close(CloseReason.CLIENT_GONE);
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                channel.close(CloseReason.CLIENT_GONE);
            }

            @Override
            public void onError(AsyncEvent event) {
                channel.close(CloseReason.CLIENT_GONE);
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
        transport.attach(channel);
    }

    private static final class StandInTransport implements Transport {
        private final AsyncContext async;
        private final ServletOutputStream out;
        private EventChannel channel;

        StandInTransport(AsyncContext async, ServletOutputStream out) {
            this.async = async;
            this.out = out;
        }

        synchronized void attach(EventChannel channel) {
            this.channel = channel;
            try {
                out.flush();
            } catch (IOException e) {
                channel.close(CloseReason.CLIENT_GONE);
                return;
            }
            drain();
        }

        @Override
        public synchronized void framesAvailable() {
            if (channel != null) {
                drain();
            }
        }

        private void drain() {
            try {
                SseFrame frame;
                while ((frame = channel.poll()) != null) {
                    frame.writeTo(out);
                    out.flush();
                }
            } catch (IOException | IllegalStateException e) {
                channel.close(CloseReason.CLIENT_GONE);
            }
        }

        @Override
        public void close() {
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // Already completed by the container after the client left.
            }
        }
    }
}

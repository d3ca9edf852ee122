package dev.sse.examples;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an HTTP/1.1 connection whose request header is not complete within a deadline of its first byte. Jetty's
 * idle timeout restarts with every byte, so a client sending its header one byte a second would otherwise hold the
 * connection (and its socket) for as long as it likes; Jetty 12.1 has no setting for a whole-header deadline.
 *
 * <p>Added to the connector as a bean: Jetty tells it of every connection opened and closed, on the connection's
 * own thread, and starts and stops it with the connector. One daemon timer thread looks at every open connection
 * every tick (a tenth of the deadline, 50 ms to 1 s): a connection whose parser is inside a request header (past its
 * first byte, before its end) for the same request at two looks {@code deadline} apart is closed. So a header is
 * cut off between {@code deadline} and {@code deadline + 2 ticks} after its first byte. A connection idle between
 * requests, or whose request is being served or is sending its body, is left alone: the idle timeout and the body
 * deadlines of publishing ({@code SseServlet}) and of the chat cover those. The per-connection record is touched by
 * the timer thread only.
 */
final class HeaderDeadline extends AbstractLifeCycle implements Connection.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);
    private static final long NONE = Long.MIN_VALUE;

    private final long deadlineNanos;
    private final long tickMillis;
    private final Map<HttpConnection, Pending> open = new ConcurrentHashMap<>();
    private final LongAdder closed = new LongAdder();
    private volatile ScheduledExecutorService timer;

    /** @param deadlineMillis the time a request header may take from its first byte to its end, at least 1 */
    HeaderDeadline(long deadlineMillis) {
        if (deadlineMillis < 1) {
            throw new IllegalArgumentException("header deadline must be at least 1 ms (was " + deadlineMillis + ")");
        }
        this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        this.tickMillis = Math.max(50, Math.min(1_000, deadlineMillis / 10));
    }

    /** @return how many connections were closed for a header that took too long */
    long closedConnections() {
        return closed.sum();
    }

    @Override
    protected void doStart() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "demo-header-deadline");
            thread.setDaemon(true);
            return thread;
        });
        t.scheduleWithFixedDelay(this::look, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        timer = t;
    }

    @Override
    protected void doStop() {
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
        open.clear();
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.put(http, new Pending());
        }
    }

    @Override
    public void onClosed(Connection connection) {
        open.remove(connection);
    }

    private void look() {
        try {
            long now = System.nanoTime();
            for (Map.Entry<HttpConnection, Pending> e : open.entrySet()) {
                look(e.getKey(), e.getValue(), now);
            }
        } catch (RuntimeException e) {
            // Never let one bad look end the schedule: that would lift the deadline for good.
            LOG.warn("header deadline check failed: {}", e.toString());
        }
    }

    private void look(HttpConnection connection, Pending pending, long now) {
        // The parser is the connection's; its state is read racily here, which at worst delays a close by a tick.
        HttpParser parser = connection.getParser();
        if (!parser.inHeaderState() || parser.isStart()) {
            pending.since = NONE;
            return;
        }
        long request = connection.getMessagesIn();
        if (pending.since == NONE || pending.request != request) {
            pending.since = now;
            pending.request = request;
            return;
        }
        if (now - pending.since >= deadlineNanos) {
            LOG.debug("closing {}: its request header was not complete within {} ms", connection.getEndPoint()
                    .getRemoteSocketAddress(), TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
            open.remove(connection);
            closed.increment();
            connection.getEndPoint().close();
        }
    }

    /** When the header now arriving on a connection was first seen, and which request it is. */
    private static final class Pending {
        long since = NONE;
        long request;
    }
}

package dev.sse.servlet;

import dev.sse.core.ChannelOptions;
import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one request with its own event stream, from any servlet, filter or Spring MVC controller: an LLM's tokens
 * for a {@code POST}, an agent's steps, a job's progress.
 *
 * <pre>{@code
 * SseStream stream = SseStreams.start(request, response);     // 200 text/event-stream, flushed at once
 * stream.onClose(reason -> generation.cancel(true));
 * }</pre>
 *
 * <p>{@code start} puts the request in asynchronous mode, sends {@code 200}, {@code text/event-stream;charset=utf-8},
 * {@code Cache-Control: no-cache, no-transform} (unless the response already has a {@code Cache-Control}) and
 * {@code X-Accel-Buffering: no} at once, and returns; the calling thread is free. Headers set on the response before
 * the call are kept. The request and every filter before the code that calls it must be async-supported.
 *
 * <p>The streams of a web application share one host per {@link ServletContext}: writer threads
 * ({@code sse-writer-streams-i}, one per core) that write without blocking, the write-timeout sweep (30 s: a socket
 * that takes nothing that long ends the stream with {@code WRITE_TIMEOUT}), keep-alive comments every 15 s while the
 * producer is silent, and per-stream limits of 1000 frames or 1 MiB queued. The host is a {@link Hub} nobody
 * broadcasts on ({@link #host(ServletContext)}), so its statistics and Micrometer meters count the streams.
 * Each of these is a context init-param named {@value #PARAMETER_PREFIX} plus the {@link SseServlet} init-param of
 * the same meaning, read when the first stream starts: {@code sse.streams.keepAlive}, {@code writeTimeout},
 * {@code maxQueuedFrames}, {@code maxQueuedBytes}, {@code slowClientPolicy}, {@code maxConnections},
 * {@code maxConnectionsPerClient}, {@code writerThreads}, {@code cacheControl}, {@code overloadRetry}. Streams count
 * towards the process's file-limit bound that {@link SseServlet} streams share (see its "Limits"); beyond it, or
 * beyond {@code maxConnections}, a stream is refused with {@code 503} and {@code Retry-After} (a per-request answer
 * has no {@code EventSource} reconnecting after it), beyond {@code maxConnectionsPerClient} with {@code 429}.
 * {@link #shutdown} ends them all when the application stops (Spring Boot's starter does it before the web server
 * stops; a plain web application calls it from {@code ServletContextListener.contextDestroyed}).
 *
 * <p>Thread-safe; {@code start} runs on the request's thread.
 */
public final class SseStreams {

    private static final Logger LOG = LoggerFactory.getLogger(SseStreams.class);
    static final String ATTRIBUTE = SseStreams.class.getName() + ".host";
    private static final long FLUSH_GRACE_MILLIS = 1000;
    /** Context init-params that configure the host: {@code sse.streams.keepAlive} and so on. */
    public static final String PARAMETER_PREFIX = "sse.streams.";

    private SseStreams() {
    }

    /**
     * Starts the request's stream with the defaults: the request's {@code Last-Event-ID} header for the producer, no
     * {@code retry:} hint.
     *
     * @param request the request; must be async-supported
     * @param response its response, not committed
     * @return the open stream
     * @throws IOException if the response cannot be written
     * @throws IllegalStateException if the request is not async-supported or the response is committed; or, after
     *         the client was answered {@code 503} with {@code Retry-After}, if the application is stopping
     *         ({@link #shutdown}) or already holds as many streams as it may
     */
    public static SseStream start(HttpServletRequest request, HttpServletResponse response) throws IOException {
        return start(request, response, StreamOptions.defaults());
    }

    /**
     * Starts the request's stream.
     *
     * @param request the request; must be async-supported
     * @param response its response, not committed
     * @param options a {@code retry:} hint, attributes for the producer
     * @return the open stream
     * @throws IOException if the response cannot be written
     * @throws IllegalStateException if the request is not async-supported or the response is committed; or, after
     *         the client was answered {@code 503} with {@code Retry-After}, if the application is stopping
     *         ({@link #shutdown}) or already holds as many streams as it may
     */
    public static SseStream start(HttpServletRequest request, HttpServletResponse response, StreamOptions options)
            throws IOException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(options, "options");
        if (!request.isAsyncSupported()) {
            throw new IllegalStateException("SseStreams.start needs an async-supported request: add "
                    + "<async-supported>true</async-supported> to the servlet AND to every filter mapped before it "
                    + "(or setAsyncSupported(true) on their registrations)");
        }
        if (response.isCommitted()) {
            throw new IllegalStateException("SseStreams.start needs a response that is not committed yet");
        }
        return StreamHost.of(request.getServletContext()).start(request, response, options);
    }

    /**
     * Returns the hub that hosts this application's per-request streams (created on first use): meter it, read its
     * {@link Hub#stats()}. Never broadcast on it.
     *
     * @param context the web application
     * @return the host
     */
    public static Hub host(ServletContext context) {
        return StreamHost.of(context).hub;
    }

    /**
     * Ends every per-request stream of the application: each gets {@code farewell} (if given) after what it has
     * queued and ends, spread over the window; then the host's threads stop. Streams started later are refused with
     * {@code 503}.
     *
     * @param context the web application
     * @param drainWindow how long to spread the ends over
     * @param farewell a last event for each stream, or {@code null}
     * @return completes once every stream has ended
     */
    public static CompletableFuture<Void> shutdown(ServletContext context, Duration drainWindow, SseEvent farewell) {
        StreamHost host = (StreamHost) context.getAttribute(ATTRIBUTE);
        if (host == null) {
            return CompletableFuture.completedFuture(null);
        }
        return host.shutdown(drainWindow, farewell);
    }

    /** One application's streams: the host hub, the live connections and their threads. */
    static final class StreamHost {
        final Hub hub;
        final LiveStreams live;
        final Settings settings;
        final FrameWriter.Paths paths = new FrameWriter.Paths(true);

        private StreamHost(Settings settings) {
            this.settings = settings;
            this.hub = Hub.builder().keepAlive(settings.keepAlive).maxQueuedFrames(settings.maxQueuedFrames)
                    .maxQueuedBytes(settings.maxQueuedBytes).slowClientPolicy(settings.slowClientPolicy)
                    .history(dev.sse.core.spi.EventHistory.none()).build();
            this.live = new LiveStreams(settings, "streams", FileLimit.PROCESS);
        }

        static StreamHost of(ServletContext context) {
            Object found = context.getAttribute(ATTRIBUTE);
            if (found instanceof StreamHost) {
                return (StreamHost) found;
            }
            synchronized (SseStreams.class) {
                found = context.getAttribute(ATTRIBUTE);
                if (found instanceof StreamHost) {
                    return (StreamHost) found;
                }
                Settings settings = new Settings();
                settings.apply(name -> context.getInitParameter(PARAMETER_PREFIX + name));
                StreamHost host = new StreamHost(settings);
                context.setAttribute(ATTRIBUTE, host);
                LOG.debug("per-request streams of {} hosted", context.getContextPath());
                return host;
            }
        }

        /** Hosts the context's streams with these settings instead of its init-params' (tests). */
        static StreamHost install(ServletContext context, Settings settings) {
            synchronized (SseStreams.class) {
                StreamHost host = new StreamHost(settings);
                context.setAttribute(ATTRIBUTE, host);
                return host;
            }
        }

        SseStream start(HttpServletRequest req, HttpServletResponse resp, StreamOptions options) throws IOException {
            if (hub.isClosed()) {
                refuse(resp);
                throw new IllegalStateException("the application is stopping; the client was answered 503");
            }
            String client = live.clientKey(req);
            LiveStreams.Admission admission = live.admit(client);
            if (admission != LiveStreams.Admission.ADMITTED) {
                refuseAtLimit(resp, admission);
                throw new IllegalStateException("too many open streams (" + admission + "); the client was answered "
                        + (admission == LiveStreams.Admission.CLIENT_FULL ? 429 : 503));
            }
            boolean added = false;
            try {
                resp.setStatus(HttpServletResponse.SC_OK);
                resp.setContentType("text/event-stream");
                resp.setCharacterEncoding("utf-8");
                if (!resp.containsHeader("Cache-Control")) {
                    resp.setHeader("Cache-Control", settings.cacheControl);
                }
                resp.setHeader("X-Accel-Buffering", "no");
                AsyncContext async = req.isAsyncStarted() ? req.getAsyncContext() : req.startAsync(req, resp);
                async.setTimeout(0);
                ServletOutputStream out = resp.getOutputStream();
                StreamConnection conn = new StreamConnection(live, async, out, paths, live.writerFor(), client);
                async.addListener(conn);
                live.added(conn);
                added = true;
                ChannelOptions.Builder channel = ChannelOptions.builder()
                        .lastEventId(options.lastEventIdFrom(req))
                        .initialEvent(retryEvent(options.retry()));
                options.attributes().forEach(channel::attribute);
                SseStream stream;
                try {
                    stream = SseStream.open(hub, conn, channel.build());
                } catch (HubClosedException closed) {
                    conn.close();
                    throw closed;
                }
                // From here the container calls onWritePossible, which flushes the headers and drains the stream.
                out.setWriteListener(conn);
                return stream;
            } finally {
                if (!added) {
                    live.abandon(client);
                }
            }
        }

        private static SseEvent retryEvent(Duration retry) {
            return retry == null ? null : SseEvent.builder().retry(retry).build();
        }

        private void refuse(HttpServletResponse resp) throws IOException {
            resp.setHeader("Retry-After", Long.toString(Math.max(1, settings.overloadRetry.toSeconds())));
            ErrorResponse.send(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, null, "the server is stopping");
        }

        private void refuseAtLimit(HttpServletResponse resp, LiveStreams.Admission admission) throws IOException {
            // Spread the retries of a refused crowd over a few seconds.
            long after = ThreadLocalRandom.current().nextLong(1, 5);
            resp.setHeader("Retry-After", Long.toString(after));
            if (admission == LiveStreams.Admission.CLIENT_FULL) {
                ErrorResponse.send(resp, 429, "maxConnectionsPerClient", "too many open streams for this client");
            } else {
                ErrorResponse.send(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, null, "too many open streams");
            }
        }

        CompletableFuture<Void> shutdown(Duration window, SseEvent farewell) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            hub.shutdown(window, farewell).whenComplete((v, e) -> stopOnceWritten(done, System.nanoTime()
                    + TimeUnit.MILLISECONDS.toNanos(FLUSH_GRACE_MILLIS)));
            return done;
        }

        /**
         * A closed channel's connection still flushes its last frames and completes the response on its own thread:
         * the threads stop once every connection has, or after a grace, so a farewell is not cut off.
         */
        private void stopOnceWritten(CompletableFuture<Void> done, long deadline) {
            if (live.count() > 0 && System.nanoTime() < deadline) {
                CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS)
                        .execute(() -> stopOnceWritten(done, deadline));
                return;
            }
            live.stop();
            done.complete(null);
        }
    }
}

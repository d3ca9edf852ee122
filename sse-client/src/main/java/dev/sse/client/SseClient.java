package dev.sse.client;

import dev.sse.core.SseParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Server-Sent Events client on {@code java.net.http}: it connects, reads {@code text/event-stream} with
 * {@link SseParser}, and reconnects like a browser's {@code EventSource}, sending {@code Last-Event-ID}.
 *
 * <h2>Follow a live feed for ever</h2>
 * <pre>{@code
 * SseClient client = SseClient.builder(URI.create("https://example.com/events"))
 *         .headers(() -> Map.of("Authorization", "Bearer " + tokens.fresh()))   // asked again on every attempt
 *         .start(new SseListener() {
 *             public void onEvent(MessageEvent e) { handle(e.type(), e.data()); }
 *             public void onError(SseException e) { log.warn("{}", e.getMessage()); }
 *         });
 * // ... later, from any thread:
 * client.close();
 * }</pre>
 *
 * <h2>Read one response to its end (an LLM's streamed answer to a POST)</h2>
 * <pre>{@code
 * try (SseClient client = SseClient.builder(URI.create("https://llm.example.com/v1/chat"))
 *             .method("POST", () -> HttpRequest.BodyPublishers.ofString(json))
 *             .header("Content-Type", "application/json")
 *             .open();                                       // a POST is sent once: no reconnect after its end
 *      Stream<MessageEvent> events = client.stream()) {
 *     events.map(MessageEvent::data).forEach(System.out::print);
 * }
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * <ul>
 *   <li>Every request sends {@code Accept: text/event-stream}, {@code Cache-Control: no-cache}, the fixed and the
 *       per-attempt headers, and {@code Last-Event-ID} when the last event id is not empty.</li>
 *   <li>Only a {@code GET} without a body is sent again by default, as a browser follows a feed. Any other request
 *       is sent once: when its stream ends the client stops ({@link SseListener#onClosed} with 200, {@link #next()}
 *       returns null), and a failure is final, since sending a POST again may repeat what it does.
 *       {@link Builder#reconnect}{@code (true)} has it followed like a GET, its body publisher asked for anew on
 *       every attempt.</li>
 *   <li>200 with content type {@code text/event-stream} (parameters and case ignored) opens the stream.</li>
 *   <li>204 stops the client for good, without an error; so does the event {@link Builder#stopAfter} names as the
 *       last.</li>
 *   <li>301, 302, 303, 307 and 308 are followed (303, and 301/302 after a POST, turn into a GET without body);
 *       a redirect loop, more than 20 hops or a missing {@code Location} is a fatal error. As in fetch,
 *       {@code Authorization}, {@code Proxy-Authorization} and {@code Cookie} headers are not sent to another
 *       origin than the original URI's. Reconnects go to the original URI. (With an {@link HttpClient} of your own that follows redirects itself, it does instead.)</li>
 *   <li>Any other 2xx, 200 with another or no content type, 1xx/3xx otherwise, and 4xx other than 408 and 429 are
 *       fatal: reported once with status and the start of the body, then the client stops.</li>
 *   <li>5xx, 408, 429, network errors, a stream that ends and a stream that stays idle are retried under the
 *       {@link RetryPolicy}, waiting at least what {@code Retry-After} says when the response has it. An event not
 *       finished by an empty line when the stream ends is discarded. A stream the server ended normally is
 *       routine, not an error: a listener hears {@link SseListener#onStreamEnd}, not {@code onError}.</li>
 *   <li>Whatever the server says ({@code retry: 0}, {@code Retry-After: 0}), no wait is shorter than the policy's
 *       {@link RetryPolicy#minDelay() floor} (250 ms by default), and consecutive connections that end without an
 *       event wait longer each time; a connection that delivered an event starts the count again.</li>
 *   <li>{@code retry:} replaces the policy's base delay (raised to its floor); {@code id:} sets the last event id, which persists across
 *       reconnects; an empty {@code id:} clears it (then no {@code Last-Event-ID} is sent). {@code java.net.http}
 *       can only send printable ASCII in a header, so an id with other characters is kept but not sent (logged at
 *       WARN): better a fresh stream than a resume from a mangled id.</li>
 *   <li>A line or an event larger than its limit ({@link Builder#maxLineBytes}, {@link Builder#maxEventBytes},
 *       8 MiB each by default) is fatal.</li>
 * </ul>
 *
 * <h2>Timeouts</h2>
 * The connect timeout (30 s by default) bounds the wait for response headers. The idle timeout (5 minutes by
 * default) ends a stream on which no byte arrived for that long, comments and keep-alives included, and the client
 * reconnects; it counts only time spent waiting for the server, never time the consumer takes. Neither uses
 * {@link HttpRequest.Builder#timeout}, whose meaning for bodies is not settled (JDK-8208693).
 *
 * <h2>Threads and back-pressure</h2>
 * Each client has one reader thread ({@code sse-client-N}, daemon) that connects, reads and parses. It hands events
 * to the consumer through a bounded queue ({@link Builder#maxInFlight} events, and at most twice the event limit in
 * characters); when the queue is full the reader stops reading, so the socket stops draining and TCP slows the
 * server down. Events arrive in order and none is dropped while the client is open. A consumer is either a
 * {@link SseListener} ({@link Builder#start}) or a thread calling {@link #next()}, {@link #iterator()} or
 * {@link #stream()} ({@link Builder#open}), plain or virtual.
 *
 * <p>{@link #close()} may be called from any thread, also from a listener, any number of times. It returns at once:
 * a pending connect is cancelled, the socket released, a pending reconnect cancelled, and no event is delivered
 * after it returns.
 */
public final class SseClient implements AutoCloseable, Iterable<MessageEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(SseClient.class);
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final int MAX_REDIRECTS = 20;
    private static final int EXCERPT_BYTES = 512;
    private static final Duration EXCERPT_WAIT = Duration.ofSeconds(1);
    private static final int READ_BUFFER = 16 * 1024;
    private static final String STREAM_ENDED = "stream ended";

    private final URI uri;
    private final String method;
    private final Supplier<HttpRequest.BodyPublisher> body;
    private final List<String[]> fixedHeaders;
    private final Supplier<Map<String, String>> attemptHeaders;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final RetryPolicy retryPolicy;
    /** The request may be sent again: a plain GET by default, any request the application allowed. */
    private final boolean resend;
    /** Matches the last event wanted; null for none. Called on the reader thread. */
    private final Predicate<MessageEvent> lastEvent;
    private final int maxLineBytes;
    private final int maxEventBytes;
    private final HttpClient http;
    private final SseListener listener;
    private final Executor executor;
    /** The listener runs on the reader thread itself (no executor given): no hand-off queue in between. */
    private final boolean direct;
    private final HandOff handOff;
    private final Thread reader;
    private final String name;

    // Written by the reader thread only; volatile so that lastEventId() may read it from anywhere.
    private volatile String lastEventId;
    private Duration baseDelay;
    /** Events dispatched on the current connection; one or more resets the backoff count. */
    private long eventsOnConnection;
    /** The {@link #lastEvent} arrived: nothing after it is delivered, the client stops. */
    private boolean lastEventSeen;
    private int lastStatus;
    private HttpHeaders lastHeaders = SseException.NO_HEADERS;

    // Shared between the reader, close() and the idle timer.
    private volatile boolean closed;
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private volatile CompletableFuture<?> pendingResponse;
    private volatile InputStream currentBody;
    /** The reader is blocked in a read of {@link #currentBody}; only then may the idle timer count. */
    private volatile boolean inRead;
    private volatile long lastProgress;

    // The listener's drain task: at most one runs at a time.
    private final AtomicBoolean draining = new AtomicBoolean();
    private boolean closedDelivered;

    private SseClient(Builder b, SseListener listener) {
        this.uri = b.uri;
        this.method = b.method;
        this.body = b.body;
        this.fixedHeaders = List.copyOf(b.fixedHeaders);
        this.attemptHeaders = b.attemptHeaders;
        this.connectTimeout = b.connectTimeout;
        this.idleTimeout = b.idleTimeout;
        this.retryPolicy = b.retryPolicy;
        this.resend = b.reconnect != null ? b.reconnect : b.method.equals("GET") && b.body == null;
        this.lastEvent = b.lastEvent;
        this.maxLineBytes = b.maxLineBytes;
        this.maxEventBytes = b.maxEventBytes;
        this.http = b.http != null ? b.http : DefaultHttp.CLIENT;
        this.listener = listener;
        this.executor = b.executor;
        this.direct = listener != null && b.executor == null;
        this.handOff = new HandOff(b.maxInFlight, 2L * maxEventBytes);
        this.lastEventId = b.lastEventId;
        this.baseDelay = retryPolicy.baseDelay();
        this.name = "sse-client-" + IDS.incrementAndGet();
        this.reader = new Thread(this::run, name);
        this.reader.setDaemon(true);
    }

    /**
     * Starts a client for the given URI.
     *
     * @param uri an absolute {@code http} or {@code https} URI
     * @return a new builder
     * @throws IllegalArgumentException if the URI is not absolute http or https
     */
    public static Builder builder(URI uri) {
        return new Builder(uri);
    }

    /**
     * Waits for the next event. For clients made with {@link Builder#open()}.
     *
     * @return the next event, or {@code null} when the client stopped without error: a stream that is not followed
     *         again ended (a POST's answer, or any stream under {@link RetryPolicy#none()}), the server answered 204,
     *         or {@link #close()} was called
     * @throws SseException the fatal error that stopped the client (thrown again on later calls)
     * @throws InterruptedException if the calling thread was interrupted while waiting
     * @throws IllegalStateException if the client was started with a listener
     */
    public MessageEvent next() throws InterruptedException {
        if (listener != null) {
            throw new IllegalStateException("next() is for clients made with open(); this one has a listener");
        }
        Item item;
        do {
            item = handOff.take(1, TimeUnit.DAYS);
        } while (item == null);
        if (item instanceof Item.Event event) {
            return event.event();
        }
        SseException error = ((Item.Closed) item).error();
        if (error != null && !closed) {
            throw error;
        }
        return null;
    }

    /**
     * Returns an iterator over the events, blocking in {@code hasNext()} until the next one arrives; it ends where
     * {@link #next()} returns null. An interrupt while waiting ends it with an {@link SseException}, the interrupt
     * flag set again. For clients made with {@link Builder#open()}.
     *
     * @return an iterator; iterate it from one thread
     */
    @Override
    public Iterator<MessageEvent> iterator() {
        return new Iterator<>() {
            private MessageEvent ahead;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (ahead == null && !done) {
                    try {
                        ahead = SseClient.this.next();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw SseException.fatal("interrupted while waiting for an event", 0, null, null, e);
                    }
                    done = ahead == null;
                }
                return ahead != null;
            }

            @Override
            public MessageEvent next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                MessageEvent e = ahead;
                ahead = null;
                return e;
            }
        };
    }

    /**
     * Returns the events as a sequential, ordered stream that ends where {@link #next()} returns null; closing the
     * stream closes this client. For clients made with {@link Builder#open()}.
     *
     * @return the stream of events
     */
    public Stream<MessageEvent> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    /**
     * Returns the last event id: the one sent as {@code Last-Event-ID} on the next reconnect, empty for none.
     *
     * @return the last event id, never null
     */
    public String lastEventId() {
        return lastEventId;
    }

    /**
     * Stops the client for good: cancels a connect in progress or a pending reconnect and releases the socket. No
     * event is delivered after this returns; a listener still gets {@link SseListener#onClosed} (status 0), and
     * {@link #next()} returns null. Idempotent, non-blocking, callable from any thread.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeSignal.countDown();
        handOff.discard();
        CompletableFuture<?> pending = pendingResponse;
        if (pending != null) {
            pending.cancel(true);
        }
        abortRead();
        LOG.debug("{}: closed by the application", name);
    }

    @Override
    public String toString() {
        return "SseClient{" + name + ", " + method + " " + uri + ", lastEventId=" + lastEventId
                + (closed ? ", closed" : "") + "}";
    }

    private SseClient startReader() {
        reader.start();
        return this;
    }

    /**
     * Unblocks the reader if it waits on the socket; from close() and the idle timer. Closing the JDK's response
     * stream from another thread cancels its subscription and wakes a blocked read with an IOException; the reader
     * thread is never interrupted, so no stray interrupt can reach a later wait or the listener.
     */
    private void abortRead() {
        InputStream in = currentBody;
        if (in != null) {
            try {
                in.close();
            } catch (IOException | RuntimeException e) {
                LOG.debug("{}: closing the response body failed", name, e);
            }
        }
    }

    // ---- the reader thread

    private enum Kind { OPENED_AND_ENDED, STOP, LAST_EVENT, RETRY, FATAL, CLOSED }

    private static final class Outcome {
        final Kind kind;
        final SseException error;
        final Duration retryAfter;
        final long openNanos;
        /** The stream ended normally: the server closed it. */
        final boolean clean;
        /** The connection dispatched at least one event. */
        final boolean delivered;

        Outcome(Kind kind, SseException error, Duration retryAfter, long openNanos) {
            this(kind, error, retryAfter, openNanos, false, false);
        }

        Outcome(Kind kind, SseException error, Duration retryAfter, long openNanos, boolean clean,
                boolean delivered) {
            this.kind = kind;
            this.error = error;
            this.retryAfter = retryAfter;
            this.openNanos = openNanos;
            this.clean = clean;
            this.delivered = delivered;
        }
    }

    private void run() {
        SseException terminal = null;
        int attempt = 0;
        try {
            while (!closed) {
                Outcome outcome = connectAndRead();
                if (closed || outcome.kind == Kind.CLOSED) {
                    break;
                }
                if (outcome.kind == Kind.STOP) {
                    LOG.debug("{}: server answered {}; not reconnecting", name, lastStatus);
                    break;
                }
                if (outcome.kind == Kind.LAST_EVENT) {
                    LOG.debug("{}: the last event wanted arrived; stopping", name);
                    break;
                }
                if (outcome.kind == Kind.FATAL) {
                    terminal = outcome.error;
                    report(outcome.error);
                    break;
                }
                SseException cause = outcome.error;
                if (outcome.kind == Kind.OPENED_AND_ENDED
                        && (outcome.delivered || outcome.openNanos >= retryPolicy.resetAfter().toNanos())) {
                    attempt = 0;
                }
                if (!retryPolicy.reconnects() || !resend) {
                    // A clean end of a request that is not sent again is its normal end, not an error.
                    if (!outcome.clean) {
                        terminal = cause.givingUp(!retryPolicy.reconnects() ? "not reconnecting (RetryPolicy.none())"
                                : "not sending the " + method + " again (only a GET without a body is, unless "
                                + "the builder's reconnect(true) allows it)");
                        report(terminal);
                    }
                    break;
                }
                attempt++;
                if (!retryPolicy.allows(attempt)) {
                    terminal = cause.givingUp("gave up after " + retryPolicy.maxAttempts() + " attempts");
                    report(terminal);
                    break;
                }
                Duration delay = retryPolicy.delay(attempt, baseDelay, ThreadLocalRandom.current()::nextDouble);
                if (outcome.retryAfter != null && outcome.retryAfter.compareTo(delay) > 0) {
                    delay = outcome.retryAfter;
                }
                if (outcome.clean) {
                    LOG.debug("{}: stream ended; reconnecting in {} ms", name, delay.toMillis());
                    if (listener != null) {
                        deliver(new Item.StreamEnd(delay));
                    }
                } else {
                    report(cause.retrying(delay));
                }
                if (closeSignal.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            LOG.debug("{}: reader interrupted, stopping", name);
        } catch (RuntimeException | Error e) {
            LOG.error("{}: reader failed", name, e);
            terminal = SseException.fatal("client failed: " + e, 0, null, null, e);
        } finally {
            Item.Closed end = terminal != null ? Item.Closed.after(terminal)
                    : new Item.Closed(lastStatus, lastHeaders, null);
            handOff.finish(end);
            if (direct) {
                closedDelivered = true;
                call(closed ? Item.Closed.BY_APPLICATION : end);
            } else if (listener != null) {
                scheduleDrain();
            }
            LOG.debug("{}: stopped", name);
        }
    }

    private void report(SseException error) {
        LOG.debug("{}: {}", name, error.getMessage());
        if (listener != null) {
            deliver(new Item.Failure(error));
        }
    }

    private Outcome connectAndRead() {
        URI target = uri;
        String currentMethod = method;
        boolean withBody = true;
        Set<URI> seen = new HashSet<>();
        seen.add(target);
        for (int hops = 0; ; hops++) {
            HttpResponse<InputStream> response;
            try {
                response = send(request(target, currentMethod, withBody, sameOrigin(uri, target)));
            } catch (CancellationException | InterruptedException e) {
                return new Outcome(Kind.CLOSED, null, null, 0);
            } catch (TimeoutException e) {
                return retry(SseException.fatal("no response within the connect timeout of "
                        + connectTimeout.toMillis() + " ms from " + target, 0, null, null, null), null);
            } catch (IOException e) {
                return retry(SseException.fatal("connection to " + target + " failed: " + e, 0, null, null, e),
                        null);
            } catch (IllegalArgumentException e) {
                // A supplied header the JDK refuses (a restricted name, a CR in a value) will not get better.
                return fatal(0, null, "", "invalid request: " + e.getMessage());
            } catch (RuntimeException e) {
                // A header or body supplier that failed, e.g. a token service that is down: try again later.
                return retry(SseException.fatal("preparing the request failed: " + e, 0, null, null, e), null);
            }
            InputStream in = response.body();
            currentBody = in;
            if (closed) {
                closeQuietly(in);
                return new Outcome(Kind.CLOSED, null, null, 0);
            }
            int status = response.statusCode();
            HttpHeaders headers = response.headers();
            lastStatus = status;
            lastHeaders = headers;
            if (status == 200) {
                String type = headers.firstValue("Content-Type").orElse("");
                if (isEventStream(type)) {
                    return read(response, in);
                }
                return fatal(response, in, type.isEmpty() ? "200 without a Content-Type, not text/event-stream"
                        : "200 with Content-Type " + type + ", not text/event-stream");
            }
            if (status == 204) {
                closeQuietly(in);
                return new Outcome(Kind.STOP, null, null, 0);
            }
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                closeQuietly(in);
                String location = headers.firstValue("Location").orElse(null);
                if (location == null) {
                    return fatal(status, headers, "", status + " redirect without a Location header");
                }
                URI next;
                try {
                    next = target.resolve(location);
                } catch (IllegalArgumentException e) {
                    return fatal(status, headers, "", status + " redirect to an invalid Location: " + location);
                }
                if (!seen.add(next)) {
                    return fatal(status, headers, "", "redirect loop: " + next + " was already visited");
                }
                if (hops + 1 >= MAX_REDIRECTS) {
                    return fatal(status, headers, "", "more than " + MAX_REDIRECTS + " redirects");
                }
                if (status == 303 || ((status == 301 || status == 302) && currentMethod.equals("POST"))) {
                    currentMethod = "GET";
                    withBody = false;
                }
                LOG.debug("{}: {} redirect to {}", name, status, next);
                target = next;
                continue;
            }
            if (status == 408 || status == 429 || status >= 500) {
                String excerpt = excerpt(in);
                return retry(SseException.fatal("HTTP " + status + " from " + target + excerptSuffix(excerpt),
                        status, headers, excerpt, null), retryAfter(headers));
            }
            return fatal(response, in, "HTTP " + status + " is not a stream");
        }
    }

    private HttpRequest request(URI target, String requestMethod, boolean withBody, boolean sameOrigin) {
        HttpRequest.BodyPublisher publisher = withBody && body != null ? body.get()
                : HttpRequest.BodyPublishers.noBody();
        HttpRequest.Builder rb = HttpRequest.newBuilder(target)
                .method(requestMethod, Objects.requireNonNull(publisher, "body publisher supplied"))
                .header("Accept", "text/event-stream")
                .header("Cache-Control", "no-cache");
        for (String[] h : fixedHeaders) {
            if (sameOrigin || !isCredential(h[0])) {
                rb.header(h[0], h[1]);
            }
        }
        if (attemptHeaders != null) {
            Map<String, String> supplied = attemptHeaders.get();
            if (supplied != null) {
                supplied.forEach((name, value) -> {
                    if (sameOrigin || !isCredential(name)) {
                        rb.setHeader(name, value);
                    }
                });
            }
        }
        String id = lastEventId;
        if (!id.isEmpty()) {
            if (isVisibleAscii(id)) {
                rb.setHeader("Last-Event-ID", id);
            } else {
                // java.net.http writes header values as US-ASCII ('?' for anything else) and rejects chars above
                // U+00FF: a mangled id would resume at the wrong place, so none is sent.
                LOG.warn("{}: last event id {} is not printable ASCII, which java.net.http cannot send; "
                        + "reconnecting without Last-Event-ID", name, id);
            }
        }
        return rb.build();
    }

    private HttpResponse<InputStream> send(HttpRequest request)
            throws IOException, InterruptedException, TimeoutException {
        LOG.debug("{}: {} {}{}", name, request.method(), request.uri(),
                lastEventId.isEmpty() ? "" : " (Last-Event-ID " + lastEventId + ")");
        CompletableFuture<HttpResponse<InputStream>> future = http.sendAsync(request, BodyHandlers.ofInputStream());
        pendingResponse = future;
        try {
            if (closed) {
                future.cancel(true);
            }
            return future.get(connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (closed) {
                throw new CancellationException("closed");
            }
            throw new IOException(cause);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        } finally {
            pendingResponse = null;
        }
    }

    private Outcome read(HttpResponse<InputStream> response, InputStream in) {
        long opened = System.nanoTime();
        LOG.debug("{}: open ({} {})", name, response.statusCode(), response.version());
        if (listener != null) {
            deliver(new Item.Opened(response.statusCode(), response.headers()));
        }
        eventsOnConnection = 0;
        SseParser parser = new SseParser(new ParserListener(), maxLineBytes, maxEventBytes, lastEventId);
        IdleWatch watch = idleTimeout.isZero() ? null : new IdleWatch(idleTimeout);
        byte[] buffer = new byte[READ_BUFFER];
        try {
            while (true) {
                if (closed) {
                    return new Outcome(Kind.CLOSED, null, null, 0);
                }
                if (watch != null && watch.fired) {
                    return retry(opened, "no byte for " + idleTimeout.toMillis() + " ms (idle timeout)", null);
                }
                lastProgress = System.nanoTime();
                inRead = true;
                int n;
                try {
                    n = in.read(buffer);
                } finally {
                    inRead = false;
                }
                lastProgress = System.nanoTime();
                if (n < 0) {
                    return retry(opened, STREAM_ENDED, null);
                }
                parser.feed(buffer, 0, n);
                if (lastEventSeen) {
                    return new Outcome(Kind.LAST_EVENT, null, null, 0);
                }
                lastEventId = parser.lastEventId();
            }
        } catch (IOException e) {
            if (closed) {
                return new Outcome(Kind.CLOSED, null, null, 0);
            }
            if (watch != null && watch.fired) {
                return retry(opened, "no byte for " + idleTimeout.toMillis() + " ms (idle timeout)", null);
            }
            return retry(opened, "stream failed: " + e, e);
        } catch (SseParser.LimitExceededException e) {
            return new Outcome(Kind.FATAL, SseException.fatal("stream rejected: " + e.getMessage(),
                    response.statusCode(), response.headers(), "", e), null, 0);
        } finally {
            if (watch != null) {
                watch.stop();
            }
            currentBody = null;
            closeQuietly(in);
        }
    }

    private Outcome retry(long opened, String message, Throwable cause) {
        SseException error = SseException.fatal(message, lastStatus, lastHeaders, "", cause);
        return new Outcome(Kind.OPENED_AND_ENDED, error, null, System.nanoTime() - opened, cause == null
                && message.equals(STREAM_ENDED), eventsOnConnection > 0);
    }

    private static Outcome retry(SseException error, Duration retryAfter) {
        return new Outcome(Kind.RETRY, error, retryAfter, 0);
    }

    private Outcome fatal(HttpResponse<InputStream> response, InputStream in, String problem) {
        String excerpt = excerpt(in);
        return fatal(response.statusCode(), response.headers(), excerpt,
                problem + " (" + response.uri() + ")" + excerptSuffix(excerpt));
    }

    private static Outcome fatal(int status, HttpHeaders headers, String excerpt, String message) {
        return new Outcome(Kind.FATAL, SseException.fatal(message, status, headers, excerpt, null), null, 0);
    }

    private static String excerptSuffix(String excerpt) {
        return excerpt.isEmpty() ? "" : ": " + excerpt;
    }

    /** Reads the start of an error body, waiting at most a second for silence; then drops the connection. */
    private String excerpt(InputStream in) {
        IdleWatch watch = new IdleWatch(EXCERPT_WAIT);
        byte[] bytes = new byte[EXCERPT_BYTES];
        int n = 0;
        try {
            while (n < bytes.length && !closed && !watch.fired) {
                lastProgress = System.nanoTime();
                inRead = true;
                int r;
                try {
                    r = in.read(bytes, n, bytes.length - n);
                } finally {
                    inRead = false;
                }
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } catch (IOException e) {
            LOG.debug("{}: reading the error body failed", name, e);
        } finally {
            watch.stop();
            currentBody = null;
            closeQuietly(in);
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8).strip();
    }

    private void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: closing the response body failed", name, e);
        }
    }

    /** As fetch does on a redirect to another origin, credentials the application set are not sent there. */
    private static boolean isCredential(String header) {
        return header.equalsIgnoreCase("Authorization") || header.equalsIgnoreCase("Cookie")
                || header.equalsIgnoreCase("Proxy-Authorization");
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : (u.getScheme().equalsIgnoreCase("https") ? 443 : 80);
    }

    static boolean isVisibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }

    static boolean isEventStream(String contentType) {
        int semicolon = contentType.indexOf(';');
        String mime = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return mime.equalsIgnoreCase("text/event-stream");
    }

    /** {@code Retry-After} as delay-seconds or an HTTP-date; null when absent or unreadable. */
    static Duration retryAfter(HttpHeaders headers) {
        String value = headers.firstValue("Retry-After").orElse(null);
        if (value == null) {
            return null;
        }
        value = value.strip();
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return value.length() > 9 ? Duration.ofSeconds(999_999_999) : Duration.ofSeconds(Long.parseLong(value));
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            LOG.debug("ignoring an unreadable Retry-After: {}", value);
            return null;
        }
    }

    private boolean isLast(MessageEvent event) {
        try {
            return lastEvent.test(event);
        } catch (RuntimeException e) {
            LOG.warn("{}: the stopAfter predicate threw; taking the event as not the last", name, e);
            return false;
        }
    }

    private final class ParserListener implements SseParser.Listener {
        @Override
        public void onEvent(String type, String data, String id) {
            if (lastEventSeen) {
                return; // what followed the last event in the same read is not wanted
            }
            eventsOnConnection++;
            MessageEvent event = MessageEvent.of(type, data, id);
            deliver(new Item.Event(event));
            if (lastEvent != null && isLast(event)) {
                lastEventSeen = true;
                lastEventId = id;
            }
        }

        @Override
        public void onComment(String comment) {
            if (listener != null && !lastEventSeen) {
                deliver(new Item.Comment(comment));
            }
        }

        @Override
        public void onRetry(long millis) {
            baseDelay = Duration.ofMillis(millis);
        }
    }

    /** Stops a read that waited longer than the limit for a byte; on the shared timer thread. */
    private final class IdleWatch implements Runnable {
        private final long limitNanos;
        private volatile boolean fired;
        private volatile boolean stopped;
        private volatile ScheduledFuture<?> next;

        IdleWatch(Duration limit) {
            this.limitNanos = limit.toNanos();
            schedule(limitNanos);
        }

        private void schedule(long nanos) {
            if (!stopped) {
                next = Timer.EXECUTOR.schedule(this, Math.max(nanos, TimeUnit.MILLISECONDS.toNanos(1)),
                        TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void run() {
            if (stopped) {
                return;
            }
            if (!inRead) {
                schedule(limitNanos);
                return;
            }
            long left = lastProgress + limitNanos - System.nanoTime();
            if (left > 0) {
                schedule(left);
                return;
            }
            fired = true;
            LOG.debug("{}: idle for {} ms, dropping the connection", name, TimeUnit.NANOSECONDS.toMillis(limitNanos));
            abortRead();
        }

        void stop() {
            stopped = true;
            ScheduledFuture<?> f = next;
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    // ---- hand-off to the consumer

    private void deliver(Item item) {
        if (direct) {
            // The listener runs right here on the reader thread: one event in flight, no queue to pass through.
            if (!closed) {
                call(item);
            }
        } else if (handOff.put(item) && listener != null) {
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        if (draining.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                draining.set(false);
                LOG.warn("{}: the listener's executor rejected a task; closing the client", name, e);
                close();
            }
        }
    }

    /** Runs on the executor; {@link #draining} makes it the only one running, so calls never overlap. */
    private void drain() {
        while (true) {
            Item item;
            while ((item = handOff.poll()) != null) {
                if (item instanceof Item.Closed) {
                    if (!closedDelivered) {
                        closedDelivered = true;
                        call(closed ? Item.Closed.BY_APPLICATION : item);
                    }
                    break;
                }
                if (closed) {
                    continue;
                }
                call(item);
            }
            draining.set(false);
            boolean more = handOff.ready() && !closedDelivered;
            if (!more || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    private void call(Item item) {
        try {
            item.deliverTo(listener);
        } catch (RuntimeException e) {
            LOG.warn("{}: the listener threw; the stream goes on", name, e);
        }
    }

    private static final class DefaultHttp {
        static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private static final class Timer {
        static final ScheduledExecutorService EXECUTOR;

        static {
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "sse-client-timer");
                t.setDaemon(true);
                return t;
            });
            timer.setRemoveOnCancelPolicy(true);
            EXECUTOR = timer;
        }
    }

    /**
     * Configures an {@link SseClient}; {@link #start} or {@link #open} builds and connects it. A builder may build
     * several clients. Not thread-safe.
     */
    public static final class Builder {

        private final URI uri;
        private String method = "GET";
        private Supplier<HttpRequest.BodyPublisher> body;
        private final List<String[]> fixedHeaders = new ArrayList<>();
        private Supplier<Map<String, String>> attemptHeaders;
        private String lastEventId = "";
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration idleTimeout = Duration.ofMinutes(5);
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private Boolean reconnect;
        private Predicate<MessageEvent> lastEvent;
        private int maxLineBytes = 8 << 20;
        private int maxEventBytes = 8 << 20;
        private HttpClient http;
        private Executor executor;
        private int maxInFlight = 256;

        private Builder(URI uri) {
            Objects.requireNonNull(uri, "uri");
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new IllegalArgumentException("uri must be an absolute http or https URI (was " + uri + ")");
            }
            this.uri = uri;
        }

        /**
         * Sets the method and the body. A request other than a GET without a body is sent once unless
         * {@link #reconnect}{@code (true)} is set; then the body is asked for anew on every attempt.
         *
         * @param method the HTTP method, e.g. {@code "POST"}
         * @param body supplies the body for each attempt, e.g. {@code () -> BodyPublishers.ofString(json)};
         *             null for no body
         * @return this builder
         * @throws IllegalArgumentException if the method is not an HTTP token
         */
        public Builder method(String method, Supplier<HttpRequest.BodyPublisher> body) {
            Objects.requireNonNull(method, "method");
            if (method.isEmpty() || !method.chars().allMatch(c -> c > 32 && c < 127 && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0)) {
                throw new IllegalArgumentException("method must be an HTTP token (was \"" + method + "\")");
            }
            this.method = method;
            this.body = body;
            return this;
        }

        /**
         * Adds a header sent with every request; may be called again for more values.
         *
         * @param name the header name
         * @param value the value
         * @return this builder
         * @throws IllegalArgumentException if the name or value is not valid, or the header is one the JDK's client
         *                                  sets itself (such as {@code Host} or {@code Content-Length})
         */
        public Builder header(String name, String value) {
            Objects.requireNonNull(name, "header name");
            Objects.requireNonNull(value, "header value");
            try {
                HttpRequest.newBuilder().header(name, value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("header " + name + " is not allowed: " + e.getMessage(), e);
            }
            fixedHeaders.add(new String[] {name, value});
            return this;
        }

        /**
         * Sets a supplier of headers asked before every attempt, for values that change, such as fresh access
         * tokens. Its values replace fixed headers of the same name. If it throws, the attempt fails and is retried.
         *
         * @param perAttempt supplies header names and values; called on the reader thread
         * @return this builder
         */
        public Builder headers(Supplier<Map<String, String>> perAttempt) {
            this.attemptHeaders = Objects.requireNonNull(perAttempt, "headers");
            return this;
        }

        /**
         * Sets the last event id to start from: sent as {@code Last-Event-ID} on the first request.
         *
         * @param id the id; empty for none
         * @return this builder
         * @throws IllegalArgumentException if it contains CR, LF or U+0000, which no {@code id} field can carry
         */
        public Builder lastEventId(String id) {
            Objects.requireNonNull(id, "lastEventId");
            for (int i = 0; i < id.length(); i++) {
                char c = id.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    throw new IllegalArgumentException("lastEventId must not contain CR, LF or U+0000 (found U+"
                            + String.format("%04X", (int) c) + " at index " + i + ")");
                }
            }
            this.lastEventId = id;
            return this;
        }

        /**
         * Sets how long to wait for the response headers of each attempt; 30 s by default.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connectTimeout", timeout);
            return this;
        }

        /**
         * Sets how long a stream may stay silent (no byte at all, comments included) before the client drops it and
         * reconnects; 5 minutes by default. Keep it above the server's keep-alive interval.
         *
         * @param timeout positive, or {@link Duration#ZERO} for none
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder idleTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "idleTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must not be negative (was " + timeout + ")");
            }
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * Sets when and how often to reconnect; {@link RetryPolicy#defaults()} by default,
         * {@link RetryPolicy#none()} to read one response only.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
            return this;
        }

        /**
         * Sets whether the request is sent again, under the {@link RetryPolicy}, after its stream ends or fails. By
         * default only a {@code GET} without a body is: a feed, followed for ever as a browser's {@code EventSource}
         * follows one. Any other request (a method other than GET, or a body) is sent once by default, since sending
         * a POST again may repeat what it does (another LLM answer, another charge): the server's clean end of its
         * stream stops the client without an error, and a failure (a network error, a 5xx, a stream cut short) is
         * final, reported with {@link SseException#willRetry()} false. Set {@code true} for a POST that opens a feed
         * (a subscription) to have it followed like a GET; {@link RetryPolicy#none()} still sends nothing again.
         *
         * @param resend whether to send the request again after its stream ends or fails
         * @return this builder
         */
        public Builder reconnect(boolean resend) {
            this.reconnect = resend;
            return this;
        }

        /**
         * Names the last event wanted, such as an LLM's {@code data: [DONE]}: once an event matches, it is delivered
         * and the client stops at once, without waiting for the server to end the stream and without reconnecting,
         * as after a stream that is not followed again ({@link SseListener#onClosed} with 200, then
         * {@link SseClient#next()} returns null). Nothing the server sent after it is delivered.
         *
         * <pre>{@code
         * builder.stopAfter(e -> e.data().equals("[DONE]"))
         * }</pre>
         *
         * @param last true for the last event; called on the reader thread for each event, after it is handed on;
         *             if it throws, the event is not the last (logged at WARN)
         * @return this builder
         */
        public Builder stopAfter(Predicate<MessageEvent> last) {
            this.lastEvent = Objects.requireNonNull(last, "stopAfter");
            return this;
        }

        /**
         * Sets the longest line accepted, in bytes; 8 MiB by default. A longer one is a fatal error.
         *
         * @param bytes at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         */
        public Builder maxLineBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxLineBytes must be at least 1 (was " + bytes + ")");
            }
            this.maxLineBytes = bytes;
            return this;
        }

        /**
         * Sets the largest event accepted (its data, in UTF-8 bytes, plus one per data line); 8 MiB by default. A
         * larger one is a fatal error.
         *
         * @param bytes at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         */
        public Builder maxEventBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxEventBytes must be at least 1 (was " + bytes + ")");
            }
            this.maxEventBytes = bytes;
            return this;
        }

        /**
         * Sets the {@link HttpClient} to use, to share its connections (several streams over one HTTP/2
         * connection), TLS settings, proxy or executor. By default a shared client that follows no redirects (this
         * client follows them itself) and prefers HTTP/2.
         *
         * @param client the client
         * @return this builder
         */
        public Builder httpClient(HttpClient client) {
            this.http = Objects.requireNonNull(client, "httpClient");
            return this;
        }

        /**
         * Sets the executor that runs the listener's calls (one at a time, in order). By default the listener runs
         * on the client's reader thread, so a slow listener slows the reading directly.
         *
         * @param listenerExecutor the executor
         * @return this builder
         */
        public Builder executor(Executor listenerExecutor) {
            this.executor = Objects.requireNonNull(listenerExecutor, "executor");
            return this;
        }

        /**
         * Sets how many events may wait for the consumer before the reader stops reading the socket; 256 by
         * default. Queued data is also capped at twice {@link #maxEventBytes} characters.
         *
         * @param events at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         */
        public Builder maxInFlight(int events) {
            if (events < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1 (was " + events + ")");
            }
            this.maxInFlight = events;
            return this;
        }

        /**
         * Builds the client and connects, delivering to the listener.
         *
         * @param listener receives events and the lifecycle
         * @return the running client; close it to stop
         */
        public SseClient start(SseListener listener) {
            return new SseClient(this, Objects.requireNonNull(listener, "listener")).startReader();
        }

        /**
         * Builds the client and connects, for reading with {@link SseClient#next()}, {@link SseClient#iterator()}
         * or {@link SseClient#stream()}.
         *
         * @return the running client; close it to stop
         */
        public SseClient open() {
            return new SseClient(this, null).startReader();
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive (was " + d + ")");
            }
            return d;
        }
    }
}

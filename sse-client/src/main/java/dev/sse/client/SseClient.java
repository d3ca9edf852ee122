package dev.sse.client;

import dev.sse.core.SseParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
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
 * Each client has one reader thread ({@code sse-client-N}, daemon) that connects, reads and parses. A listener
 * without an {@link Builder#executor} runs on that thread, between reads; otherwise events reach the consumer through
 * a bounded queue ({@link Builder#maxInFlight} events, and at most twice the event limit in characters). Either way a
 * slow consumer stops the reading, so the socket stops draining and TCP slows the server down. Events arrive in
 * order and none is dropped while the client is open. A consumer is either a {@link SseListener}
 * ({@link Builder#start}) or a thread calling {@link #next()}, {@link #iterator()} or {@link #stream()}
 * ({@link Builder#open}), plain or virtual.
 *
 * <p>{@link #close()} may be called from any thread, also from a listener, any number of times. It returns at once:
 * a pending connect is cancelled, the socket released, a pending reconnect cancelled, and no event is delivered
 * after it returns. {@link #readyState()} tells where the connection is at any time.
 */
public final class SseClient implements AutoCloseable, Iterable<MessageEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(SseClient.class);
    private static final AtomicInteger IDS = new AtomicInteger();

    private final URI uri;
    private final String method;
    private final String name;
    /** Null for a client made with {@link Builder#open()}. */
    private final SseListener listener;
    private final HandOff handOff;
    private final Reconnector reconnector;
    /** Where the reader thread puts each item: the listener pump, or the hand-off queue {@link #next()} takes from. */
    private final Consumer<Item> sink;
    private final Thread reader;

    private SseClient(Builder b, SseListener listener) {
        this.uri = b.uri;
        this.method = b.method;
        this.name = "sse-client-" + IDS.incrementAndGet();
        this.listener = listener;
        this.handOff = new HandOff(b.maxInFlight, 2L * b.maxEventBytes);
        this.reconnector = new Reconnector(b, b.http != null ? b.http : DefaultHttp.CLIENT, name);
        this.sink = listener != null
                ? new ListenerPump(listener, b.executor, handOff, reconnector::closed, this::close, name)
                : this::queueForNext;
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
        // queueForNext queues events and the end only.
        SseException error = ((Item.Closed) item).error();
        if (error != null && !reconnector.closed()) {
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
        return reconnector.lastEventId();
    }

    /**
     * Returns where the connection is: {@link ReadyState#CONNECTING} while connecting or waiting to reconnect,
     * {@link ReadyState#OPEN} while a stream is read, {@link ReadyState#CLOSED} once the client stopped for good. It
     * is the reader thread's view, which may be ahead of the consumer (see {@link ReadyState}). Any thread.
     *
     * @return the ready state, never null
     */
    public ReadyState readyState() {
        return reconnector.readyState();
    }

    /**
     * Stops the client for good: cancels a connect in progress or a pending reconnect and releases the socket. No
     * event is delivered after this returns; a listener still gets {@link SseListener#onClosed} (status 0), and
     * {@link #next()} returns null. Idempotent, non-blocking, callable from any thread.
     */
    @Override
    public void close() {
        if (!reconnector.close()) {
            return;
        }
        handOff.discard();
        LOG.debug("{}: closed by the application", name);
    }

    @Override
    public String toString() {
        return "SseClient{" + name + ", " + method + " " + uri + ", lastEventId=" + reconnector.lastEventId()
                + (reconnector.closed() ? ", closed" : "") + "}";
    }

    private SseClient startReader() {
        reader.start();
        return this;
    }

    /** The reader thread: pulls each item and hands it on, up to and including the last. */
    private void run() {
        Item item = null;
        try {
            do {
                item = reconnector.next();
                sink.accept(item);
            } while (!(item instanceof Item.Closed));
        } catch (RuntimeException | Error e) {
            LOG.error("{}: reader failed", name, e);
            if (!(item instanceof Item.Closed)) {
                sink.accept(reconnector.failed(e));
            }
        } finally {
            LOG.debug("{}: stopped", name);
        }
    }

    /** The pull mode's sink: {@link #next()} wants events and the end, nothing else. */
    private void queueForNext(Item item) {
        if (item instanceof Item.Closed end) {
            handOff.finish(end);
        } else if (item instanceof Item.Event) {
            handOff.put(item);
        }
    }

    private static final class DefaultHttp {
        static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Configures an {@link SseClient}; {@link #start} or {@link #open} builds and connects it. A builder may build
     * several clients. Not thread-safe.
     */
    public static final class Builder {

        // Package-private: the client's parts copy what they need from here when a client is made.

        final URI uri;
        String method = "GET";
        Supplier<HttpRequest.BodyPublisher> body;
        final List<String[]> fixedHeaders = new ArrayList<>();
        Supplier<Map<String, String>> attemptHeaders;
        String lastEventId = "";
        Duration connectTimeout = Duration.ofSeconds(30);
        Duration idleTimeout = Duration.ofMinutes(5);
        RetryPolicy retryPolicy = RetryPolicy.defaults();
        Boolean reconnect;
        Predicate<MessageEvent> lastEvent;
        int maxLineBytes = 8 << 20;
        int maxEventBytes = 8 << 20;
        HttpClient http;
        Executor executor;
        int maxInFlight = 256;

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

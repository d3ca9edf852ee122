package dev.sse.test;

import dev.sse.client.MessageEvent;
import dev.sse.client.RetryPolicy;
import dev.sse.client.SseClient;
import dev.sse.client.SseException;
import dev.sse.client.SseListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * One HTTP request to a running server's event stream, for tests: it records what arrives, waits for it with a
 * deadline, and closes the connection when it has what it waited for, so a stream that never ends cannot hang a test.
 *
 * <pre>{@code
 * List<MessageEvent> events = SseTestClient.get("http://localhost:" + port + "/events").awaitEvents(3, ofSeconds(5));
 * assertThat(events).extracting(MessageEvent::data).containsExactly("a", "b", "c");
 * }</pre>
 *
 * <p>A request is sent once, by {@link #connect()} or the first wait, and never again: no reconnect, whatever the
 * server says, so each client is one exchange to assert on. Headers are set before that. To publish on a hub only
 * once the stream is registered, wait for it to open first:
 *
 * <pre>{@code
 * try (SseTestClient client = SseTestClient.get(uri).header("Authorization", "Bearer t0k3n").awaitOpen(ofSeconds(5))) {
 *     hub.broadcast(SseEvent.data("hello"));                      // the servlet registers before it answers 200
 *     assertThat(client.awaitEvent(e -> e.data().equals("hello"), ofSeconds(5)).type()).isEqualTo("message");
 *     assertThat(client.headers().firstValue("Cache-Control")).hasValue("no-store");
 * }
 * }</pre>
 *
 * <p>A per-request stream (an LLM's answer to a POST) is read to its end:
 * {@code SseTestClient.post(uri, "{\"prompt\":\"hi\"}").header("Content-Type", "application/json").readToEnd(ofSeconds(5))}.
 *
 * <h2>Waiting</h2>
 * Every wait takes a timeout and ends by it. When what it waits for cannot come (the deadline passed, the server
 * ended the stream, the request failed with a status or a network error), it throws an {@link AssertionError} that
 * names the request, what it waited for, what arrived and how the exchange stands; test runners report that as a
 * failed assertion. {@link #awaitEvents}, {@link #awaitEvent} and {@link #readToEnd} close the connection when they
 * return or fail; {@link #awaitOpen} and {@link #awaitStatus} leave an open stream open.
 *
 * <h2>Under the hood</h2>
 * It is an {@link SseClient} (so HTTP/1.1 or HTTP/2, redirects and the WHATWG parser are the library's own) under
 * {@link RetryPolicy#none()}, whose listener records on the client's reader thread. The listener, not the pull mode,
 * because only the listener is told the status and headers of a response that opened a stream.
 *
 * <h2>Threads</h2>
 * Every method may be called from any thread; the configuring ones ({@link #header}, {@link #lastEventId},
 * {@link #httpClient}) only before the request is sent. The client's monitor guards what was recorded and the state
 * of the exchange; the reader thread holds it only to record, and a predicate given to {@link #awaitEvent} runs on the
 * waiting thread with no lock held.
 */
public final class SseTestClient implements AutoCloseable {

    private static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.of(), (name, value) -> true);

    /** The exchange's one state. */
    private enum State {
        /** Not sent yet: headers may still be set. */
        NEW,
        /** Sent; no answer yet. */
        CONNECTING,
        /** The answer was an event stream, and it is still open. */
        OPEN,
        /** The server ended the stream (or answered 204): nothing more will come. */
        ENDED,
        /** The answer was not a stream, or the connection failed: see {@link #error}. */
        FAILED,
        /** Closed from this side. */
        CLOSED;

        boolean over() {
            return this == ENDED || this == FAILED || this == CLOSED;
        }
    }

    private final String request;
    private final SseClient.Builder builder;

    private final Object lock = new Object();
    // Guarded by lock.
    private State state = State.NEW;
    private boolean opened;
    private SseClient client;
    private final List<MessageEvent> events = new ArrayList<>();
    private final List<String> comments = new ArrayList<>();
    private int status;
    private HttpHeaders headers = NO_HEADERS;
    private SseException error;

    private SseTestClient(String method, URI uri, String body) {
        this.request = method + " " + uri;
        this.builder = SseClient.builder(uri)
                .retryPolicy(RetryPolicy.none())
                .reconnect(false)
                .idleTimeout(Duration.ZERO); // every wait has its own deadline
        if (body != null) {
            builder.method(method, () -> HttpRequest.BodyPublishers.ofString(body));
        }
    }

    /**
     * Prepares a {@code GET} of an event stream; nothing is sent yet.
     *
     * @param uri an absolute {@code http} or {@code https} URI
     * @return the client
     * @throws IllegalArgumentException if the URI is not absolute http or https
     */
    public static SseTestClient get(URI uri) {
        return new SseTestClient("GET", uri, null);
    }

    /**
     * Prepares a {@code GET} of an event stream; nothing is sent yet.
     *
     * @param uri an absolute {@code http} or {@code https} URI, e.g. {@code "http://localhost:" + port + "/events"}
     * @return the client
     * @throws IllegalArgumentException if the URI is not valid, or not absolute http or https
     */
    public static SseTestClient get(String uri) {
        return get(URI.create(Objects.requireNonNull(uri, "uri")));
    }

    /**
     * Prepares a {@code POST} whose answer is an event stream; nothing is sent yet. The body is sent as UTF-8 with no
     * {@code Content-Type} unless {@link #header} sets one.
     *
     * @param uri an absolute {@code http} or {@code https} URI
     * @param body the request body
     * @return the client
     * @throws IllegalArgumentException if the URI is not absolute http or https
     */
    public static SseTestClient post(URI uri, String body) {
        return new SseTestClient("POST", uri, Objects.requireNonNull(body, "body"));
    }

    /**
     * Prepares a {@code POST} whose answer is an event stream; nothing is sent yet.
     *
     * @param uri an absolute {@code http} or {@code https} URI
     * @param body the request body, sent as UTF-8
     * @return the client
     * @throws IllegalArgumentException if the URI is not valid, or not absolute http or https
     */
    public static SseTestClient post(String uri, String body) {
        return post(URI.create(Objects.requireNonNull(uri, "uri")), body);
    }

    /**
     * Adds a request header.
     *
     * @param name the name
     * @param value the value
     * @return this client
     * @throws IllegalArgumentException if the JDK's client refuses the header (such as {@code Host})
     * @throws IllegalStateException if the request was sent already
     */
    public SseTestClient header(String name, String value) {
        synchronized (lock) {
            requireNew("header");
            builder.header(name, value);
        }
        return this;
    }

    /**
     * Sends {@code Last-Event-ID}, as a browser resuming after a reconnect would.
     *
     * @param id the id
     * @return this client
     * @throws IllegalArgumentException if it contains CR, LF or U+0000
     * @throws IllegalStateException if the request was sent already
     */
    public SseTestClient lastEventId(String id) {
        synchronized (lock) {
            requireNew("lastEventId");
            builder.lastEventId(id);
        }
        return this;
    }

    /**
     * Sends the request with this {@link HttpClient}, e.g. one made with {@code version(HttpClient.Version.HTTP_2)}
     * to test over h2c; by default a shared client that prefers HTTP/2 and follows no redirects itself.
     *
     * @param http the client
     * @return this client
     * @throws IllegalStateException if the request was sent already
     */
    public SseTestClient httpClient(HttpClient http) {
        synchronized (lock) {
            requireNew("httpClient");
            builder.httpClient(http);
        }
        return this;
    }

    /**
     * Sends the request now, without waiting for the answer; the waits send it if this was not called. Does nothing
     * once sent.
     *
     * @return this client
     */
    public SseTestClient connect() {
        synchronized (lock) {
            if (state != State.NEW) {
                return this;
            }
            state = State.CONNECTING;
        }
        SseClient started = builder.start(new Recorder());
        boolean closeNow;
        synchronized (lock) {
            client = started;
            closeNow = state == State.CLOSED;
        }
        if (closeNow) {
            started.close();
        }
        return this;
    }

    /**
     * Sends the request if needed and waits until the answer opens an event stream: {@code 200} with
     * {@code text/event-stream}. With sse-servlet the stream is then registered on its hub, so what is broadcast from
     * now on reaches it. The stream stays open.
     *
     * @param timeout how long to wait at most
     * @return this client
     * @throws AssertionError if the answer was not a stream (its status and the start of its body are in the
     *                        message), the connection failed, or nothing came in time; the connection is then closed
     */
    public SseTestClient awaitOpen(Duration timeout) {
        long deadline = RecordingChannel.deadline(timeout);
        connect();
        try {
            synchronized (lock) {
                waitWhile(() -> state == State.CONNECTING, deadline, timeout, "the stream to open");
                if (opened) {
                    return this;
                }
                throw failure("waited for the stream to open");
            }
        } catch (AssertionError e) {
            close();
            throw e;
        }
    }

    /**
     * Sends the request if needed and waits for the status of the answer, whatever it is: for tests of refusals
     * ({@code 401}, {@code 429}, {@code 204}). A stream that opened stays open.
     *
     * @param timeout how long to wait at most
     * @return the status
     * @throws AssertionError if there was no answer in time, or the connection failed before one came
     */
    public int awaitStatus(Duration timeout) {
        long deadline = RecordingChannel.deadline(timeout);
        connect();
        try {
            synchronized (lock) {
                waitWhile(() -> state == State.CONNECTING, deadline, timeout, "the status");
                if (status != 0) {
                    return status;
                }
                throw failure("waited for the status");
            }
        } catch (AssertionError e) {
            close();
            throw e;
        }
    }

    /**
     * Sends the request if needed, waits until {@code count} events have arrived, and closes the connection: the way
     * to read the start of a stream that never ends.
     *
     * @param count how many events, at least 1
     * @param timeout how long to wait at most
     * @return the first {@code count} events; {@link #events()} may hold a few more that came before the close
     * @throws AssertionError if they did not come in time, the server ended the stream first, or the request failed;
     *                        the message names what arrived
     * @throws IllegalArgumentException if {@code count} is below 1 or the timeout is not positive
     */
    public List<MessageEvent> awaitEvents(int count, Duration timeout) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1 (was " + count + ")");
        }
        long deadline = RecordingChannel.deadline(timeout);
        String what = count + (count == 1 ? " event" : " events");
        connect();
        try {
            synchronized (lock) {
                waitWhile(() -> events.size() < count && !state.over(), deadline, timeout, what);
                if (events.size() >= count) {
                    return List.copyOf(events.subList(0, count));
                }
                throw failure("waited for " + what);
            }
        } finally {
            close();
        }
    }

    /**
     * Sends the request if needed, waits for the first event that matches, and closes the connection.
     *
     * @param match what the event must satisfy; called on this thread, with no lock held
     * @param timeout how long to wait at most
     * @return the first matching event
     * @throws AssertionError if none matched in time, the server ended the stream first, or the request failed
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public MessageEvent awaitEvent(Predicate<? super MessageEvent> match, Duration timeout) {
        return awaitEvent("an event matching the predicate", match, timeout);
    }

    /**
     * As {@link #awaitEvent(Predicate, Duration)}, naming what the predicate looks for in the failure message.
     *
     * <pre>{@code
     * client.awaitEvent("the [DONE] event", e -> e.data().equals("[DONE]"), Duration.ofSeconds(5));
     * }</pre>
     *
     * @param description what the predicate looks for
     * @param match what the event must satisfy; called on this thread, with no lock held
     * @param timeout how long to wait at most
     * @return the first matching event
     * @throws AssertionError if none matched in time, the server ended the stream first, or the request failed
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public MessageEvent awaitEvent(String description, Predicate<? super MessageEvent> match, Duration timeout) {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(match, "match");
        long deadline = RecordingChannel.deadline(timeout);
        connect();
        try {
            int tested = 0;
            while (true) {
                List<MessageEvent> fresh;
                boolean over;
                synchronized (lock) {
                    int seen = tested;
                    waitWhile(() -> events.size() == seen && !state.over(), deadline, timeout, description);
                    fresh = List.copyOf(events.subList(seen, events.size()));
                    over = state.over();
                }
                // User code: tested with no lock held, so the reader thread is never kept waiting by it.
                for (MessageEvent e : fresh) {
                    tested++;
                    if (match.test(e)) {
                        return e;
                    }
                }
                if (over) {
                    synchronized (lock) {
                        if (events.size() == tested) {
                            throw failure("waited for " + description);
                        }
                    }
                }
            }
        } finally {
            close();
        }
    }

    /**
     * Sends the request if needed and waits until the server ends the stream, as a per-request stream ends after
     * its terminal event; then returns everything that arrived.
     *
     * @param timeout how long to wait at most
     * @return every event, in order
     * @throws AssertionError if the stream was still open at the deadline (it is then closed), or the request or the
     *                        stream failed
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public List<MessageEvent> readToEnd(Duration timeout) {
        long deadline = RecordingChannel.deadline(timeout);
        connect();
        try {
            synchronized (lock) {
                waitWhile(() -> !state.over(), deadline, timeout, "the end of the stream");
                if (state == State.ENDED) {
                    return List.copyOf(events);
                }
                throw failure("waited for the end of the stream");
            }
        } finally {
            close();
        }
    }

    /** @return the events received so far, in order */
    public List<MessageEvent> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    /** @return the data of the events received so far, in order */
    public List<String> data() {
        List<String> data = new ArrayList<>();
        for (MessageEvent e : events()) {
            data.add(e.data());
        }
        return data;
    }

    /** @return the comment lines received so far (keep-alives are empty ones), the text after the colon */
    public List<String> comments() {
        synchronized (lock) {
            return List.copyOf(comments);
        }
    }

    /** @return the status of the answer, or 0 while there is none (or the connection failed without one) */
    public int status() {
        synchronized (lock) {
            return status;
        }
    }

    /** @return the headers of the answer (look-ups ignore case); empty while there is none */
    public HttpHeaders headers() {
        synchronized (lock) {
            return headers;
        }
    }

    /**
     * Returns the start of the body of an answer that was not a stream (a {@code 400}'s JSON, say), at most 512
     * bytes' worth, read within a second.
     *
     * @return the text, empty when there was none
     */
    public String bodyExcerpt() {
        synchronized (lock) {
            return error == null ? "" : error.bodyExcerpt();
        }
    }

    /** @return whether the answer opened a stream that is still open */
    public boolean isOpen() {
        synchronized (lock) {
            return state == State.OPEN;
        }
    }

    /** Closes the connection (a stream that never ends ends here); idempotent, returns at once. */
    @Override
    public void close() {
        SseClient c;
        synchronized (lock) {
            if (!state.over()) {
                state = State.CLOSED;
                lock.notifyAll();
            }
            c = client;
        }
        if (c != null) {
            c.close();
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "SseTestClient{" + request + ", " + state + (status != 0 ? ", status " + status : "") + "}";
        }
    }

    private void requireNew(String what) {
        if (state != State.NEW) {
            throw new IllegalStateException(what + " must be set before the request is sent (" + request + " was)");
        }
    }

    /** Waits under the lock while the condition holds; an {@code AssertionError} at the deadline. */
    private void waitWhile(BooleanSupplier condition, long deadline, Duration timeout,
            String what) {
        while (condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw failure("waited " + timeout.toMillis() + " ms for " + what);
            }
            try {
                lock.wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(request + ": interrupted while waiting for " + what, e);
            }
        }
    }

    /** Says what was awaited, what arrived and how the exchange stands; called under the lock. */
    private AssertionError failure(String waited) {
        return new AssertionError(request + ": " + waited + "; " + Describe.events(events) + "; " + standing(),
                error);
    }

    private String standing() {
        switch (state) {
            case NEW:
                return "the request was not sent";
            case CONNECTING:
                return "no answer yet";
            case OPEN:
                return "the stream was still open";
            case ENDED:
                return status == 204 ? "the server answered 204 No Content" : "the server ended the stream";
            case FAILED:
                // The client's message names the status and the start of the body, or the network error.
                return (opened ? "the stream failed: " : "the request failed: ") + error.getMessage();
            default:
                return opened ? "closed from this side while open" : "closed from this side before an answer";
        }
    }

    /** Records on the client's reader thread; every call is short and only takes the lock. */
    private final class Recorder implements SseListener {
        @Override
        public void onOpen(int httpStatus, HttpHeaders httpHeaders) {
            synchronized (lock) {
                status = httpStatus;
                headers = httpHeaders;
                opened = true;
                if (state == State.CONNECTING) {
                    state = State.OPEN;
                }
                lock.notifyAll();
            }
        }

        @Override
        public void onEvent(MessageEvent event) {
            synchronized (lock) {
                events.add(event);
                lock.notifyAll();
            }
        }

        @Override
        public void onComment(String comment) {
            synchronized (lock) {
                comments.add(comment);
                lock.notifyAll();
            }
        }

        @Override
        public void onError(SseException e) {
            synchronized (lock) {
                // Under RetryPolicy.none() every error is final; the first one is the one to report.
                if (error == null) {
                    error = e;
                }
                if (!opened && status == 0 && e.status() != 0) {
                    status = e.status();
                    headers = e.headers();
                }
            }
        }

        @Override
        public void onClosed(int httpStatus, HttpHeaders httpHeaders) {
            synchronized (lock) {
                if (status == 0 && httpStatus != 0) {
                    status = httpStatus;
                    headers = httpHeaders;
                }
                if (!state.over()) {
                    state = error != null ? State.FAILED : State.ENDED;
                }
                lock.notifyAll();
            }
        }
    }
}

package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.CloseReason;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Per-request streams over real HTTP; subclasses supply the container. */
abstract class AbstractSseStreamsTest {

    static final Duration T = Duration.ofSeconds(5);

    ServerFixture server;
    int port;
    final Settings settings = new Settings();
    final BlockingQueue<CloseReason> closes = new LinkedBlockingQueue<>();
    /** Tokens the producer made after its stream had closed. */
    final AtomicLong producedAfterClose = new AtomicLong();
    final AtomicLong produced = new AtomicLong();
    final AtomicReference<SseStream> current = new AtomicReference<>();
    final java.util.concurrent.CountDownLatch clientReset = new java.util.concurrent.CountDownLatch(1);
    private final ScheduledExecutorService producer = Executors.newScheduledThreadPool(2);

    abstract ServerFixture newServer();

    /**
     * POST /events?mode=...: {@code tokens} (N tokens then [DONE]), {@code fail} (one token then an error event),
     * {@code silent} (nothing), {@code endless} (a token every 20 ms until the stream closes), {@code flood} (1 KiB
     * tokens sent without waiting), {@code publisher} (an endless Flow.Publisher of 1 KiB tokens).
     */
    final class ProducingServlet extends HttpServlet {
        @Override
        public void init() {
            SseStreams.StreamHost.install(getServletContext(), settings);
        }

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setHeader("X-Before", "kept");
            SseStream stream = SseStreams.start(req, resp);
            current.set(stream);
            AtomicBoolean open = new AtomicBoolean(true);
            stream.onClose(reason -> {
                open.set(false);
                closes.add(reason);
            });
            String mode = req.getParameter("mode");
            switch (mode) {
                case "tokens" -> {
                    int n = Integer.parseInt(req.getParameter("n"));
                    for (int i = 1; i <= n; i++) {
                        stream.send(SseEvent.builder().event("token").id(Integer.toString(i)).data("t" + i).build());
                    }
                    stream.complete(SseEvent.data("[DONE]"));
                }
                case "fail" -> {
                    stream.send(SseEvent.data("partial"));
                    stream.fail("the model is overloaded");
                }
                case "silent" -> {
                }
                case "endless" -> {
                    AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
                    task.set(producer.scheduleAtFixedRate(() -> {
                        if (!open.get()) {
                            task.get().cancel(false);
                            return;
                        }
                        long i = produced.incrementAndGet();
                        if (!stream.send(SseEvent.data("t" + i))) {
                            producedAfterClose.incrementAndGet();
                        }
                    }, 0, 20, TimeUnit.MILLISECONDS));
                    stream.onClose(r -> task.get().cancel(false));
                }
                case "flood" -> producer.execute(() -> {
                    String kib = "x".repeat(1024);
                    while (stream.send(SseEvent.data(kib))) {
                        produced.incrementAndGet();
                    }
                });
                case "publisher" -> stream.from(new EndlessTokens());
                case "afterReset" -> producer.execute(() -> {
                    try {
                        clientReset.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    for (int i = 1; i <= 5; i++) {
                        stream.send(SseEvent.data("late" + i));
                    }
                    stream.complete(SseEvent.data("[DONE]"));
                });
                default -> throw new IllegalArgumentException(mode);
            }
        }
    }

    /** Answers every request at once, for ever, counting what it made; records a cancel. */
    final class EndlessTokens implements Flow.Publisher<SseEvent> {
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public void subscribe(Flow.Subscriber<? super SseEvent> s) {
            String kib = "x".repeat(1024);
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    for (long i = 0; i < n && !cancelled.get(); i++) {
                        produced.incrementAndGet();
                        s.onNext(SseEvent.data(kib));
                    }
                }

                @Override
                public void cancel() {
                    cancelled.set(true);
                }
            });
        }
    }

    void start() throws Exception {
        server = newServer();
        port = server.start(new ProducingServlet(), Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            SseStreams.shutdown(server.servletContext(), Duration.ofMillis(100), null).get(5, TimeUnit.SECONDS);
            server.stop();
        }
        producer.shutdownNow();
    }

    SseClient post(String query) throws IOException {
        return SseClient.request(port, "POST", "/events?" + query, s -> { }, "Content-Length: 0").head(T);
    }

    @Test
    void headersAreFlushedAtOnceAndThoseSetBeforeAreKept() throws Exception {
        start();
        try (SseClient c = post("mode=silent")) {
            assertThat(c.status()).isEqualTo(200);
            assertThat(c.header("content-type")).matches("(?i)text/event-stream; ?charset=utf-8");
            assertThat(c.header("x-accel-buffering")).isEqualTo("no");
            assertThat(c.header("cache-control")).isEqualTo("no-cache, no-transform");
            assertThat(c.header("x-before")).isEqualTo("kept");
        }
    }

    @Test
    void keepAliveCommentsFlowWhileTheProducerIsSilent() throws Exception {
        settings.keepAlive = Duration.ofMillis(100);
        start();
        try (SseClient c = post("mode=silent")) {
            assertThat(c.nextFrame(T)).isEqualTo(":\n\n");
            assertThat(c.nextFrame(T)).isEqualTo(":\n\n");
        }
    }

    @Test
    void aProducerThatFloodsAReaderThatStoppedMeetsTheSlowClientPolicy() throws Exception {
        settings.maxQueuedFrames = 50;
        start();
        SseClient c = SseClient.request(port, "POST", "/events?mode=flood", s -> {
            try {
                s.setReceiveBufferSize(4096);
            } catch (java.net.SocketException e) {
                throw new IllegalStateException(e);
            }
        }, "Content-Length: 0").head(T);
        try {
            assertThat(closes.poll(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.SLOW_CLIENT);
        } finally {
            c.close();
        }
    }

    @Test
    void aPublisherFasterThanTheReaderStaysBoundedAndIsCancelledWhenTheClientLeaves() throws Exception {
        settings.maxQueuedFrames = 50;
        start();
        SseClient c = SseClient.request(port, "POST", "/events?mode=publisher", s -> {
            try {
                s.setReceiveBufferSize(4096);
            } catch (java.net.SocketException e) {
                throw new IllegalStateException(e);
            }
        }, "Content-Length: 0").head(T);
        c.nextEvent(T);
        // However long the reader stalls, the publisher is asked for no more than the queue and the socket hold.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            assertThat(current.get().queuedFrames()).isLessThanOrEqualTo(50);
            Thread.sleep(20); // sampling a bound over time, not synchronising
        }
        assertThat(produced.get()).as("tokens made for a stalled reader").isLessThan(5_000);
        assertThat(current.get().isOpen()).isTrue();

        c.reset();

        assertThat(closes.poll(40, TimeUnit.SECONDS)).isIn(CloseReason.CLIENT_GONE, CloseReason.WRITE_TIMEOUT);
    }

    @Test
    void shutdownEndsOpenStreamsAfterAFarewell() throws Exception {
        start();
        try (SseClient c = post("mode=silent")) {
            SseStreams.shutdown(server.servletContext(), Duration.ofMillis(50), SseEvent.of("bye", ""))
                    .get(5, TimeUnit.SECONDS);
            assertThat(c.readBody(T)).isEqualTo("event: bye\ndata:\n\n");
        }
        assertThat(closes.poll(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.HUB_CLOSED);
        try (SseClient refused = post("mode=silent")) {
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("retry-after")).isNotNull();
        }
    }
}

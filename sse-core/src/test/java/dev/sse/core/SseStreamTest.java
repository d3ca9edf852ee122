package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Per-request streams on a host hub, against a client the test drains by hand. */
class SseStreamTest {

    private static final Duration T = Duration.ofSeconds(5);

    private Hub host = Hub.builder().keepAlive(Duration.ZERO).maxQueuedFrames(4).build();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        host.close();
        pool.shutdownNow();
    }

    /** A client that reads only when the test says so. */
    static class HandDrainedClient implements Transport {
        private volatile FrameSource source;
        final List<SseFrame> read = new CopyOnWriteArrayList<>();
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public void attach(FrameSource frames) {
            source = frames;
        }

        @Override
        public void framesAvailable() {
            // Reads only on demand.
        }

        @Override
        public void close() {
            closed.countDown();
        }

        /** Reads up to n frames; returns how many there were. */
        int read(int n) {
            int got = 0;
            SseFrame f;
            while (got < n && (f = source.poll()) != null) {
                read.add(f);
                got++;
            }
            return got;
        }

        int readAll() {
            return read(Integer.MAX_VALUE);
        }

        FrameSource source() {
            return source;
        }

        String wire() {
            StringBuilder sb = new StringBuilder();
            for (SseFrame f : read) {
                sb.append(new String(f.toByteArray(), StandardCharsets.UTF_8));
            }
            return sb.toString();
        }

        List<String> data() {
            List<String> out = new ArrayList<>();
            for (SseFrame f : read) {
                if (f.event().data() != null) {
                    out.add(f.event().data());
                }
            }
            return out;
        }
    }

    private SseStream open(HandDrainedClient client) {
        return SseStream.open(host, client, ChannelOptions.defaults());
    }

    @Test
    void trySendSaysNoWhenFullWithoutClosingAndWhenRoomCompletesOnceTheClientReads() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        for (int i = 0; i < 4; i++) {
            assertThat(stream.trySend(SseEvent.data("t" + i))).isTrue();
        }
        assertThat(stream.trySend(SseEvent.data("t4"))).isFalse();
        assertThat(stream.isOpen()).isTrue();
        CompletableFuture<Void> room = stream.whenRoom().toCompletableFuture();
        assertThat(room).isNotDone();

        client.read(1);

        room.get(T.toSeconds(), TimeUnit.SECONDS);
        assertThat(stream.trySend(SseEvent.data("t4"))).isTrue();
        client.readAll();
        assertThat(client.data()).containsExactly("t0", "t1", "t2", "t3", "t4");
    }

    @Test
    void blockingSendWaitsForRoomThenQueues() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        for (int i = 0; i < 4; i++) {
            stream.trySend(SseEvent.data("t" + i));
        }
        Future<Boolean> blocked = pool.submit(() -> stream.send(SseEvent.data("t4"), T));
        assertThatThrownBy(() -> blocked.get(100, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);

        client.read(2);

        assertThat(blocked.get(T.toSeconds(), TimeUnit.SECONDS)).isTrue();
        client.readAll();
        assertThat(client.data()).containsExactly("t0", "t1", "t2", "t3", "t4");
    }

    @Test
    void blockingSendTimesOutAndLeavesTheStreamOpen() throws Exception {
        SseStream stream = open(new HandDrainedClient());
        for (int i = 0; i < 4; i++) {
            stream.trySend(SseEvent.data("t" + i));
        }
        assertThatThrownBy(() -> stream.send(SseEvent.data("late"), Duration.ofMillis(50)))
                .isInstanceOf(TimeoutException.class);
        assertThat(stream.isOpen()).isTrue();
        assertThat(stream.queuedFrames()).isEqualTo(4);
    }

    @Test
    void blockingSendReturnsFalseWhenTheClientLeavesWhileItWaits() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        for (int i = 0; i < 4; i++) {
            stream.trySend(SseEvent.data("t" + i));
        }
        Future<Boolean> blocked = pool.submit(() -> stream.send(SseEvent.data("t4"), T));
        assertThatThrownBy(() -> blocked.get(100, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);

        host.channel(stream.id()).orElseThrow().close(CloseReason.CLIENT_GONE);

        assertThat(blocked.get(T.toSeconds(), TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void fireAndForgetSendOnAFullQueueMeetsTheSlowClientPolicy() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        List<CloseReason> reasons = new CopyOnWriteArrayList<>();
        stream.onClose(reasons::add);
        for (int i = 0; i < 4; i++) {
            assertThat(stream.send(SseEvent.data("t" + i))).isTrue();
        }

        assertThat(stream.send(SseEvent.data("one too many"))).isFalse();

        assertThat(stream.isOpen()).isFalse();
        assertThat(reasons).containsExactly(CloseReason.SLOW_CLIENT);
        assertThat(client.closed.await(T.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void completeAfterATerminalEventWritesEverythingQueuedThenEnds() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        List<CloseReason> reasons = new CopyOnWriteArrayList<>();
        stream.onClose(reasons::add);
        stream.trySend(SseEvent.builder().event("token").id("1").data("a").build());
        stream.trySend(SseEvent.builder().event("token").id("2").data("b").build());

        stream.complete(SseEvent.of("done", "[DONE]"));
        assertThat(stream.trySend(SseEvent.data("after the end"))).isFalse();
        assertThat(reasons).isEmpty();
        client.readAll();

        assertThat(client.wire()).isEqualTo("id: 1\nevent: token\ndata: a\n\nid: 2\nevent: token\ndata: b\n\n"
                + "event: done\ndata: [DONE]\n\n");
        assertThat(client.closed.await(T.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(reasons).containsExactly(CloseReason.COMPLETED);
    }

    @Test
    void failEndsWithAnErrorEventWhoseDataIsJson() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        AtomicReferenceReason reason = new AtomicReferenceReason();
        stream.onClose(reason::set);
        stream.trySend(SseEvent.data("partial"));

        stream.fail("model \"x\" overloaded\nretry later");
        client.readAll();

        assertThat(client.wire()).isEqualTo("data: partial\n\n"
                + "event: error\ndata: {\"error\":\"model \\\"x\\\" overloaded\\nretry later\"}\n\n");
        assertThat(reason.get()).isEqualTo(CloseReason.FAILED);
    }

    @Test
    void closeCallbackRunsExactlyOnceAlsoWhenRegisteredAfterTheEnd() {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        AtomicInteger calls = new AtomicInteger();
        stream.onClose(r -> calls.incrementAndGet());

        host.channel(stream.id()).orElseThrow().close(CloseReason.CLIENT_GONE);
        host.channel(stream.id()).ifPresent(c -> c.close(CloseReason.ERROR));
        stream.close();
        AtomicReferenceReason late = new AtomicReferenceReason();
        stream.onClose(late::set);

        assertThat(calls).hasValue(1);
        assertThat(late.get()).isEqualTo(CloseReason.CLIENT_GONE);
        assertThat(stream.send(SseEvent.data("token after the client left"))).isFalse();
    }

    @Test
    void publisherFasterThanTheReaderStaysBoundedAndIsCancelledWhenTheClientLeaves() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        EndlessPublisher tokens = new EndlessPublisher();

        stream.from(tokens);
        // Only as much as there is room for is asked for: the queue's 4 frames. The publisher counts a token before
        // it hands it over, so the count and the queue are awaited together.
        await(() -> tokens.produced.get() == 4 && stream.queuedFrames() == 4);
        client.read(2);
        await(() -> tokens.produced.get() == 6 && stream.queuedFrames() == 4);

        host.channel(stream.id()).orElseThrow().close(CloseReason.CLIENT_GONE);

        await(tokens.cancelled::get);
        assertThat(tokens.produced.get()).isEqualTo(6);
    }

    @Test
    void publishersCompletionCompletesTheStreamAfterItsEvents() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);
        java.util.concurrent.SubmissionPublisher<SseEvent> publisher = new java.util.concurrent.SubmissionPublisher<>();
        stream.from(publisher);
        publisher.submit(SseEvent.data("a"));
        publisher.submit(SseEvent.data("b"));
        publisher.close();

        await(() -> {
            client.readAll();
            return !stream.isOpen();
        });

        assertThat(client.data()).containsExactly("a", "b");
        assertThat(stream.closed().toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(CloseReason.COMPLETED);
    }

    @Test
    void keepAliveCommentsFlowWhileTheProducerIsSilent() throws Exception {
        host.close();
        host = Hub.builder().keepAlive(Duration.ofMillis(40)).build();
        RecordingTransport client = new RecordingTransport();
        SseStream stream = SseStream.open(host, client, ChannelOptions.defaults());
        client.bound();
        assertThat(stream.isOpen()).isTrue();

        await(() -> client.frames().stream().filter(f -> f == SseFrame.KEEP_ALIVE).count() >= 2);
    }

    @Test
    void serverShutdownEndsTheStreamWithHubClosed() throws Exception {
        HandDrainedClient client = new HandDrainedClient();
        SseStream stream = open(client);

        host.close();

        assertThat(stream.closed().toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(CloseReason.HUB_CLOSED);
    }

    /** A client whose transport takes over graceful ends, as the servlet's does. */
    static final class FinishingClient extends HandDrainedClient {
        volatile boolean handedOver;

        @Override
        public boolean finishAfterWrites() {
            handedOver = true;
            return true;
        }
    }

    @Test
    void aGracefulEndIsCompletedOnlyOnceTheTransportSaysTheBytesWentOut() throws Exception {
        FinishingClient client = new FinishingClient();
        SseStream stream = SseStream.open(host, client, ChannelOptions.defaults());
        stream.trySend(SseEvent.data("t1"));
        stream.complete(SseEvent.data("[DONE]"));

        client.readAll();
        assertThat(client.handedOver).isTrue();
        assertThat(stream.closed().toCompletableFuture()).isNotDone();

        client.source().finished();
        assertThat(stream.closed().toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(CloseReason.COMPLETED);
    }

    @Test
    void aGracefulEndWhoseLastWriteFailedIsClientGone() throws Exception {
        FinishingClient client = new FinishingClient();
        SseStream stream = SseStream.open(host, client, ChannelOptions.defaults());
        stream.trySend(SseEvent.data("t1"));
        stream.complete(SseEvent.data("[DONE]"));
        client.readAll();

        // The transport's last write failed: it reports the client gone instead of finished.
        host.channel(stream.id()).orElseThrow().close(CloseReason.CLIENT_GONE);
        client.source().finished();

        assertThat(stream.closed().toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(CloseReason.CLIENT_GONE);
    }

    @Test
    void lastEventIdOfTheRequestIsTheProducers() {
        SseStream stream = SseStream.open(host, new HandDrainedClient(),
                ChannelOptions.builder().lastEventId("17").build());
        assertThat(stream.lastEventId()).isEqualTo("17");
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met in time").isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    /** A reason set by a callback. */
    static final class AtomicReferenceReason {
        private volatile CloseReason reason;

        void set(CloseReason r) {
            reason = r;
        }

        CloseReason get() {
            return reason;
        }
    }

    /** Produces a token for every request, for ever, and records a cancel. */
    static final class EndlessPublisher implements Flow.Publisher<SseEvent> {
        final AtomicLong produced = new AtomicLong();
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public void subscribe(Flow.Subscriber<? super SseEvent> subscriber) {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    for (long i = 0; i < n && !cancelled.get(); i++) {
                        subscriber.onNext(SseEvent.data("token" + produced.incrementAndGet()));
                    }
                }

                @Override
                public void cancel() {
                    cancelled.set(true);
                }
            });
        }
    }
}
